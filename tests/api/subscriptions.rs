//! Subscriptions over graphql-ws: authentication in connection_init, per-principal
//! filters, and events crossing server instances through PostgreSQL.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use orgdesign_api::auth::Role;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

use crate::helpers::{Backend, backends, spawn_app};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const PUSH: &str = "mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted } }";

/// Opens a graphql-transport-ws connection and sends `connection_init` with `token`.
async fn connect(http_address: &str, token: &str) -> Socket {
    let url = format!("{}/graphql", http_address.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await.unwrap();
    socket
}

/// The next protocol message (skipping pings), or `None` on close or after `wait`.
async fn next(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(wait, socket.next())
            .await
            .ok()??
            .ok()?;
        match message {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] == "ping" {
                    socket
                        .send(Message::text(json!({ "type": "pong" }).to_string()))
                        .await
                        .ok()?;
                    continue;
                }
                return Some(value);
            }
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

async fn subscribe(socket: &mut Socket, id: &str, query: &str, variables: Value) {
    let message = json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } });
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
}

fn points(day: &str) -> Value {
    json!([{ "kpi": "mqls", "granularity": "DAY", "periodStart": day, "value": "4", "source": "crm" }])
}

#[tokio::test]
async fn a_subscriber_sees_pushes_to_its_organization_only() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let own = app.create_org("live-own").await;
        let other = app.create_org("live-other").await;
        let viewer = app.token(Role::Viewer, &[&own]);
        let mut socket = connect(&app.address, &viewer).await;
        assert_eq!(
            next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"],
            "connection_ack"
        );
        let query = "subscription($o: ID!) { kpiPointsRecorded(organizationId: $o) { organizationId kpiKeys inserted } }";
        subscribe(&mut socket, "own", query, json!({ "o": own })).await;
        subscribe(&mut socket, "other", query, json!({ "o": other })).await;
        let refused = next(&mut socket, Duration::from_secs(5)).await.unwrap();
        assert_eq!(refused["id"], "other", "{refused}");
        // The subscription resolver refuses before any stream starts: its error comes
        // as the result of that subscription (then it completes).
        let errors = if refused["type"] == "error" {
            &refused["payload"]
        } else {
            &refused["payload"]["errors"]
        };
        assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND", "{refused}");
        let completed = next(&mut socket, Duration::from_secs(5)).await.unwrap();
        assert_eq!(completed["id"], "other");
        assert_eq!(completed["type"], "complete");

        // Give the subscription a moment to be registered, then push to both.
        tokio::time::sleep(Duration::from_millis(200)).await;
        app.ok(PUSH, json!({ "o": other, "p": points("2024-04-01") }))
            .await;
        app.ok(PUSH, json!({ "o": own, "p": points("2024-04-02") }))
            .await;
        let event = next(&mut socket, Duration::from_secs(10))
            .await
            .expect("an event");
        assert_eq!(event["type"], "next", "[{backend:?}] {event}");
        assert_eq!(event["id"], "own");
        assert_eq!(
            event["payload"]["data"]["kpiPointsRecorded"],
            json!({ "organizationId": own, "kpiKeys": ["mqls"], "inserted": 1 })
        );
        // Pushing the same point again records nothing new, and says nothing.
        app.ok(PUSH, json!({ "o": own, "p": points("2024-04-02") }))
            .await;
        assert!(
            next(&mut socket, Duration::from_millis(500))
                .await
                .is_none(),
            "[{backend:?}] no event for an unchanged push"
        );
    }
}

#[tokio::test]
async fn a_connection_without_a_valid_token_is_closed() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut socket = connect(&app.address, "not-a-token").await;
    let answer = next(&mut socket, Duration::from_secs(5)).await;
    assert!(
        answer.is_none()
            || answer
                .as_ref()
                .is_some_and(|a| a["type"] != "connection_ack"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn with_postgresql_a_subscriber_on_one_instance_sees_a_push_on_another() {
    if !crate::helpers::postgres_available("events cross instances only through it") {
        return;
    }
    let (url, _) = crate::helpers::fresh_database(Backend::Postgres).await;
    let (mut a, address_a) = crate::helpers::start_server_process(&url);
    let (mut b, address_b) = crate::helpers::start_server_process(&url);
    let keys = {
        let mut settings = orgdesign_api::settings::Settings::for_database(&url);
        settings.jwt_secret = Some(secrecy::SecretString::from(crate::helpers::TEST_SECRET));
        orgdesign_api::auth::tokens::Keys::from_settings(&settings).unwrap()
    };
    let admin = crate::helpers::mint(&keys, Role::Admin, &[]);
    let client = reqwest::Client::new();
    let gql = |address: &str, query: &str, variables: Value| {
        client
            .post(format!("{address}/graphql"))
            .bearer_auth(&admin)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
    };
    let created: Value = gql(
        &address_a,
        "mutation { createOrganization(input: { slug: \"two-instances\", name: \"Two\" }) { id } }",
        json!({}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let org = created["data"]["createOrganization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut socket = connect(&address_b, &admin).await;
    assert_eq!(
        next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"],
        "connection_ack"
    );
    subscribe(
        &mut socket,
        "1",
        "subscription($o: ID!) { kpiPointsRecorded(organizationId: $o) { inserted } }",
        json!({ "o": org }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pushed: Value = gql(
        &address_a,
        PUSH,
        json!({ "o": org, "p": points("2024-05-01") }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        pushed["data"]["recordKpiMeasurements"]["inserted"], 1,
        "{pushed}"
    );
    let event = next(&mut socket, Duration::from_secs(10))
        .await
        .expect("the push on A reaches B");
    assert_eq!(
        event["payload"]["data"]["kpiPointsRecorded"]["inserted"], 1,
        "{event}"
    );
    a.kill().ok();
    b.kill().ok();
    a.wait().ok();
    b.wait().ok();
}

/// What a subscription attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    NotFound,
    Forbidden,
    Unauthenticated,
}

async fn attempt(address: &str, token: &str, field: &str, org: &str) -> Outcome {
    let mut socket = connect(address, token).await;
    match next(&mut socket, Duration::from_secs(5)).await {
        Some(ack) if ack["type"] == "connection_ack" => {}
        _ => return Outcome::Unauthenticated,
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
    match next(&mut socket, Duration::from_millis(300)).await {
        None => Outcome::Allowed,
        Some(message) => {
            let errors = if message["type"] == "error" {
                &message["payload"]
            } else {
                &message["payload"]["errors"]
            };
            match errors[0]["extensions"]["code"].as_str() {
                Some("NOT_FOUND") => Outcome::NotFound,
                Some("FORBIDDEN") => Outcome::Forbidden,
                Some("UNAUTHENTICATED") => Outcome::Unauthenticated,
                _ => panic!("unexpected {message}"),
            }
        }
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
                let got = attempt(&app.address, token, field, org).await;
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
    assert_eq!(
        next(&mut socket, Duration::from_secs(5)).await.unwrap()["type"],
        "connection_ack"
    );
    subscribe(
        &mut socket,
        "q",
        "{ __schema { queryType { name } } }",
        json!({}),
    )
    .await;
    let answer = next(&mut socket, Duration::from_secs(5)).await.unwrap();
    let errors = if answer["type"] == "error" {
        &answer["payload"]
    } else {
        &answer["payload"]["errors"]
    };
    assert_eq!(
        errors[0]["extensions"]["code"], "BAD_USER_INPUT",
        "{answer}"
    );
    assert!(answer["payload"]["data"].is_null() || answer["payload"].get("data").is_none());
}
