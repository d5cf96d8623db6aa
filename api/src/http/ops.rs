//! Operational endpoints: the SDL, health, readiness and metrics.

use actix_web::{HttpResponse, web};
use orgdesign_domain::db;
use serde_json::json;

use super::{AppState, error::HttpError};

/// `GET /schema.graphql`: the SDL the server runs, to whoever may introspect it (the
/// same policy as introspection queries, so it does not map the schema for others).
/// Not rate-limited, like the other operational endpoints.
pub async fn sdl(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let principal = super::caller::authenticate(&state, &req).await?;
    if !super::guard::may_introspect(state.introspection, principal.as_ref()) {
        return Err(HttpError::no_route());
    }
    Ok(super::cache::respond(
        &req,
        "text/plain; charset=utf-8",
        "private, no-cache",
        state.schema.sdl(),
    ))
}

/// `GET /healthz`: the process is up (no dependency checked).
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers within `readiness_timeout_ms`; 503 while it
/// does not, answered by then: a database that stops answering refuses nothing, and a
/// probe that waited for it would report "ready" once the outage is over.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.pulse.answers(state.readiness_timeout).await {
        HttpResponse::Ok().json(json!({ "status": "ready", "database": "up" }))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "unavailable", "database": "down" }))
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (open, idle) = db::pool_usage(&state.store.db);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(open, idle))
}
