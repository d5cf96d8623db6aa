//! What a WebSocket connection may take, and the codes it is closed with when it takes
//! more: `connection_init` in time (4408), an idle close (3008), at most so many
//! subscriptions per connection and connections per subject and client address, the
//! rate limit on `subscribe`, messages up to a size (1009), the protocol's own rules
//! (4400, 4401, 4409, 4429), and a code on every error.
//!
//! Most of these need no database. Where a subscription must really run (it reads its
//! organization), the test runs on each backend.

use std::time::Duration;

use futures_util::SinkExt as _;
use orgdesign_domain::auth::Role;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::Instant,
};
use tokio_tungstenite::tungstenite::{self, Message};
use uuid::Uuid;

use crate::{
    helpers::{Backend, TestApp, backends, spawn_app_with, wait_for},
    subscriptions::{
        ANSWER, Heard, Socket, connect, errors_of, expect_message, hear, init, subscribe, try_open,
    },
};

const KPI_EVENTS: &str =
    "subscription($o: ID!) { kpiPointsRecorded(organizationId: $o) { inserted } }";

/// The close code and reason the server sent next; fails saying what came instead.
async fn expect_close(socket: &mut Socket, what: &str) -> (u16, String) {
    match hear(socket, ANSWER).await {
        Heard::Closed(Some(close)) => close,
        other => panic!("waiting for {what}, heard {other}"),
    }
}

/// A connection that has been acknowledged.
async fn acknowledged(app: &TestApp, token: &str) -> Socket {
    let mut socket = connect(&app.address, token).await;
    let ack = expect_message(&mut socket, "connection_ack").await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    socket
}

/// A token for a subject of its own (tokens of one role share a subject).
fn token_of_subject(app: &TestApp, subject: &str) -> String {
    app.keys
        .mint(
            subject,
            Role::Viewer,
            vec![Uuid::now_v7()],
            Duration::from_secs(600),
            Uuid::now_v7().to_string(),
        )
        .unwrap()
}

#[tokio::test]
async fn connections_that_never_send_connection_init_are_closed_with_4408_in_time() {
    const INIT: Duration = Duration::from_millis(500);
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.websocket.init_timeout_ms = INIT.as_millis() as u64;
    })
    .await;
    // Before, such sockets stayed open as long as their clients liked.
    let started = Instant::now();
    let mut sockets = Vec::new();
    for _ in 0..100 {
        sockets.push(
            try_open(&app.address, "graphql-transport-ws")
                .await
                .unwrap(),
        );
    }
    for socket in &mut sockets {
        let (code, reason) = expect_close(socket, "the init timeout").await;
        assert_eq!(
            (code, reason.as_str()),
            (4408, "Connection initialisation timeout")
        );
    }
    let took = started.elapsed();
    eprintln!("100 sockets without connection_init all closed with 4408 after {took:?}");
    assert!(
        took >= INIT && took < INIT + Duration::from_secs(3),
        "{took:?}"
    );
}

/// A WebSocket client written by hand over TCP, which answers nothing by itself (a
/// library client answers pings as it reads).
struct RawSocket(TcpStream);

impl RawSocket {
    async fn open(app: &TestApp) -> Self {
        let host = app.address.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).await.unwrap();
        let head = format!(
            "GET /graphql HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut received = Vec::new();
        while !received.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            stream.read_exact(&mut byte).await.unwrap();
            received.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&received);
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        Self(stream)
    }

    /// Sends one masked frame (`opcode`, `fin`), as a client must.
    async fn send_frame(&mut self, opcode: u8, fin: bool, payload: &[u8]) {
        let mut frame = vec![if fin { 0x80 } else { 0 } | opcode];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= usize::from(u16::MAX) => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [7u8, 21, 42, 99];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        // The server may have closed already: that is for the reader to see.
        self.0.write_all(&frame).await.ok();
    }

    async fn send_text(&mut self, text: &str) {
        self.send_frame(0x1, true, text.as_bytes()).await;
    }

    /// The next frame from the server: its opcode and payload; `None` at the end.
    async fn frame(&mut self, within: Duration) -> Option<(u8, Vec<u8>)> {
        let read = async {
            let mut head = [0u8; 2];
            self.0.read_exact(&mut head).await.ok()?;
            let length = match head[1] & 0x7f {
                126 => {
                    let mut n = [0u8; 2];
                    self.0.read_exact(&mut n).await.ok()?;
                    usize::from(u16::from_be_bytes(n))
                }
                127 => {
                    let mut n = [0u8; 8];
                    self.0.read_exact(&mut n).await.ok()?;
                    usize::try_from(u64::from_be_bytes(n)).ok()?
                }
                n => usize::from(n),
            };
            let mut payload = vec![0u8; length];
            self.0.read_exact(&mut payload).await.ok()?;
            Some((head[0] & 0x0f, payload))
        };
        tokio::time::timeout(within, read).await.ok().flatten()
    }

    /// Reads frames until a close frame; its code and when it came. Pings are noted.
    async fn until_close(&mut self, within: Duration) -> (u16, Instant, usize) {
        let mut pings = 0;
        loop {
            match self.frame(within).await {
                Some((0x8, payload)) => {
                    let code = u16::from_be_bytes([payload[0], payload[1]]);
                    return (code, Instant::now(), pings);
                }
                Some((0x9, _)) => pings += 1,
                Some(_) => {}
                None => panic!("the connection ended without a close frame"),
            }
        }
    }
}

#[tokio::test]
async fn a_silent_connection_is_pinged_then_closed_with_3008_but_a_live_one_stays() {
    const IDLE: Duration = Duration::from_millis(1_000);
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.websocket.idle_timeout_ms = IDLE.as_millis() as u64;
    })
    .await;

    // A client that answers nothing: acknowledged, then silent.
    let mut silent = RawSocket::open(&app).await;
    let init_message =
        json!({ "type": "connection_init", "payload": { "token": app.admin_token } });
    silent.send_text(&init_message.to_string()).await;
    let (opcode, ack) = silent.frame(ANSWER).await.expect("connection_ack");
    assert_eq!(opcode, 0x1);
    assert_eq!(
        serde_json::from_slice::<Value>(&ack).unwrap()["type"],
        "connection_ack"
    );
    let acknowledged_at = Instant::now();
    let (code, closed_at, pings) = silent.until_close(ANSWER).await;
    let silence = closed_at - acknowledged_at;
    eprintln!("a silent connection: {pings} ping(s), closed with {code} after {silence:?}");
    assert_eq!(code, 3008);
    assert!(pings >= 1, "the server pings before it gives up");
    assert!(
        silence >= IDLE - Duration::from_millis(100) && silence < IDLE + Duration::from_secs(2),
        "{silence:?}"
    );

    // A library client answers the server's pings as it reads: it stays, though it
    // sends nothing of its own for three idle timeouts.
    let mut live = acknowledged(&app, &app.admin_token).await;
    match hear(&mut live, IDLE * 3).await {
        Heard::Silence(_) => {}
        other => panic!("a live connection heard {other}"),
    }
}

#[tokio::test]
async fn a_message_over_the_limit_closes_the_connection_with_1009_whole_or_in_fragments() {
    const MAX: usize = 4 * 1024;
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.websocket.max_message_bytes = MAX;
    })
    .await;
    // Under the limit, a message is read (a ping is answered).
    let mut socket = acknowledged(&app, &app.admin_token).await;
    let ping = json!({ "type": "ping", "payload": { "pad": "x".repeat(MAX - 100) } });
    socket.send(Message::text(ping.to_string())).await.unwrap();
    assert_eq!(expect_message(&mut socket, "pong").await["type"], "pong");
    // Over it, the connection is closed, where it used to be dropped without a word.
    let big = json!({ "type": "ping", "payload": { "pad": "x".repeat(MAX) } });
    socket.send(Message::text(big.to_string())).await.unwrap();
    let (code, _) = expect_close(&mut socket, "the close for a large message").await;
    assert_eq!(code, 1009);

    // Fragments count together: two of 3 KiB are over 4 KiB.
    let mut raw = RawSocket::open(&app).await;
    let part = vec![b' '; 3 * 1024];
    raw.send_frame(0x1, false, &part).await;
    raw.send_frame(0x0, true, &part).await;
    let (code, _, _) = raw.until_close(ANSWER).await;
    assert_eq!(code, 1009);
}

#[tokio::test]
async fn protocol_violations_close_with_the_graphql_transport_ws_codes() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await;
    let token = app.admin_token.clone();
    let subscribe_message =
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { x }" } })
            .to_string();

    let mut early = try_open(&app.address, "graphql-transport-ws")
        .await
        .unwrap();
    early.send(Message::text(subscribe_message)).await.unwrap();
    assert_eq!(expect_close(&mut early, "4401").await.0, 4401);

    let mut twice = acknowledged(&app, &token).await;
    init(&mut twice, &token).await;
    assert_eq!(expect_close(&mut twice, "4429").await.0, 4429);

    let mut garbage = acknowledged(&app, &token).await;
    garbage
        .send(Message::text(r#"{"type":"launch"}"#))
        .await
        .unwrap();
    let (code, reason) = expect_close(&mut garbage, "4400").await;
    assert_eq!(code, 4400, "{reason}");
}

#[tokio::test]
async fn errors_sent_over_the_websocket_carry_a_code_in_either_protocol() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await;
    // A subscription that does not validate answers its errors, each with a code.
    let mut socket = acknowledged(&app, &app.admin_token).await;
    subscribe(&mut socket, "v", "subscription { nope }", json!({})).await;
    let answer = expect_message(&mut socket, "the validation error").await;
    let errors = errors_of(&answer).as_array().unwrap();
    assert!(!errors.is_empty(), "{answer}");
    for error in errors {
        assert_eq!(
            error["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{answer}"
        );
    }

    // graphql-ws (subscriptions-transport-ws): a refused token gets a
    // `connection_error` with a code, then the close.
    let mut legacy = try_open(&app.address, "graphql-ws").await.unwrap();
    init(&mut legacy, "not-a-token").await;
    let refused = expect_message(&mut legacy, "connection_error").await;
    assert_eq!(refused["type"], "connection_error", "{refused}");
    assert_eq!(
        refused["payload"]["extensions"]["code"], "UNAUTHENTICATED",
        "{refused}"
    );
    assert_eq!(expect_close(&mut legacy, "4403").await.0, 4403);
}

#[tokio::test]
async fn connections_are_capped_per_subject_after_init_and_per_address_before_the_upgrade() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.websocket.max_connections_per_subject = 2;
        s.websocket.max_connections_per_address = 3;
    })
    .await;
    let alice = token_of_subject(&app, "alice");
    let _first = acknowledged(&app, &alice).await;
    let _second = acknowledged(&app, &alice).await;
    let mut third = connect(&app.address, &alice).await;
    let (code, reason) = expect_close(&mut third, "the subject's cap").await;
    assert_eq!(code, 1013, "{reason}");
    drop(third);

    // The third's place among the address's is given back when it closes: another
    // subject gets it, and then the address is full.
    let bob = token_of_subject(&app, "bob");
    let _bobs = wait_for("the third connection's place", ANSWER, || async {
        let mut socket = try_open(&app.address, "graphql-transport-ws").await.ok()?;
        init(&mut socket, &bob).await;
        match hear(&mut socket, ANSWER).await {
            Heard::Message(ack) if ack["type"] == "connection_ack" => Some(socket),
            _ => None,
        }
    })
    .await;
    match try_open(&app.address, "graphql-transport-ws").await {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429);
            assert!(response.headers().contains_key("retry-after"));
            let body: Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
        }
        Err(other) => panic!("the fourth connection of the address: {other}"),
        Ok(_) => panic!("the fourth connection of the address was upgraded"),
    }
}

#[tokio::test]
async fn subscriptions_per_connection_are_capped_and_a_duplicate_id_closes_with_4409() {
    for backend in backends() {
        let app = spawn_app_with(backend, |s| {
            s.websocket.max_subscriptions_per_connection = 3;
        })
        .await;
        let org = app.create_org("capped-subscriptions").await;
        let mut socket = acknowledged(&app, &app.admin_token).await;
        for id in ["1", "2", "3", "4"] {
            subscribe(&mut socket, id, KPI_EVENTS, json!({ "o": org })).await;
        }
        // Before, 5,000 were taken on one connection, and one push made 5,000 events.
        let refused = expect_message(&mut socket, "the refusal of the fourth").await;
        assert_eq!(refused["type"], "error", "[{backend:?}] {refused}");
        assert_eq!(refused["id"], "4");
        assert_eq!(
            refused["payload"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
            "[{backend:?}] {refused}"
        );
        // The connection stays: completing one makes room for one more, no more.
        socket
            .send(Message::text(
                json!({ "id": "1", "type": "complete" }).to_string(),
            ))
            .await
            .unwrap();
        subscribe(&mut socket, "5", KPI_EVENTS, json!({ "o": org })).await;
        subscribe(&mut socket, "6", KPI_EVENTS, json!({ "o": org })).await;
        let refused = expect_message(&mut socket, "the refusal of the sixth").await;
        assert_eq!(
            (refused["type"].as_str(), refused["id"].as_str()),
            (Some("error"), Some("6")),
            "[{backend:?}] the fifth was taken: {refused}"
        );
        // An id in use closes the connection, as graphql-transport-ws specifies.
        subscribe(&mut socket, "2", KPI_EVENTS, json!({ "o": org })).await;
        let (code, reason) = expect_close(&mut socket, "4409").await;
        assert_eq!(
            (code, reason.as_str()),
            (4409, "Subscriber for 2 already exists")
        );
    }
}

#[tokio::test]
async fn subscribe_messages_count_against_the_subjects_rate_limit() {
    for backend in backends() {
        let app = spawn_app_with(backend, |s| {
            s.limits.requests_per_minute = 1;
            s.limits.request_burst = 2;
        })
        .await;
        let org = app.create_org("rate-limited-subscriptions").await;
        let viewer = app.token(Role::Viewer, &[&org]);
        let mut socket = acknowledged(&app, &viewer).await;
        for id in ["1", "2", "3"] {
            subscribe(&mut socket, id, KPI_EVENTS, json!({ "o": org })).await;
        }
        let refused = expect_message(&mut socket, "the refusal of the third").await;
        assert_eq!(
            (refused["type"].as_str(), refused["id"].as_str()),
            (Some("error"), Some("3")),
            "[{backend:?}] {refused}"
        );
        assert_eq!(
            refused["payload"][0]["extensions"]["code"],
            "LIMIT_EXCEEDED"
        );
        assert!(
            refused["payload"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("too many requests"),
            "{refused}"
        );
    }
}
