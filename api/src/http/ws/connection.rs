//! One WebSocket connection, from the upgrade to the close: one task that reads the
//! client's frames, runs its subscriptions and keeps the time.
//!
//! What it enforces, with the code it closes with (see [`close`]):
//!
//! - `connection_init` within `init_timeout_ms` (4408); a second one (4429); a token
//!   that does not check out (4403); over the subject's connections (1013).
//! - Silence: when nothing at all was heard for half of `idle_timeout_ms` the server
//!   pings (a WebSocket ping, which browsers and WebSocket libraries answer on their
//!   own); after `idle_timeout_ms` of silence it closes (3008).
//! - Messages: over `max_message_bytes`, fragments counted together (1009); not one of
//!   the protocol's (4400); `subscribe` before the acknowledgement (4401) or with the id
//!   of a running subscription (4409).
//! - `subscribe` counts against the subject's rate limit, as an HTTP request does, and
//!   at most `max_subscriptions_per_connection` run at once; either refusal is an
//!   `error` message with `LIMIT_EXCEEDED` for that id, and the connection stays.

use std::{collections::HashMap, sync::Arc, time::Duration};

use actix_ws::{CloseCode, CloseReason, Item, Message, MessageStream, ProtocolError, Session};
use async_graphql::{Data, Response};
use futures_util::{
    StreamExt as _,
    stream::{AbortHandle, BoxStream, SelectAll},
};
use orgdesign_domain::{
    auth::{Principal, RequestContext},
    settings::WebSocketSettings,
};
use tokio::time::{Instant, sleep_until, timeout};

use super::{
    execute,
    protocol::{ClientMessage, Protocol, close},
};
use crate::http::{
    AppState,
    caller::{self, TokenRefusal},
    guard::{self, Share},
};

/// What a subscription's stream yields into the connection's loop.
enum Event {
    /// A result of the subscription with this serial number.
    Next(u64, Box<Response>),
    /// The subscription with this serial number has no more results.
    End(u64),
}

/// A subscription that is running.
struct Running {
    serial: u64,
    stop: AbortHandle,
}

/// Why the loop ends.
enum End {
    /// Close with this code and reason.
    Close(u16, String),
    /// The connection is gone (or cannot be written to): nothing more to send.
    Gone,
}

/// A connection's state; [`Connection::run`] drives it.
pub struct Connection {
    state: Arc<AppState>,
    settings: WebSocketSettings,
    protocol: Protocol,
    request_id: String,
    session: Session,
    /// The connection's place among its client address's; held until it ends.
    _address: Share,
    /// After `connection_init`: the principal, its place among its subject's
    /// connections, and what every subscription's resolvers read.
    acknowledged: Option<(Principal, Share, Arc<Data>)>,
    running: HashMap<String, Running>,
    events: SelectAll<BoxStream<'static, Event>>,
    serials: u64,
    /// A message arriving in fragments, until its last one.
    fragments: Option<Vec<u8>>,
}

impl Connection {
    /// A connection just upgraded, holding its `address` share.
    pub fn new(
        state: Arc<AppState>,
        protocol: Protocol,
        request_id: String,
        session: Session,
        address: Share,
    ) -> Self {
        Self {
            settings: state.sockets.settings.clone(),
            state,
            protocol,
            request_id,
            session,
            _address: address,
            acknowledged: None,
            running: HashMap::new(),
            events: SelectAll::new(),
            serials: 0,
            fragments: None,
        }
    }

    /// Serves the connection until either side ends it, and closes it with the reason.
    pub async fn run(mut self, mut frames: MessageStream) {
        let init_deadline = Instant::now() + Duration::from_millis(self.settings.init_timeout_ms);
        let idle = Duration::from_millis(self.settings.idle_timeout_ms);
        let mut heard = Instant::now();
        let mut pinged = false;
        let end = loop {
            let acknowledged = self.acknowledged.is_some();
            let outcome = tokio::select! {
                frame = frames.next() => {
                    heard = Instant::now();
                    pinged = false;
                    match frame {
                        None => Err(End::Gone),
                        Some(frame) => self.on_frame(frame).await,
                    }
                }
                Some(event) = self.events.next(), if !self.events.is_empty() => {
                    self.on_event(event).await
                }
                () = sleep_until(init_deadline), if !acknowledged => Err(End::Close(
                    close::INIT_TIMEOUT,
                    "Connection initialisation timeout".to_owned(),
                )),
                () = sleep_until(heard + idle) => Err(End::Close(
                    close::IDLE,
                    format!("nothing heard for {} ms", idle.as_millis()),
                )),
                () = sleep_until(heard + idle / 2), if !pinged => {
                    pinged = true;
                    self.send_control(None).await
                }
            };
            if let Err(end) = outcome {
                break end;
            }
        };
        // Subscriptions stop with the connection (their streams are dropped with it).
        if let End::Close(code, reason) = end {
            tracing::debug!(code, %reason, request_id = %self.request_id, "closing a WebSocket");
            let close = self.session.close(Some(CloseReason {
                code: CloseCode::from(code),
                description: Some(reason),
            }));
            // A client that reads nothing cannot hold the task: the close is given as
            // long as any other message.
            timeout(idle, close).await.ok();
        }
    }

    /// Sends `text`; a client that does not take it within the idle timeout is gone.
    async fn send(&mut self, text: String) -> Result<(), End> {
        let idle = Duration::from_millis(self.settings.idle_timeout_ms);
        match timeout(idle, self.session.text(text)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(End::Gone),
        }
    }

    /// Sends a WebSocket ping (`pong` is `None`) or the pong answering the client's.
    async fn send_control(&mut self, pong: Option<&[u8]>) -> Result<(), End> {
        let idle = Duration::from_millis(self.settings.idle_timeout_ms);
        let sent = match pong {
            None => timeout(idle, self.session.ping(b"")).await,
            Some(bytes) => timeout(idle, self.session.pong(bytes)).await,
        };
        match sent {
            Ok(Ok(())) => Ok(()),
            _ => Err(End::Gone),
        }
    }

    /// One frame from the client.
    async fn on_frame(&mut self, frame: Result<Message, ProtocolError>) -> Result<(), End> {
        let max = self.settings.max_message_bytes;
        let too_big = || {
            End::Close(
                close::TOO_BIG,
                format!("a message may have at most {max} bytes"),
            )
        };
        let message = match frame {
            Ok(message) => message,
            Err(ProtocolError::Overflow) => return Err(too_big()),
            Err(ProtocolError::Io(err)) if err.kind() == std::io::ErrorKind::InvalidData => {
                return Err(End::Close(
                    close::INVALID_DATA,
                    "a text frame must be UTF-8".to_owned(),
                ));
            }
            Err(ProtocolError::Io(_)) => return Err(End::Gone),
            Err(err) => {
                return Err(End::Close(close::PROTOCOL_ERROR, err.to_string()));
            }
        };
        match message {
            Message::Text(text) => self.on_message(text.as_bytes()).await,
            Message::Binary(bytes) => self.on_message(&bytes).await,
            Message::Continuation(item) => {
                let (first, bytes, last) = match item {
                    Item::FirstText(bytes) | Item::FirstBinary(bytes) => (true, bytes, false),
                    Item::Continue(bytes) => (false, bytes, false),
                    Item::Last(bytes) => (false, bytes, true),
                };
                let buffer = match (first, self.fragments.as_mut()) {
                    (true, None) => self.fragments.insert(Vec::new()),
                    (false, Some(buffer)) => buffer,
                    _ => {
                        return Err(End::Close(
                            close::PROTOCOL_ERROR,
                            "fragments out of order".to_owned(),
                        ));
                    }
                };
                if buffer.len() + bytes.len() > max {
                    return Err(too_big());
                }
                buffer.extend_from_slice(&bytes);
                if last {
                    let whole = self.fragments.take().unwrap_or_default();
                    self.on_message(&whole).await
                } else {
                    Ok(())
                }
            }
            Message::Ping(bytes) => self.send_control(Some(&bytes)).await,
            Message::Pong(_) | Message::Nop => Ok(()),
            Message::Close(_) => Err(End::Close(close::NORMAL, String::new())),
        }
    }

    /// One protocol message from the client.
    async fn on_message(&mut self, bytes: &[u8]) -> Result<(), End> {
        let message =
            ClientMessage::parse(bytes).map_err(|reason| End::Close(close::BAD_REQUEST, reason))?;
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.acknowledged.is_some() {
                    return Err(End::Close(
                        close::TOO_MANY_INITS,
                        "Too many initialisation requests".to_owned(),
                    ));
                }
                self.init(payload.unwrap_or_default()).await
            }
            ClientMessage::Subscribe { id, payload } => self.subscribe(id, *payload).await,
            ClientMessage::Complete { id } => {
                if let Some(running) = self.running.remove(&id) {
                    running.stop.abort();
                    // The older protocol's server confirms a `stop`; graphql-transport-ws
                    // expects nothing back.
                    if self.protocol == Protocol::LegacyWs {
                        return self.send(self.protocol.complete(&id)).await;
                    }
                }
                Ok(())
            }
            ClientMessage::Ping {} => self.send(self.protocol.pong()).await,
            ClientMessage::Pong {} => Ok(()),
            ClientMessage::ConnectionTerminate => Err(End::Close(close::NORMAL, String::new())),
        }
    }

    /// `connection_init`: checks the token and the subject's connections, and
    /// acknowledges.
    async fn init(&mut self, payload: serde_json::Value) -> Result<(), End> {
        let refused = "connection_init needs a valid bearer token";
        let principal = match super::token_of(&payload) {
            None => Err(TokenRefusal::Invalid(refused)),
            Some(token) => caller::principal_of_token(&self.state, &token).await,
        };
        let principal = match principal {
            Ok(principal) => principal,
            Err(refusal) => {
                let (code, message) = match refusal {
                    TokenRefusal::Invalid(advice) => ("UNAUTHENTICATED", advice),
                    TokenRefusal::Unavailable => (
                        "UNAVAILABLE",
                        "tokens cannot be checked right now, try again later",
                    ),
                };
                if let Some(text) = self.protocol.connection_error(code, message) {
                    self.send(text).await?;
                }
                let close = match refusal {
                    TokenRefusal::Invalid(_) => close::FORBIDDEN,
                    TokenRefusal::Unavailable => close::TRY_AGAIN_LATER,
                };
                // The close reason holds 123 bytes: the short form; the protocol's
                // error message above says which way the token failed.
                let reason = match refusal {
                    TokenRefusal::Invalid(_) => refused,
                    TokenRefusal::Unavailable => message,
                };
                return Err(End::Close(close, format!("Forbidden: {reason}")));
            }
        };
        let share = match self
            .state
            .sockets
            .by_subject
            .take(guard::subject_key(&principal), 1)
        {
            Ok(share) => share,
            Err(_) => {
                let message = format!(
                    "this subject has {} connections open already",
                    self.settings.max_connections_per_subject
                );
                if let Some(text) = self.protocol.connection_error("LIMIT_EXCEEDED", &message) {
                    self.send(text).await?;
                }
                return Err(End::Close(close::TRY_AGAIN_LATER, message));
            }
        };
        let mut data = Data::default();
        data.insert(RequestContext {
            request_id: self.request_id.clone(),
            principal: Some(principal.clone()),
        });
        self.acknowledged = Some((principal, share, Arc::new(data)));
        self.send(self.protocol.ack()).await
    }

    /// `subscribe`: the checks of the connection, then the subscription runs.
    async fn subscribe(&mut self, id: String, request: async_graphql::Request) -> Result<(), End> {
        let Some((subject, data)) = self
            .acknowledged
            .as_ref()
            .map(|(principal, _, data)| (guard::subject_key(principal), data.clone()))
        else {
            return Err(End::Close(close::UNAUTHORIZED, "Unauthorized".to_owned()));
        };
        if self.running.contains_key(&id) {
            // The id is the client's own, so it can be cut to fit a close reason.
            let shown: String = id.chars().take(64).collect();
            return Err(End::Close(
                close::SUBSCRIBER_EXISTS,
                format!("Subscriber for {shown} already exists"),
            ));
        }
        if let Err(wait) = self.state.rate_limit.check(&subject) {
            let seconds = wait.as_secs().max(1);
            let text = self.protocol.error(
                &id,
                "LIMIT_EXCEEDED",
                &format!("too many requests; retry in {seconds} s"),
            );
            return self.send(text).await;
        }
        let max = self.settings.max_subscriptions_per_connection;
        if self.running.len() >= max {
            let text = self.protocol.error(
                &id,
                "LIMIT_EXCEEDED",
                &format!("a connection may run at most {max} subscriptions; complete one first"),
            );
            return self.send(text).await;
        }
        let stream = execute(&self.state, request, data);
        let (stream, stop) = futures_util::stream::abortable(stream);
        self.serials += 1;
        let serial = self.serials;
        self.running.insert(id, Running { serial, stop });
        self.events.push(
            stream
                .map(move |response| Event::Next(serial, Box::new(response)))
                .chain(futures_util::stream::once(
                    async move { Event::End(serial) },
                ))
                .boxed(),
        );
        Ok(())
    }

    /// A result, or the end, of a subscription. One the client completed meanwhile is
    /// no longer among the running, and what it still yields is dropped.
    async fn on_event(&mut self, event: Event) -> Result<(), End> {
        let serial = match &event {
            Event::Next(serial, _) | Event::End(serial) => *serial,
        };
        let Some(id) = self
            .running
            .iter()
            .find(|(_, running)| running.serial == serial)
            .map(|(id, _)| id.clone())
        else {
            return Ok(());
        };
        match event {
            Event::Next(_, response) => self.send(self.protocol.next(&id, &response)).await,
            Event::End(_) => {
                self.running.remove(&id);
                self.send(self.protocol.complete(&id)).await
            }
        }
    }
}
