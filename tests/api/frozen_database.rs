//! A database that stops answering: a TCP proxy between the server and PostgreSQL
//! stops forwarding (without closing anything, see [`crate::proxy`]), as a network
//! partition or a hung database host would, in the middle of a write or before every
//! endpoint is asked.
//!
//! PostgreSQL only: SQLite runs inside the server process, so there is no connection
//! that can stop answering while the process goes on.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use futures_util::{SinkExt, future::join_all};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::{
    helpers::{
        Backend, PUSH_KPIS, TestApp, code, daily_leads, require_postgres, spawn_app_with, wait_for,
    },
    proxy::Proxy,
    subscriptions,
};

/// How long a statement may go unanswered in this test.
const TIMEOUT: Duration = Duration::from_secs(2);

/// How long the proxy stays frozen at most, whatever the server does.
const FREEZE: Duration = Duration::from_secs(15);

#[cfg_attr(
    not(test_postgres),
    ignore = "needs PostgreSQL: set ORGDESIGN_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn a_write_when_the_database_stops_answering_is_unavailable_within_the_timeout_and_leaves_nothing()
 {
    require_postgres("the frozen-database test needs a TCP connection to freeze");
    let proxy = Proxy::to_postgres().await;
    let app = spawn_app_with(Backend::Postgres, |s| {
        let url = proxy.route(secrecy::ExposeSecret::expose_secret(&s.database_url));
        s.database_url = secrecy::SecretString::from(url);
        s.limits.request_timeout_ms = u64::try_from(TIMEOUT.as_millis()).unwrap();
    })
    .await;
    // The test's own view of the database goes around the proxy.
    let direct_url = app.database_url.clone();
    let org = app.create_org("frozen").await;
    app.ok(
        PUSH_KPIS,
        json!({ "o": org, "p": daily_leads("warm-up", 10) }),
    )
    .await;

    // A 5,000-point push: the proxy freezes in the middle of its big INSERT, once
    // 64 KiB more have gone towards the database.
    proxy.freeze_after(64 * 1024);
    let answered = AtomicBool::new(false);
    let started = Instant::now();
    let push = async {
        let body = app
            .graphql(
                PUSH_KPIS,
                json!({ "o": org, "p": daily_leads("frozen", 5_000) }),
            )
            .await;
        answered.store(true, Ordering::SeqCst);
        (body, started.elapsed(), proxy.is_frozen())
    };
    // Should the server wait for the database, the freeze ends after FREEZE anyway.
    let thaw_anyway = async {
        while !answered.load(Ordering::SeqCst) && started.elapsed() < FREEZE {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if !answered.load(Ordering::SeqCst) {
            eprintln!("thawing after {FREEZE:?}, the write still unanswered");
            proxy.thaw();
        }
    };
    let ((body, took, frozen_when_answered), ()) = tokio::join!(push, thaw_anyway);
    eprintln!(
        "a write behind a frozen database answered after {took:?} (still frozen: {frozen_when_answered}): {body}"
    );
    assert!(
        frozen_when_answered,
        "the proxy froze during the write and the write did not wait for the thaw"
    );
    assert_eq!(
        code(&body["errors"][0]),
        "UNAVAILABLE",
        "a write the database stops answering is UNAVAILABLE: {body}"
    );
    assert!(
        took < TIMEOUT + Duration::from_secs(3),
        "detected within the timeout ({TIMEOUT:?}) plus slack, took {took:?}"
    );

    // The database answers again: the server recovers without a restart.
    proxy.thaw();
    wait_for(
        "a read to succeed after the thaw",
        Duration::from_secs(20),
        || {
            let app = &app;
            async move {
                let body = app
                    .graphql("{ organizations(first: 1) { totalCount } }", json!({}))
                    .await;
                body["errors"].is_null().then_some(())
            }
        },
    )
    .await;
    let db = Database::connect(&direct_url).await.unwrap();
    let frozen_points = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM kpi_measurement WHERE source = 'frozen'".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(frozen_points, 0, "nothing of the cut-off write was stored");
    let again = app
        .ok(
            PUSH_KPIS,
            json!({ "o": org, "p": daily_leads("frozen", 5_000) }),
        )
        .await;
    assert_eq!(again["recordKpiMeasurements"]["inserted"], 5_000);
}

/// The request time limit (`request_timeout_ms`) of the every-endpoint test: the
/// deadline of a read.
const READ: Duration = Duration::from_secs(2);

/// The deadline of a write: each of its statements may go unanswered for the time
/// limit plus half a second.
const WRITE: Duration = Duration::from_millis(2_500);

/// `readiness_timeout_ms` of the every-endpoint test.
const READINESS: Duration = Duration::from_secs(1);

/// What a request may wait beyond its deadline: the way there and back, and a busy
/// machine.
const SLACK: Duration = Duration::from_secs(1);

/// Each endpoint is asked this many times in a row during the freeze: the later asks
/// meet a pool whose connections the earlier ones left waiting on the database.
const ROUNDS: usize = 2;

/// An endpoint the every-endpoint test asks while the database is frozen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Healthz,
    Readyz,
    GraphqlRead,
    GraphqlWrite,
    RestPush,
    RestPushIntegration,
    Export,
    StructureCsv,
    OrgChart,
    KpiChart,
    ScenarioChart,
    Subscribe,
}

impl Endpoint {
    const ALL: [Self; 12] = [
        Self::Healthz,
        Self::Readyz,
        Self::GraphqlRead,
        Self::GraphqlWrite,
        Self::RestPush,
        Self::RestPushIntegration,
        Self::Export,
        Self::StructureCsv,
        Self::OrgChart,
        Self::KpiChart,
        Self::ScenarioChart,
        Self::Subscribe,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Healthz => "GET /healthz",
            Self::Readyz => "GET /readyz",
            Self::GraphqlRead => "POST /graphql, a query",
            Self::GraphqlWrite => "POST /graphql, recordKpiMeasurements",
            Self::RestPush => "POST .../kpi-measurements (push)",
            Self::RestPushIntegration => "POST .../kpi-measurements, integration token",
            Self::Export => "GET .../kpi-measurements (export)",
            Self::StructureCsv => "GET .../structure.csv",
            Self::OrgChart => "GET .../chart.svg",
            Self::KpiChart => "GET .../kpis/leads/chart.svg",
            Self::ScenarioChart => "GET .../scenarios/{id}/chart.svg",
            Self::Subscribe => "WebSocket subscribe (kpiPointsRecorded)",
        }
    }

    /// The longest it may wait while the database is frozen.
    fn bound(self) -> Duration {
        match self {
            Self::Healthz | Self::Subscribe => SLACK,
            Self::Readyz => READINESS + Duration::from_millis(500),
            Self::GraphqlWrite | Self::RestPush => WRITE + SLACK,
            _ => READ + SLACK,
        }
    }

    /// The status and code it must answer with (`-`: no error code).
    fn expected(self) -> (&'static str, &'static str) {
        match self {
            Self::Healthz => ("200", "-"),
            Self::Readyz => ("503", "-"),
            Self::GraphqlRead | Self::GraphqlWrite => ("200", "UNAVAILABLE"),
            Self::Subscribe => ("101", "-"),
            _ => ("503", "UNAVAILABLE"),
        }
    }

    /// Whether its `UNAVAILABLE` must say when to retry. A write the database stopped
    /// answering inside its transaction is answered by the write (a field error, in a
    /// GraphQL response that went through), not by the request's deadline.
    fn says_when_to_retry(self) -> bool {
        !matches!(
            self,
            Self::Healthz | Self::Readyz | Self::GraphqlWrite | Self::Subscribe
        )
    }
}

/// What an endpoint answered during the freeze.
#[derive(Debug, Clone)]
struct Answer {
    /// The HTTP status (`101` for a WebSocket that took a subscription).
    status: String,
    /// The first error's code, `-` for none.
    code: String,
    retry_after: Option<String>,
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)?;
        if self.code != "-" {
            write!(f, " {}", self.code)?;
        }
        if let Some(seconds) = &self.retry_after {
            write!(f, ", Retry-After: {seconds}")?;
        }
        Ok(())
    }
}

/// The organization and the objects the endpoints are asked about.
struct Fixture {
    org: String,
    scenario: String,
    integration_token: String,
}

/// An HTTP answer as an [`Answer`]: its status, the code of its first error (GraphQL's
/// and REST's shape alike), its `Retry-After`.
async fn answer_of(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16().to_string();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("-")
        .to_owned();
    Answer {
        status,
        code,
        retry_after,
    }
}

/// Asks `endpoint` once.
async fn ask(app: &TestApp, fixture: &Fixture, endpoint: Endpoint, round: usize) -> Answer {
    let base = format!("{}/api/v1/organizations/frozen", app.address);
    let push = json!({ "points": daily_leads(&format!("frozen-rest-{round}"), 10) });
    let request = match endpoint {
        Endpoint::Healthz => app.client.get(format!("{}/healthz", app.address)),
        Endpoint::Readyz => app.client.get(format!("{}/readyz", app.address)),
        Endpoint::GraphqlRead => app.client.post(format!("{}/graphql", app.address)).json(
            &json!({ "query": "query($id: ID!) { organization(id: $id) { name units { name } } }", "variables": { "id": fixture.org } }),
        ),
        Endpoint::GraphqlWrite => app.client.post(format!("{}/graphql", app.address)).json(
            &json!({ "query": PUSH_KPIS, "variables": { "o": fixture.org, "p": daily_leads(&format!("frozen-graphql-{round}"), 10) } }),
        ),
        Endpoint::RestPush => app
            .client
            .post(format!("{base}/kpi-measurements"))
            .json(&push),
        Endpoint::RestPushIntegration => reqwest::Client::new()
            .post(format!("{base}/kpi-measurements"))
            .bearer_auth(&fixture.integration_token)
            .json(&push),
        Endpoint::Export => app.client.get(format!("{base}/kpi-measurements")),
        Endpoint::StructureCsv => app.client.get(format!("{base}/structure.csv")),
        Endpoint::OrgChart => app.client.get(format!("{base}/chart.svg")),
        Endpoint::KpiChart => app.client.get(format!("{base}/kpis/leads/chart.svg")),
        Endpoint::ScenarioChart => app
            .client
            .get(format!("{base}/scenarios/{}/chart.svg", fixture.scenario)),
        Endpoint::Subscribe => return subscribe(app, fixture).await,
    };
    answer_of(request.send().await.unwrap()).await
}

/// Opens a WebSocket, subscribes to the organization's KPI points and pings: the
/// subscription was taken when the pong comes before any error for it.
async fn subscribe(app: &TestApp, fixture: &Fixture) -> Answer {
    let mut socket = subscriptions::connect(&app.address, &app.admin_token).await;
    let ack = subscriptions::expect_message(&mut socket, "connection_ack").await;
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    let subscribe = json!({ "id": "frozen", "type": "subscribe", "payload": {
        "query": "subscription($o: ID!) { kpiPointsRecorded(organizationId: $o) { inserted } }",
        "variables": { "o": fixture.org } } });
    socket
        .send(Message::text(subscribe.to_string()))
        .await
        .unwrap();
    socket
        .send(Message::text(json!({ "type": "ping" }).to_string()))
        .await
        .unwrap();
    let next = subscriptions::expect_message(&mut socket, "pong").await;
    socket.close(None).await.ok();
    let code = match next["type"].as_str() {
        Some("pong") => "-".to_owned(),
        _ => next["payload"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("no code")
            .to_owned(),
    };
    Answer {
        status: "101".to_owned(),
        code,
        retry_after: None,
    }
}

#[cfg_attr(
    not(test_postgres),
    ignore = "needs PostgreSQL: set ORGDESIGN_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn every_endpoint_answers_within_its_deadline_while_the_database_does_not_answer() {
    require_postgres("the frozen-database test needs a TCP connection to freeze");
    let proxy = Proxy::to_postgres().await;
    let app = spawn_app_with(Backend::Postgres, |s| {
        let url = proxy.route(secrecy::ExposeSecret::expose_secret(&s.database_url));
        s.database_url = secrecy::SecretString::from(url);
        s.limits.request_timeout_ms = u64::try_from(READ.as_millis()).unwrap();
        s.readiness_timeout_ms = u64::try_from(READINESS.as_millis()).unwrap();
    })
    .await;
    let org = app.create_org("frozen").await;
    app.create_unit(&org, "Marketing", "MARKETING").await;
    app.ok(
        PUSH_KPIS,
        json!({ "o": org, "p": daily_leads("warm-up", 10) }),
    )
    .await;
    let scenario = app.create_scenario(&org, "Draft").await;
    let (integration_token, _) = crate::authorization::issue_token(&app, &org).await;
    let fixture = Fixture {
        org,
        scenario,
        integration_token,
    };
    // Every endpoint answers while the database does.
    for endpoint in Endpoint::ALL {
        let answer = ask(&app, &fixture, endpoint, 0).await;
        let ok = match endpoint {
            Endpoint::Subscribe => answer.code == "-",
            _ => answer.status.starts_with('2') && answer.code == "-",
        };
        assert!(ok, "{} before the freeze: {answer}", endpoint.label());
    }

    proxy.freeze();
    let frozen_at = Instant::now();
    let asks = join_all(Endpoint::ALL.map(|endpoint| {
        let (app, fixture, proxy) = (&app, &fixture, &proxy);
        async move {
            let mut seen = Vec::new();
            for round in 1..=ROUNDS {
                let started = Instant::now();
                let answer = ask(app, fixture, endpoint, round).await;
                seen.push((started.elapsed(), answer, proxy.is_frozen()));
            }
            (endpoint, seen)
        }
    }));
    // Should the server wait for the database, the freeze ends anyway, and the test
    // fails below on the waits.
    let results = tokio::select! {
        results = asks => results,
        () = tokio::time::sleep(FREEZE) => {
            proxy.thaw();
            panic!("some endpoint still waited {FREEZE:?} into the freeze");
        }
    };
    let whole = frozen_at.elapsed();
    proxy.thaw();

    eprintln!(
        "\nWhile PostgreSQL does not answer (request_timeout_ms {} ms, readiness_timeout_ms {} ms; each endpoint asked {ROUNDS} times in a row, {whole:.1?} in all):\n",
        READ.as_millis(),
        READINESS.as_millis()
    );
    eprintln!("| endpoint | longest wait | bound | answer |\n|---|---|---|---|");
    for (endpoint, seen) in &results {
        let (longest, answer, _) = seen.iter().max_by_key(|(took, _, _)| *took).unwrap();
        eprintln!(
            "| {} | {:.2} s | {:.1} s | {answer} |",
            endpoint.label(),
            longest.as_secs_f64(),
            endpoint.bound().as_secs_f64()
        );
    }
    eprintln!();

    for (endpoint, seen) in &results {
        let (status, code) = endpoint.expected();
        for (took, answer, frozen) in seen {
            let label = endpoint.label();
            assert!(
                *frozen,
                "{label} answered during the freeze, not after it ({took:?}): {answer}"
            );
            assert!(
                *took < endpoint.bound(),
                "{label} answered within {:?}, took {took:?}: {answer}",
                endpoint.bound()
            );
            assert_eq!(
                (answer.status.as_str(), answer.code.as_str()),
                (status, code),
                "{label}: {answer}"
            );
            if endpoint.says_when_to_retry() {
                assert_eq!(
                    answer.retry_after.as_deref(),
                    Some("5"),
                    "{label} says when to retry: {answer}"
                );
            }
        }
    }

    // The database answers again: every endpoint recovers without a restart.
    wait_for("/readyz to say ready", Duration::from_secs(20), || {
        let (app, fixture) = (&app, &fixture);
        async move { (ask(app, fixture, Endpoint::Readyz, 0).await.status == "200").then_some(()) }
    })
    .await;
    for endpoint in [Endpoint::GraphqlRead, Endpoint::Export, Endpoint::RestPush] {
        let answer = wait_for(
            &format!("{} to succeed after the thaw", endpoint.label()),
            Duration::from_secs(20),
            || {
                let (app, fixture) = (&app, &fixture);
                async move {
                    let answer = ask(app, fixture, endpoint, ROUNDS + 1).await;
                    (answer.status.starts_with('2') && answer.code == "-").then_some(answer)
                }
            },
        )
        .await;
        assert_eq!(answer.code, "-");
    }
}
