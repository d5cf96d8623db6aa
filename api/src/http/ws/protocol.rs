//! The messages of the two GraphQL-over-WebSocket protocols orgdesign speaks, and the
//! close codes it uses.
//!
//! - `graphql-transport-ws`, the protocol of the graphql-ws library
//!   (<https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md>): `subscribe`,
//!   `next`, `error` (a list of errors), `complete`, `ping` and `pong`.
//! - `graphql-ws`, the older subscriptions-transport-ws protocol, for clients that still
//!   speak it: `start`, `data`, `error` (one error), `complete`, `stop`,
//!   `connection_error` and `connection_terminate`.
//!
//! A client message is read under either protocol's names (`subscribe` or `start`,
//! `complete` or `stop`), as async-graphql's own server did, so a client that mixes
//! them up keeps working. Every error sent carries `extensions.code`.

use async_graphql::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Close codes. Those from 4400 on are graphql-transport-ws's; the others are
/// WebSocket's own (RFC 6455 and the IANA registry).
pub mod close {
    /// A message that is not one of the protocol's (graphql-transport-ws: 4400).
    pub const BAD_REQUEST: u16 = 4400;
    /// `subscribe` before the connection was acknowledged.
    pub const UNAUTHORIZED: u16 = 4401;
    /// `connection_init` without a bearer token that checks out.
    pub const FORBIDDEN: u16 = 4403;
    /// No `connection_init` within the init timeout.
    pub const INIT_TIMEOUT: u16 = 4408;
    /// `subscribe` with the id of a subscription still running.
    pub const SUBSCRIBER_EXISTS: u16 = 4409;
    /// A second `connection_init`.
    pub const TOO_MANY_INITS: u16 = 4429;
    /// Nothing heard within the idle timeout (IANA: "Timeout").
    pub const IDLE: u16 = 3008;
    /// The peer broke the WebSocket protocol itself.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// A message over `max_message_bytes`.
    pub const TOO_BIG: u16 = 1009;
    /// Over a cap on connections; a later attempt may succeed.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The client ended the connection (`connection_terminate`, or its own close).
    pub const NORMAL: u16 = 1000;
}

/// The protocol a connection speaks, chosen from `Sec-WebSocket-Protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws`.
    TransportWs,
    /// `graphql-ws` (subscriptions-transport-ws).
    LegacyWs,
}

impl Protocol {
    /// The subprotocols offered in the handshake, the current one first.
    pub const NAMES: [&'static str; 2] = ["graphql-transport-ws", "graphql-ws"];

    /// The first protocol of `offered` (a `Sec-WebSocket-Protocol` value) that orgdesign
    /// speaks; `graphql-transport-ws` when none is.
    pub fn negotiate(offered: &str) -> Self {
        offered
            .split(',')
            .map(str::trim)
            .find_map(|name| {
                if name.eq_ignore_ascii_case("graphql-transport-ws") {
                    Some(Self::TransportWs)
                } else if name.eq_ignore_ascii_case("graphql-ws") {
                    Some(Self::LegacyWs)
                } else {
                    None
                }
            })
            .unwrap_or(Self::TransportWs)
    }
}

/// A message from the client.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    ConnectionInit {
        payload: Option<Value>,
    },
    #[serde(alias = "start")]
    Subscribe {
        id: String,
        payload: Box<async_graphql::Request>,
    },
    #[serde(alias = "stop")]
    Complete {
        id: String,
    },
    ConnectionTerminate,
    /// Its payload, if any, is not read: the `pong` carries none.
    Ping {},
    Pong {},
}

impl ClientMessage {
    /// Reads a text or binary frame's bytes; the error says what is wrong, for the close
    /// reason.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|err| {
            let mut reason = format!("Invalid message: {err}");
            // A close reason holds at most 123 bytes.
            let mut end = reason.len().min(120);
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
            reason
        })
    }
}

/// A message to the client, as text.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ServerMessage<'a> {
    ConnectionAck,
    ConnectionError { payload: Value },
    Next { id: &'a str, payload: &'a Response },
    Data { id: &'a str, payload: &'a Response },
    Error { id: &'a str, payload: Value },
    Complete { id: &'a str },
    Pong,
}

/// One error in the shape GraphQL errors have, with its code.
pub fn error(code: &str, message: &str) -> Value {
    json!({ "message": message, "extensions": { "code": code } })
}

impl Protocol {
    fn text(message: &ServerMessage<'_>) -> String {
        // Serializing these types cannot fail: every key is a string.
        serde_json::to_string(message).unwrap_or_default()
    }

    /// `connection_ack`.
    pub fn ack(self) -> String {
        Self::text(&ServerMessage::ConnectionAck)
    }

    /// `pong`, the answer to a `ping` (graphql-transport-ws).
    pub fn pong(self) -> String {
        Self::text(&ServerMessage::Pong)
    }

    /// A result of subscription `id`: `next`, or `data` under graphql-ws.
    pub fn next(self, id: &str, payload: &Response) -> String {
        Self::text(&match self {
            Self::TransportWs => ServerMessage::Next { id, payload },
            Self::LegacyWs => ServerMessage::Data { id, payload },
        })
    }

    /// `complete`: subscription `id` is over.
    pub fn complete(self, id: &str) -> String {
        Self::text(&ServerMessage::Complete { id })
    }

    /// `error`: subscription `id` was refused and is over (no `complete` follows). A
    /// list of errors under graphql-transport-ws, one error under graphql-ws.
    pub fn error(self, id: &str, code: &str, message: &str) -> String {
        let one = error(code, message);
        let payload = match self {
            Self::TransportWs => Value::Array(vec![one]),
            Self::LegacyWs => one,
        };
        Self::text(&ServerMessage::Error { id, payload })
    }

    /// `connection_error` (graphql-ws only, sent before the close), or nothing.
    pub fn connection_error(self, code: &str, message: &str) -> Option<String> {
        (self == Self::LegacyWs).then(|| {
            Self::text(&ServerMessage::ConnectionError {
                payload: error(code, message),
            })
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly
mod tests {
    use super::*;

    #[test]
    fn the_first_protocol_orgdesign_speaks_is_chosen() {
        assert_eq!(
            Protocol::negotiate("graphql-ws, graphql-transport-ws"),
            Protocol::LegacyWs
        );
        assert_eq!(
            Protocol::negotiate("chat, GraphQL-Transport-WS"),
            Protocol::TransportWs
        );
        assert_eq!(Protocol::negotiate(""), Protocol::TransportWs);
    }

    #[test]
    fn client_messages_are_read_under_either_protocols_names() {
        for text in [
            r#"{"type":"subscribe","id":"1","payload":{"query":"subscription { a }"}}"#,
            r#"{"type":"start","id":"1","payload":{"query":"subscription { a }"}}"#,
        ] {
            assert!(matches!(
                ClientMessage::parse(text.as_bytes()),
                Ok(ClientMessage::Subscribe { id, .. }) if id == "1"
            ));
        }
        assert!(matches!(
            ClientMessage::parse(br#"{"type":"stop","id":"1"}"#),
            Ok(ClientMessage::Complete { .. })
        ));
        assert!(matches!(
            ClientMessage::parse(br#"{"type":"connection_init"}"#),
            Ok(ClientMessage::ConnectionInit { payload: None })
        ));
        let refused = ClientMessage::parse(br#"{"type":"subscribe"}"#).unwrap_err();
        assert!(refused.starts_with("Invalid message"), "{refused}");
        assert!(ClientMessage::parse(&[b'x'; 500]).unwrap_err().len() <= 123);
    }

    #[test]
    fn errors_carry_a_code_in_either_protocol() {
        let list: Value =
            serde_json::from_str(&Protocol::TransportWs.error("7", "LIMIT_EXCEEDED", "no"))
                .unwrap();
        assert_eq!(
            list,
            json!({ "id": "7", "type": "error", "payload": [
                { "message": "no", "extensions": { "code": "LIMIT_EXCEEDED" } }] })
        );
        let one: Value =
            serde_json::from_str(&Protocol::LegacyWs.error("7", "LIMIT_EXCEEDED", "no")).unwrap();
        assert_eq!(one["payload"]["extensions"]["code"], "LIMIT_EXCEEDED");
        let refused: Value = serde_json::from_str(
            &Protocol::LegacyWs
                .connection_error("UNAUTHENTICATED", "no")
                .unwrap(),
        )
        .unwrap();
        assert_eq!(refused["type"], "connection_error");
        assert_eq!(refused["payload"]["extensions"]["code"], "UNAUTHENTICATED");
        assert!(
            Protocol::TransportWs
                .connection_error("UNAUTHENTICATED", "no")
                .is_none()
        );
    }
}
