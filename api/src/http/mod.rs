//! The HTTP surface: GraphQL over HTTP, GraphiQL and its files, health, readiness,
//! metrics, SDL; and what REST shares with them: the [`caller`] extractors
//! (authentication and the rate limit), reading a [`body`] within its limits, a
//! request's [`deadline`], and the one [`error`] shape, also for unknown paths (404)
//! and methods (405).

pub mod body;
pub mod cache;
pub mod caller;
pub mod deadline;
pub mod error;
pub mod front;
pub mod graphiql;
mod graphql;
pub mod guard;
pub mod operation;
mod ops;
pub mod persisted;
pub mod trace;
pub mod ws;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use actix_web::{
    HttpResponse, Resource,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    guard as route_guard,
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    web,
};
use orgdesign_domain::{
    auth::tokens::Keys,
    settings::{IntrospectionPolicy, Limits},
    store::Store,
};
use orgdesign_graphql::schema::AppSchema;

use self::error::HttpError;
use crate::metrics::Metrics;

/// What every handler shares: built once at start-up.
pub struct AppState {
    pub schema: AppSchema,
    /// The database and event bus, as services take them.
    pub store: Store,
    /// Whether the database answers now: readiness, and why a request ran out of time.
    pub pulse: orgdesign_domain::db::Pulse,
    /// How long `/readyz` (and a request's probe before its deadline) waits for the
    /// database (`readiness_timeout_ms`).
    pub readiness_timeout: Duration,
    pub metrics: Arc<Metrics>,
    pub limits: Limits,
    pub keys: Arc<Keys>,
    pub introspection: IntrospectionPolicy,
    pub rate_limit: guard::RateLimit,
    /// Reads request bodies under the size limit, the deadline and the in-flight caps.
    pub bodies: body::BodyLimiter,
    /// WebSocket settings and the connections held per client address and subject.
    pub sockets: ws::Sockets,
    /// Documents of Apollo's automatic persisted queries, by hash.
    pub persisted_queries: persisted::PersistedQueries,
    /// The GraphiQL page and the files this server serves for it.
    pub graphiql: graphiql::Site,
}

/// Registers every route, and the 404 for paths none serves.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/graphql", "GET, POST")
            // Subscriptions: authenticated in `connection_init`; each `subscribe` is
            // counted against the rate limit.
            .route(
                web::get()
                    .guard(route_guard::fn_guard(|ctx| {
                        ws::is_upgrade(ctx.head().headers())
                    }))
                    .to(ws::serve),
            )
            .route(web::post().to(graphql::post))
            .route(web::get().to(graphql::get)),
    )
    .service(resource("/graphiql", "GET").route(web::get().to(graphiql::page)))
    .service(
        resource("/graphiql/assets/{hash}/{name}", "GET").route(web::get().to(graphiql::asset)),
    )
    .service(resource("/schema.graphql", "GET").route(web::get().to(ops::sdl)))
    .service(resource("/healthz", "GET").route(web::get().to(ops::healthz)))
    .service(resource("/readyz", "GET").route(web::get().to(ops::readyz)))
    .service(resource("/metrics", "GET").route(web::get().to(ops::metrics)))
    .default_service(web::to(no_route));
}

/// A resource that answers any method its routes do not take with 405 and `Allow`.
pub fn resource(path: &str, allow: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || async move {
        Err::<HttpResponse, _>(HttpError::method_not_allowed(allow))
    }))
}

async fn no_route() -> Result<HttpResponse, HttpError> {
    Err(HttpError::no_route())
}

/// The media type of a request (`application/json` from
/// `application/json; charset=utf-8`), lower-cased; empty when absent.
pub fn media_type(req: &actix_web::HttpRequest) -> String {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// `HEAD` is answered wherever `GET` is: the request is routed as a `GET`, and the
/// server sends the headers of that answer without its body (actix-http leaves out the
/// body of every answer to a `HEAD` request).
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req).await
}

/// Echoes the request id in `x-request-id` and counts the request in the metrics.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let request_id = trace::request_id(&req);
    let traceparent = trace::outgoing_traceparent(req.headers());
    let method = req.method().to_string();
    let mut response = next.call(req).await?;
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), id);
    }
    if let Some(value) = traceparent.and_then(|t| HeaderValue::from_str(&t).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("traceparent"), value);
    }
    if let Some(state) = state {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        state.metrics.observe_http(
            &method,
            &route,
            response.status().as_u16(),
            started.elapsed(),
        );
    }
    Ok(response)
}
