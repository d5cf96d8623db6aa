//! GraphQL subscriptions over WebSocket on `/graphql`: `graphql-transport-ws`, and the
//! older `graphql-ws` for clients that still speak it (`protocol`).
//!
//! The bearer token is sent in `connection_init`, as `{"Authorization": "Bearer ..."}`
//! (or `{"token": "..."}`); a connection without a valid one is closed with 4403.
//!
//! orgdesign serves the protocols itself rather than through async-graphql's
//! `WebSocket`, which has no hook for the limits a long-lived connection needs: a
//! deadline for `connection_init`, an idle close, caps on subscriptions and
//! connections, the rate limit on `subscribe`, a close for oversized messages, and a
//! code on every error. `connection` is the loop that enforces them; the cap on a
//! client address's connections is applied here, before the upgrade.

mod connection;
mod protocol;

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, ResponseError as _, http::StatusCode, web};
use async_graphql::{Data, Response, parser::types::OperationType};
use futures_util::{StreamExt as _, stream::BoxStream};
use orgdesign_domain::settings::WebSocketSettings;
use orgdesign_graphql::schema::ensure_codes;

use self::{connection::Connection, protocol::Protocol};
use super::{
    AppState, caller,
    error::{ErrorCode, HttpError},
    guard::{self, Shares},
    operation::Operation,
};

/// The WebSocket settings and the connections held per client address and per
/// subject; built once at start-up.
pub struct Sockets {
    pub settings: WebSocketSettings,
    by_address: Shares,
    by_subject: Shares,
}

impl Sockets {
    /// Caps from the settings.
    pub fn new(settings: &WebSocketSettings) -> Self {
        Self {
            settings: settings.clone(),
            by_address: Shares::new(settings.max_connections_per_address, usize::MAX),
            by_subject: Shares::new(settings.max_connections_per_subject, usize::MAX),
        }
    }
}

/// Whether a request asks to upgrade to a WebSocket (the route guard that sends it here).
pub fn is_upgrade(headers: &actix_web::http::header::HeaderMap) -> bool {
    headers
        .get(actix_web::http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The bearer token of a `connection_init` payload.
fn token_of(payload: &serde_json::Value) -> Option<String> {
    let object = payload.as_object()?;
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.as_str())
        .map(|v| {
            v.trim()
                .trim_start_matches("Bearer ")
                .trim_start_matches("bearer ")
                .to_owned()
        })
        .or_else(|| {
            object
                .get("token")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        })
}

/// The results of one `subscribe`: subscriptions only (queries and mutations belong on
/// `POST /graphql`, where the request timeout, the introspection policy and the
/// per-request loaders apply), admitted as every document is, every error with its code.
fn execute(
    state: &AppState,
    mut request: async_graphql::Request,
    data: Arc<Data>,
) -> BoxStream<'static, Response> {
    let refusal = |error: async_graphql::ServerError| {
        let mut response = Response::from_errors(vec![error]);
        ensure_codes(&mut response.errors);
        futures_util::stream::once(async move { response }).boxed()
    };
    // Admission first (length, nesting, parse, the walk), so a document refused for
    // what it is gets that reason, not "not a subscription". Only an acknowledged
    // connection (one with a valid token) reaches here; the introspection policy does
    // not matter to a subscription's root fields.
    let access = orgdesign_graphql::limits::Access {
        authenticated: true,
        may_introspect: false,
    };
    if let Err(error) = orgdesign_graphql::schema::admit(&mut request, &state.limits, access) {
        return refusal(error);
    }
    if !Operation::of(&mut request).is(OperationType::Subscription) {
        let mut error = async_graphql::ServerError::new(
            "only subscriptions run over the WebSocket; send queries and mutations with POST /graphql",
            None,
        );
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        extensions.set("code", "BAD_USER_INPUT");
        error.extensions = Some(extensions);
        return refusal(error);
    }
    state
        .schema
        .execute_stream_with_session_data(request, data)
        .map(|mut response| {
            orgdesign_graphql::schema::limit_errors(&mut response.errors);
            ensure_codes(&mut response.errors);
            response
        })
        .boxed()
}

/// Upgrades the request and serves subscriptions on it until either side closes; a
/// client address with `max_connections_per_address` connections open already is
/// refused with 429 before the upgrade.
pub async fn serve(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let settings = &state.sockets.settings;
    let Ok(address) = state.sockets.by_address.take(guard::address_key(&req), 1) else {
        return HttpError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::LimitExceeded,
            format!(
                "this client address has {} WebSocket connections open already",
                settings.max_connections_per_address
            ),
        )
        .with_retry_after(settings.init_timeout_ms.div_ceil(1_000).max(1))
        .error_response();
    };
    let (response, session, frames) =
        match actix_ws::handle_with_protocols(&req, payload, &Protocol::NAMES) {
            Ok(parts) => parts,
            Err(err) => return err.error_response(),
        };
    // The protocol the handshake agreed on (the first one offered that orgdesign
    // speaks); a client that offered none gets graphql-transport-ws.
    let protocol = Protocol::negotiate(
        response
            .headers()
            .get(actix_web::http::header::SEC_WEBSOCKET_PROTOCOL)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
    );
    let frames = frames.max_frame_size(settings.max_message_bytes);
    let connection = Connection::new(
        state.into_inner(),
        protocol,
        caller::request_id(&req),
        session,
        address,
    );
    actix_web::rt::spawn(connection.run(frames));
    response
}
