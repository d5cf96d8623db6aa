//! Subscriptions over graphql-ws: authentication in connection_init, per-principal
//! filters, and events crossing server instances through PostgreSQL.
//!
//! The protocol does not tell a client when its subscription has been registered, and
//! events published before that are not delivered. So a test that needs an event
//! triggers one, listens a moment, and triggers again until one arrives (bounded):
//! the first event proves the subscription is live. Events reach a subscriber in the
//! order they were published, so "no event for X" is shown by the next event being
//! the one for a later Y, not by a silence of some length.

use std::{
    future::Future,
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use futures_util::{SinkExt, StreamExt};
use orgdesign_domain::auth::Role;
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

use crate::helpers::{
    Backend, SendJson, ServerProcess, TestApp, backends, fresh_database, require_postgres,
    spawn_app,
};

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const PUSH: &str = "mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted } }";

/// How long the server may take to answer a protocol message.
pub(crate) const ANSWER: Duration = Duration::from_secs(10);

/// How long to listen for the event of one trigger before triggering again.
const LISTEN: Duration = Duration::from_millis(200);

/// How long triggering may go on before a subscription counts as never registered.
const REGISTRATION: Duration = Duration::from_secs(15);

/// Opens a WebSocket to `/graphql` offering `protocol`, or gives the handshake's error.
pub(crate) async fn try_open(
    http_address: &str,
    protocol: &'static str,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let url = format!("{}/graphql", http_address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(protocol));
    let (socket, response) =
        tokio::time::timeout(ANSWER, tokio_tungstenite::connect_async(request))
            .await
            .expect("the WebSocket handshake completes in time")?;
    assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
    Ok(socket)
}

/// Sends `connection_init` with `token`.
pub(crate) async fn init(socket: &mut Socket, token: &str) {
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await.unwrap();
}

/// Opens a graphql-transport-ws connection and sends `connection_init` with `token`.
pub(crate) async fn connect(http_address: &str, token: &str) -> Socket {
    let mut socket = try_open(http_address, "graphql-transport-ws")
        .await
        .expect("the WebSocket handshake succeeds");
    init(&mut socket, token).await;
    socket
}

/// What the server did next on a connection.
#[derive(Debug)]
pub(crate) enum Heard {
    /// A protocol message (pings are answered and skipped).
    Message(Value),
    /// A close frame: its code and reason, if it carried them.
    Closed(Option<(u16, String)>),
    /// The connection ended without a close frame.
    Ended(String),
    /// Nothing at all within the wait.
    Silence(Duration),
}

impl std::fmt::Display for Heard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Message(message) => write!(f, "the message {message}"),
            Self::Closed(Some((code, reason))) => {
                write!(f, "a close frame with code {code} ({reason:?})")
            }
            Self::Closed(None) => write!(f, "a close frame without a code"),
            Self::Ended(why) => write!(f, "the connection ending without a close frame: {why}"),
            Self::Silence(wait) => write!(f, "nothing at all within {wait:?}"),
        }
    }
}

/// A graphql-transport-ws connection with `token`, acknowledged by the server.
pub(crate) async fn connected(http_address: &str, token: &str) -> Socket {
    let mut socket = connect(http_address, token).await;
    let ack = expect_message(&mut socket, "connection_ack").await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    socket
}

/// The server's next protocol message, close or end, or `Silence` after `wait`.
pub(crate) async fn hear(socket: &mut Socket, wait: Duration) -> Heard {
    let deadline = Instant::now() + wait;
    loop {
        let message = match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return Heard::Silence(wait),
            Ok(None) => return Heard::Ended("the stream ended".to_owned()),
            Ok(Some(Err(err))) => return Heard::Ended(err.to_string()),
            Ok(Some(Ok(message))) => message,
        };
        match message {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] == "ping" {
                    socket
                        .send(Message::text(json!({ "type": "pong" }).to_string()))
                        .await
                        .unwrap();
                    continue;
                }
                return Heard::Message(value);
            }
            Message::Close(frame) => {
                return Heard::Closed(
                    frame.map(|frame| (u16::from(frame.code), frame.reason.to_string())),
                );
            }
            _ => continue,
        }
    }
}

/// The server's next protocol message; fails saying what came instead of `what`.
pub(crate) async fn expect_message(socket: &mut Socket, what: &str) -> Value {
    match hear(socket, ANSWER).await {
        Heard::Message(message) => message,
        other => panic!("waiting for {what}, heard {other}"),
    }
}

/// Calls `trigger` (with 0, 1, 2, ...) and listens [`LISTEN`] for a message, until one
/// arrives or [`REGISTRATION`] has passed; returns the message (an event, or the
/// refusal of the subscription) and how many triggers it took.
pub(crate) async fn first_message<F, Fut>(
    socket: &mut Socket,
    what: &str,
    mut trigger: F,
) -> (Value, u32)
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = ()>,
{
    let deadline = Instant::now() + REGISTRATION;
    let mut triggers = 0;
    loop {
        trigger(triggers).await;
        triggers += 1;
        match hear(socket, LISTEN).await {
            Heard::Message(message) => return (message, triggers),
            Heard::Silence(_) => assert!(
                Instant::now() < deadline,
                "{what}: nothing within {REGISTRATION:?} and {triggers} triggers"
            ),
            other => panic!("{what}: heard {other}"),
        }
    }
}

pub(crate) async fn subscribe(socket: &mut Socket, id: &str, query: &str, variables: Value) {
    let message = json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } });
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
}

fn points(kpi: &str, day: &str) -> Value {
    json!([{ "kpi": kpi, "granularity": "DAY", "periodStart": day, "value": "4", "source": "crm" }])
}

/// The `n`th day from `start`, as periodStart.
fn day(start: &str, n: u32) -> String {
    let start = chrono::NaiveDate::parse_from_str(start, "%Y-%m-%d").unwrap();
    (start + chrono::Duration::days(n.into())).to_string()
}

/// The errors of a refused operation: an `error` message, or a `next` carrying errors.
pub(crate) fn errors_of(message: &Value) -> &Value {
    if message["type"] == "error" {
        &message["payload"]
    } else {
        &message["payload"]["errors"]
    }
}

#[tokio::test]
async fn a_subscriber_sees_pushes_to_its_organization_only() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let own = app.create_org("live-own").await;
        let other = app.create_org("live-other").await;
        let viewer = app.token(Role::Viewer, &[&own]);
        let mut socket = connected(&app.address, &viewer).await;
        let query = "subscription($o: ID!) { kpiPointsRecorded(organizationId: $o) { organizationId kpiKeys inserted } }";
        subscribe(&mut socket, "own", query, json!({ "o": own })).await;
        subscribe(&mut socket, "other", query, json!({ "o": other })).await;
        let refused = expect_message(&mut socket, "the refusal of `other`").await;
        assert_eq!(refused["id"], "other", "{refused}");
        // The subscription resolver refuses before any stream starts: its error comes
        // as the result of that subscription (then it completes).
        assert_eq!(
            errors_of(&refused)[0]["extensions"]["code"],
            "NOT_FOUND",
            "{refused}"
        );
        let completed = expect_message(&mut socket, "`other` to complete").await;
        assert_eq!(completed["id"], "other");
        assert_eq!(completed["type"], "complete");

        // Push `mqls` points to the own organization until the first event shows the
        // subscription is live.
        let (first, pushes) = first_message(
            &mut socket,
            &format!("[{backend:?}] the first event of `own`"),
            |n| {
                let app = &app;
                let own = &own;
                async move {
                    app.ok(
                        PUSH,
                        json!({ "o": own, "p": points("mqls", &day("2024-04-01", n)) }),
                    )
                    .await;
                }
            },
        )
        .await;
        assert_eq!(first["type"], "next", "[{backend:?}] {first}");
        assert_eq!(first["id"], "own");
        let mqls_event = json!({ "organizationId": own, "kpiKeys": ["mqls"], "inserted": 1 });
        assert_eq!(first["payload"]["data"]["kpiPointsRecorded"], mqls_event);
        // Events of the other pushes may still be on their way: a `leads` point pushed
        // now comes after them all.
        app.ok(
            PUSH,
            json!({ "o": own, "p": points("leads", "2024-06-01") }),
        )
        .await;
        let leads_event = json!({ "organizationId": own, "kpiKeys": ["leads"], "inserted": 1 });
        for earlier in 1.. {
            let event = expect_message(&mut socket, "the event of the `leads` push").await;
            let data = &event["payload"]["data"]["kpiPointsRecorded"];
            if *data == leads_event {
                break;
            }
            assert!(
                earlier < pushes && *data == mqls_event,
                "[{backend:?}] before the `leads` event, only the events of the other {} `mqls` pushes: {event}",
                pushes - 1
            );
        }

        // A push to the other organization, the same point again (nothing new), then a
        // new point: the next event is the new point's.
        app.ok(
            PUSH,
            json!({ "o": other, "p": points("mqls", "2024-06-02") }),
        )
        .await;
        app.ok(
            PUSH,
            json!({ "o": own, "p": points("leads", "2024-06-01") }),
        )
        .await;
        app.ok(
            PUSH,
            json!({ "o": own, "p": points("leads", "2024-06-03") }),
        )
        .await;
        let event = expect_message(&mut socket, "the event of the new point").await;
        assert_eq!(event["type"], "next", "[{backend:?}] {event}");
        assert_eq!(event["id"], "own");
        assert_eq!(
            event["payload"]["data"]["kpiPointsRecorded"], leads_event,
            "[{backend:?}] no event for the other organization's push nor for the unchanged one"
        );
    }
}

#[tokio::test]
async fn a_connection_without_a_valid_token_is_closed() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut socket = connect(&app.address, "not-a-token").await;
    match hear(&mut socket, ANSWER).await {
        Heard::Closed(Some((code, reason))) => {
            // graphql-transport-ws: "4403: Forbidden" for a connection_init refused.
            assert_eq!(code, 4403, "close code; reason: {reason}");
            assert_eq!(
                reason,
                "Forbidden: connection_init needs a valid bearer token"
            );
        }
        Heard::Silence(wait) => {
            panic!("the server neither closed nor answered within {wait:?}")
        }
        other => panic!("expected a close frame with code 4403, heard {other}"),
    }
}

#[cfg_attr(
    not(test_postgres),
    ignore = "needs PostgreSQL: set ORGDESIGN_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn with_postgresql_a_subscriber_on_one_instance_sees_a_push_on_another() {
    require_postgres("events cross instances only through it");
    let (url, _) = fresh_database(Backend::Postgres).await;
    let a = ServerProcess::start(&url);
    let b = ServerProcess::start(&url);
    let admin = a.admin_token();
    let client = reqwest::Client::new();
    let gql = |address: &str, query: &str, variables: Value| {
        client
            .post(format!("{address}/graphql"))
            .bearer_auth(&admin)
            .json(&json!({ "query": query, "variables": variables }))
    };
    let created: Value = gql(
        &a.address,
        "mutation { createOrganization(input: { slug: \"two-instances\", name: \"Two\" }) { id } }",
        json!({}),
    )
    .send_json()
    .await;
    let org = created["data"]["createOrganization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut socket = connected(&b.address, &admin).await;
    subscribe(
        &mut socket,
        "1",
        "subscription($o: ID!) { kpiPointsRecorded(organizationId: $o) { inserted } }",
        json!({ "o": org }),
    )
    .await;
    // B must both have registered the subscription and be LISTENing (it starts to
    // when it starts, in the background): push on A until an event arrives on B.
    let (event, _) = first_message(&mut socket, "a push on A reaching B", |n| {
        let push = gql(
            &a.address,
            PUSH,
            json!({ "o": org, "p": points("mqls", &day("2024-05-01", n)) }),
        );
        async move {
            let pushed: Value = push.send_json().await;
            assert_eq!(
                pushed["data"]["recordKpiMeasurements"]["inserted"], 1,
                "{pushed}"
            );
        }
    })
    .await;
    assert_eq!(event["type"], "next", "{event}");
    assert_eq!(
        event["payload"]["data"]["kpiPointsRecorded"]["inserted"], 1,
        "{event}"
    );
}

/// What a subscription attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    NotFound,
    Forbidden,
    Unauthenticated,
}

/// Subscribes to `field` of `org` with `token`. A refused token closes the connection;
/// a refused subscription answers with its error; an allowed one is shown by an event,
/// which an admin write to `org` triggers (again, until one arrives).
async fn attempt(
    app: &TestApp,
    token: &str,
    field: &str,
    org: &str,
    writes: &AtomicU32,
) -> Outcome {
    let mut socket = connect(&app.address, token).await;
    match hear(&mut socket, ANSWER).await {
        Heard::Message(ack) if ack["type"] == "connection_ack" => {}
        Heard::Closed(Some((4403, _))) => return Outcome::Unauthenticated,
        other => panic!("{field}: neither connection_ack nor a 4403 close, but {other}"),
    }
    let query = match field {
        "kpiPointsRecorded" => {
            "subscription($o: ID!) { kpiPointsRecorded(organizationId: $o) { inserted } }"
        }
        "structureChanged" => {
            "subscription($o: ID!) { structureChanged(organizationId: $o) { operation } }"
        }
        other => panic!("the subscription `{other}` has no rule in this matrix; add one"),
    };
    subscribe(&mut socket, "m", query, json!({ "o": org })).await;
    let (message, _) = first_message(&mut socket, &format!("{field} on {org}"), |_| {
        // Every write is new (a fresh day, a fresh unit), so every one makes an event.
        let n = writes.fetch_add(1, Ordering::Relaxed);
        async move {
            match field {
                "kpiPointsRecorded" => {
                    app.ok(
                        PUSH,
                        json!({ "o": org, "p": points("mqls", &day("2020-01-01", n)) }),
                    )
                    .await;
                }
                _ => {
                    app.create_unit(org, &format!("Trigger {n}"), "MARKETING")
                        .await;
                }
            }
        }
    })
    .await;
    if message["type"] == "next" && message["payload"]["data"][field].is_object() {
        return Outcome::Allowed;
    }
    match errors_of(&message)[0]["extensions"]["code"].as_str() {
        Some("NOT_FOUND") => Outcome::NotFound,
        Some("FORBIDDEN") => Outcome::Forbidden,
        Some("UNAUTHENTICATED") => Outcome::Unauthenticated,
        _ => panic!("unexpected {message}"),
    }
}

#[tokio::test]
async fn every_subscription_allows_exactly_the_principals_its_rule_names() {
    let app = spawn_app(Backend::Sqlite).await;
    let own = app.create_org("sub-own").await;
    let other = app.create_org("sub-other").await;
    let (integration, _) = crate::authorization::issue_token(&app, &own).await;
    let callers: Vec<(&str, String)> = vec![
        ("expired", crate::tokens::expired_token(&app, &own)),
        ("wrong signature", crate::tokens::foreign_token(&own)),
        ("wrong audience", crate::tokens::wrong_audience_token(&own)),
        ("viewer", app.token(Role::Viewer, &[&own])),
        ("editor", app.token(Role::Editor, &[&own])),
        ("integration", integration),
        ("admin", app.admin_token.clone()),
    ];
    let schema = app
        .ok(
            "{ __schema { subscriptionType { fields { name } } } }",
            json!({}),
        )
        .await;
    let fields: Vec<String> = schema["__schema"]["subscriptionType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(!fields.is_empty());
    let writes = AtomicU32::new(0);
    let mut failures = Vec::new();
    for field in &fields {
        for (caller, token) in &callers {
            for (org, is_own) in [(&own, true), (&other, false)] {
                let expected = match (*caller, field.as_str(), is_own) {
                    ("expired" | "wrong signature" | "wrong audience", _, _) => {
                        Outcome::Unauthenticated
                    }
                    ("admin", _, _) => Outcome::Allowed,
                    ("integration", "structureChanged", _) => Outcome::Forbidden,
                    (_, _, true) => Outcome::Allowed,
                    (_, _, false) => Outcome::NotFound,
                };
                let got = attempt(&app, token, field, org, &writes).await;
                if got != expected {
                    failures.push(format!(
                        "{field} as {caller} on {}: expected {expected:?}, got {got:?}",
                        if is_own { "own" } else { "other" }
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn queries_and_mutations_are_refused_over_the_websocket() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut socket = connect(&app.address, &app.admin_token).await;
    let ack = expect_message(&mut socket, "connection_ack").await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    subscribe(
        &mut socket,
        "q",
        "{ __schema { queryType { name } } }",
        json!({}),
    )
    .await;
    let answer = expect_message(&mut socket, "the refusal of a query").await;
    assert_eq!(
        errors_of(&answer)[0]["extensions"]["code"],
        "BAD_USER_INPUT",
        "{answer}"
    );
    assert!(answer["payload"]["data"].is_null() || answer["payload"].get("data").is_none());
}
