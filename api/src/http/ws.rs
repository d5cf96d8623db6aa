//! GraphQL subscriptions over WebSocket (`graphql-transport-ws`, and the older
//! `graphql-ws` for clients that still speak it) on `/graphql`.
//!
//! The bearer token is sent in `connection_init`, as `{"Authorization": "Bearer ..."}`
//! (or `{"token": "..."}`); a connection without a valid one is closed.

use std::str::FromStr;

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, CloseReason, Message};
use async_graphql::{
    Data,
    http::{WebSocket, WebSocketProtocols, WsMessage},
    parser::types::OperationType,
};
use futures_util::StreamExt;

use super::{AppState, caller, operation::Operation};
use crate::auth::RequestContext;

/// The schema as the WebSocket serves it: subscriptions only. Queries and mutations
/// belong on `POST /graphql`, where the rate limit, the request timeout, the
/// introspection policy and the per-request loaders apply.
#[derive(Clone)]
struct SubscriptionsOnly(crate::graphql::AppSchema, crate::settings::Limits);

fn is_subscription(request: &mut async_graphql::Request) -> bool {
    Operation::of(request).is(OperationType::Subscription)
}

fn refusal() -> async_graphql::Response {
    let mut error = async_graphql::ServerError::new(
        "only subscriptions run over the WebSocket; send queries and mutations with POST /graphql",
        None,
    );
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    error.extensions = Some(extensions);
    async_graphql::Response::from_errors(vec![error])
}

impl async_graphql::Executor for SubscriptionsOnly {
    async fn execute(&self, mut request: async_graphql::Request) -> async_graphql::Response {
        if is_subscription(&mut request) {
            if let Err(error) = crate::graphql::admit(&mut request, &self.1) {
                return async_graphql::Response::from_errors(vec![error]);
            }
            self.0.execute(request).await
        } else {
            refusal()
        }
    }

    fn execute_stream(
        &self,
        mut request: async_graphql::Request,
        session_data: Option<std::sync::Arc<Data>>,
    ) -> futures_util::stream::BoxStream<'static, async_graphql::Response> {
        if is_subscription(&mut request) {
            if let Err(error) = crate::graphql::admit(&mut request, &self.1) {
                let response = async_graphql::Response::from_errors(vec![error]);
                return futures_util::stream::once(async { response }).boxed();
            }
            async_graphql::Executor::execute_stream(&self.0, request, session_data)
        } else {
            futures_util::stream::once(async { refusal() }).boxed()
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

/// Upgrades the request and serves subscriptions on it until either side closes.
pub async fn serve(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let offered = req
        .headers()
        .get(actix_web::http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let protocol = offered
        .split(',')
        .map(str::trim)
        .find_map(|p| WebSocketProtocols::from_str(p).ok())
        .unwrap_or(WebSocketProtocols::GraphQLWS);
    let (response, mut session, stream) = match actix_ws::handle_with_protocols(
        &req,
        payload,
        &["graphql-transport-ws", "graphql-ws"],
    ) {
        Ok(parts) => parts,
        Err(err) => return err.error_response(),
    };
    let request_id = caller::request_id(&req);
    let state = state.into_inner();
    let pong = session.clone();
    // Text and binary frames go to the protocol; pings are answered here.
    let input = stream.filter_map(move |message| {
        let mut pong = pong.clone();
        async move {
            match message {
                Ok(Message::Text(text)) => Some(text.as_bytes().to_vec()),
                Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
                Ok(Message::Ping(bytes)) => {
                    let _ = pong.pong(&bytes).await;
                    None
                }
                _ => None,
            }
        }
    });
    let init_state = state.clone();
    let socket = WebSocket::new(
        SubscriptionsOnly(state.schema.clone(), state.limits.clone()),
        input,
        protocol,
    )
    .on_connection_init(move |payload| async move {
        let refused = || async_graphql::Error::new("connection_init needs a valid bearer token");
        let token = token_of(&payload).ok_or_else(refused)?;
        let principal = caller::principal_of_token(&init_state, &token)
            .await
            .map_err(|_| refused())?;
        let mut data = Data::default();
        data.insert(RequestContext {
            request_id,
            principal: Some(principal),
        });
        Ok(data)
    });
    actix_web::rt::spawn(async move {
        let mut socket = std::pin::pin!(socket);
        while let Some(message) = socket.next().await {
            match message {
                WsMessage::Text(text) => {
                    if session.text(text).await.is_err() {
                        return;
                    }
                }
                WsMessage::Close(code, reason) => {
                    let _ = session
                        .close(Some(CloseReason {
                            code: CloseCode::Other(code),
                            description: Some(reason),
                        }))
                        .await;
                    return;
                }
            }
        }
        let _ = session.close(None).await;
    });
    response
}
