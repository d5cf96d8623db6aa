//! Writers contending for one organization: what they are answered when they cannot
//! get it within the time limit, and what they leave for everyone else.
//!
//! Both tests report their figures on stderr (`--nocapture` shows them): the answers by
//! code, and the other tenant's read latencies.

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::{StatusCode, header};
use sea_orm::{ConnectionTrait, Database, Statement, TransactionTrait};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::helpers::{Backend, PUSH_KPIS, TestApp, backends, code, daily_leads, spawn_app_with};

/// Points of `organization` stored so far, asked of the database directly.
async fn stored(app: &TestApp, organization: &str) -> i64 {
    let db = Database::connect(&app.database_url).await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT COUNT(*) FROM kpi_measurement WHERE organization_id = $1"
        }
        _ => "SELECT COUNT(*) FROM kpi_measurement WHERE organization_id = ?",
    };
    let row = db
        .query_one(Statement::from_sql_and_values(
            backend,
            sql,
            [uuid::Uuid::parse_str(organization).unwrap().into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let count = row.try_get_by_index::<i64>(0).unwrap();
    db.close().await.ok();
    count
}

/// One answer to a REST push: its status, code and `Retry-After`.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    code: String,
    retry_after: Option<String>,
    /// A request cut off at its deadline after its write committed says so.
    maybe_stored: bool,
}

#[tokio::test]
async fn twelve_pushers_queued_on_one_organization_with_a_one_second_limit_get_no_internal_error() {
    for backend in backends() {
        let app = spawn_app_with(backend, |s| {
            s.limits.request_timeout_ms = 1_000;
            s.workers = Some(2);
        })
        .await;
        let org = app.create_org("contended").await;
        let url = format!(
            "{}/api/v1/organizations/contended/kpi-measurements",
            app.address
        );
        let bodies: Vec<String> = (0..12)
            .map(|i| json!({ "points": daily_leads(&format!("pusher-{i}"), 5_000) }).to_string())
            .collect();
        let answers: Vec<Answer> = join_all(bodies.into_iter().map(|body| {
            let request = app
                .client
                .post(&url)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body);
            async move {
                let response = request.send().await.unwrap();
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .map(|v| v.to_str().unwrap().to_owned());
                let body: Value = response.json().await.unwrap_or(Value::Null);
                let code = match status {
                    StatusCode::OK => "OK".to_owned(),
                    _ => code(&body["errors"][0]).to_owned(),
                };
                let maybe_stored = body["errors"][0]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("may have been stored"));
                Answer {
                    status,
                    code,
                    retry_after,
                    maybe_stored,
                }
            }
        }))
        .await;

        let tally = |wanted: &str| answers.iter().filter(|a| a.code == wanted).count();
        let succeeded = tally("OK");
        eprintln!(
            "[{backend:?}] 12 pushers of 5,000 points, 1 s limit: {succeeded} OK, {} UNAVAILABLE, {} LIMIT_EXCEEDED, {} INTERNAL; {answers:?}",
            tally("UNAVAILABLE"),
            tally("LIMIT_EXCEEDED"),
            tally("INTERNAL"),
        );
        for answer in &answers {
            assert!(
                ["OK", "UNAVAILABLE", "LIMIT_EXCEEDED"].contains(&answer.code.as_str()),
                "[{backend:?}] every pusher succeeds or is told to come back: {answer:?}"
            );
            if answer.code == "UNAVAILABLE" {
                assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
                assert!(
                    answer.retry_after.is_some(),
                    "[{backend:?}] a 503 says when to retry: {answer:?}"
                );
            }
        }
        assert!(
            succeeded >= 1,
            "[{backend:?}] the first pusher gets through"
        );
        // A push cut off at the deadline after its COMMIT was sent may have landed (on
        // a loaded machine it does), and its answer says so: each push is all or
        // nothing, every OK one is stored, and only those said to be maybe are beyond.
        let maybe = answers.iter().filter(|a| a.maybe_stored).count();
        let stored = usize::try_from(stored(&app, &org).await).unwrap();
        assert_eq!(
            stored % 5_000,
            0,
            "[{backend:?}] each push is all or nothing: {stored}"
        );
        assert!(
            (succeeded..=succeeded + maybe).contains(&(stored / 5_000)),
            "[{backend:?}] {stored} points stored for {succeeded} pushes answered OK and {maybe} that may have been stored"
        );
    }
}

/// The `q`-quantile of `samples` (sorted in place).
fn quantile(samples: &mut [Duration], q: f64) -> Duration {
    samples.sort_unstable();
    let rank = (q * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

/// Sends one read now, on a task of its own, and times it.
fn send_read(app: &TestApp, request: &Value) -> tokio::task::JoinHandle<(Duration, Value)> {
    let sending = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(request)
        .send();
    let sent = Instant::now();
    tokio::spawn(async move {
        let body: Value = sending.await.unwrap().json().await.unwrap();
        (sent.elapsed(), body)
    })
}

/// The latencies of reads sent every [`READ_EVERY`] for `during`.
async fn sample_reads(app: &TestApp, request: &Value, during: Duration) -> Vec<Duration> {
    let mut reads = Vec::new();
    let mut ticks = tokio::time::interval(READ_EVERY);
    let started = Instant::now();
    while started.elapsed() < during {
        ticks.tick().await;
        reads.push(send_read(app, request));
    }
    join_all(reads)
        .await
        .into_iter()
        .map(|read| read.unwrap().0)
        .collect()
}

/// The other tenant reads at a steady pace, whether or not its earlier reads are
/// answered yet, so that a slow read cannot hide the ones it delays.
const READ_EVERY: Duration = Duration::from_millis(25);

/// What the other tenant saw during one burst.
struct Burst {
    took: Duration,
    /// The pushers' answers: `OK` or the error code.
    codes: Vec<String>,
    latencies: Vec<Duration>,
    failures: Vec<Value>,
}

/// PUSHERS writers push into `busy`, each again as soon as it is answered (ROUNDS
/// times), while `request` reads the other tenant every [`READ_EVERY`].
async fn burst(app: &TestApp, busy: &str, request: &Value, attempt: usize) -> Burst {
    let started = Instant::now();
    let pushes = join_all((0..PUSHERS).map(|i| async move {
        let mut codes = Vec::new();
        for round in 0..ROUNDS {
            let source = format!("burst-{attempt}-{i}-{round}");
            let variables = json!({ "o": busy, "p": daily_leads(&source, POINTS) });
            let body = app.graphql(PUSH_KPIS, variables).await;
            codes.push(match body["errors"].as_array() {
                None => "OK".to_owned(),
                Some(errors) => code(&errors[0]).to_owned(),
            });
        }
        codes
    }));
    let pushes_done = std::sync::atomic::AtomicBool::new(false);
    let reads = async {
        let mut reads = Vec::new();
        let mut ticks = tokio::time::interval(READ_EVERY);
        while !pushes_done.load(std::sync::atomic::Ordering::SeqCst) {
            ticks.tick().await;
            reads.push(send_read(app, request));
        }
        join_all(reads)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect::<Vec<_>>()
    };
    let (codes, reads) = tokio::join!(
        async {
            let codes: Vec<String> = pushes.await.into_iter().flatten().collect();
            pushes_done.store(true, std::sync::atomic::Ordering::SeqCst);
            codes
        },
        reads
    );
    Burst {
        took: started.elapsed(),
        codes,
        latencies: reads.iter().map(|(took, _)| *took).collect(),
        failures: reads
            .into_iter()
            .filter(|(_, body)| !body["errors"].is_null())
            .map(|(_, body)| body)
            .collect(),
    }
}

const PUSHERS: usize = 30;
const ROUNDS: usize = 6;
const POINTS: usize = 25;
/// What the other tenant's reads must stay under, at p99: this, or [`SLOWDOWN`] times
/// the same reads' p99 on the quiet server just before, whichever is larger (a loaded
/// machine slows every read; starved reads take seconds however loaded it is).
const BOUND: Duration = Duration::from_millis(100);
/// How many times slower than on the quiet server the other tenant's reads may be.
const SLOWDOWN: u32 = 8;
/// Measurements at most, the best of which is judged.
const ATTEMPTS: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_writes_into_one_tenant_leaves_another_tenants_reads_fast() {
    for backend in backends() {
        let app = spawn_app_with(backend, |s| s.workers = Some(2)).await;
        let busy = app.create_org("busy-tenant").await;
        let quiet = app.create_org("quiet-tenant").await;
        for name in ["Executive", "Marketing", "Sales"] {
            app.create_unit(&quiet, name, "OTHER").await;
        }
        let read = "query($id: ID!) { organization(id: $id) { name units { name } } }";
        app.ok(read, json!({ "id": quiet })).await;
        let request = json!({ "query": read, "variables": { "id": quiet } });

        // The machine running the tests may be shared, and a latency is judged on
        // the best of ATTEMPTS measurements, each the same reads on the quiet server
        // (the floor) and then during a burst. Reads starved of connections take
        // seconds in every measurement (before the write gate: 1.9 s on PostgreSQL
        // and 2.8 s on SQLite at p99), so no retry lets them pass.
        let mut best: Option<(Duration, Duration, Burst)> = None;
        for attempt in 1..=ATTEMPTS {
            let mut quiet_reads = sample_reads(&app, &request, Duration::from_secs(1)).await;
            let quiet_p99 = quantile(&mut quiet_reads, 0.99);
            let mut seen = burst(&app, &busy, &request, attempt).await;
            let p50 = quantile(&mut seen.latencies, 0.50);
            let p99 = quantile(&mut seen.latencies, 0.99);
            let max = quantile(&mut seen.latencies, 1.0);
            let ok = seen.codes.iter().filter(|c| *c == "OK").count();
            eprintln!(
                "[{backend:?}] {PUSHERS} pushers, {ROUNDS} pushes of {POINTS} points each, into one tenant in {:?} ({ok} OK, others {:?}); the other tenant's {} reads meanwhile: {} failed, p50 {p50:?}, p99 {p99:?}, max {max:?} (on the quiet server: p99 {quiet_p99:?})",
                seen.took,
                seen.codes.iter().filter(|c| *c != "OK").collect::<Vec<_>>(),
                seen.latencies.len(),
                seen.failures.len(),
            );
            assert!(
                seen.failures.is_empty(),
                "[{backend:?}] the other tenant's reads all succeed: {:?}",
                seen.failures
            );
            assert!(
                seen.codes
                    .iter()
                    .all(|c| ["OK", "UNAVAILABLE", "LIMIT_EXCEEDED"].contains(&c.as_str())),
                "[{backend:?}] no pusher gets INTERNAL: {:?}",
                seen.codes
            );
            let bound = BOUND.max(quiet_p99 * SLOWDOWN);
            let share = |p99: Duration, bound: Duration| p99.as_secs_f64() / bound.as_secs_f64();
            if best
                .as_ref()
                .is_none_or(|(best, best_bound, _)| share(p99, bound) < share(*best, *best_bound))
            {
                best = Some((p99, bound, seen));
            }
            if best.as_ref().is_some_and(|(best, bound, _)| best < bound) {
                break;
            }
        }
        let (p99, bound, seen) = best.unwrap();
        assert!(
            seen.latencies.len() >= 50,
            "[{backend:?}] the burst lasted long enough to measure ({} reads)",
            seen.latencies.len()
        );
        assert!(
            p99 < bound,
            "[{backend:?}] the other tenant's reads stay under {bound:?} at p99 ({BOUND:?}, or {SLOWDOWN}× the quiet server's), were {p99:?}"
        );
    }
}

#[tokio::test]
async fn a_writer_held_off_by_another_process_is_unavailable_within_the_time_limit() {
    for backend in backends() {
        let app = spawn_app_with(backend, |s| s.limits.request_timeout_ms = 1_000).await;
        let org = app.create_org("held-off").await;
        // Another process (the test) holds the organization: on PostgreSQL its row
        // lock, as a writer on another replica does; on SQLite the database's write
        // lock, as `orgdesign import-kpis` does.
        let db = Database::connect(&app.database_url).await.unwrap();
        let holder = db.begin().await.unwrap();
        match backend {
            Backend::Postgres => holder
                .execute(Statement::from_sql_and_values(
                    sea_orm::DbBackend::Postgres,
                    "SELECT id FROM organization WHERE id = $1 FOR NO KEY UPDATE",
                    [uuid::Uuid::parse_str(&org).unwrap().into()],
                ))
                .await
                .unwrap(),
            Backend::Sqlite => holder
                .execute_unprepared("UPDATE organization SET version = version")
                .await
                .unwrap(),
        };
        let started = Instant::now();
        let body = app
            .graphql(
                PUSH_KPIS,
                json!({ "o": org, "p": daily_leads("held-off", 10) }),
            )
            .await;
        let took = started.elapsed();
        eprintln!("[{backend:?}] a writer held off by another process: {took:?}: {body}");
        assert_eq!(
            code(&body["errors"][0]),
            "UNAVAILABLE",
            "[{backend:?}] {body}"
        );
        assert!(
            took < Duration::from_secs(3),
            "[{backend:?}] within the time limit (1 s) and the slack, took {took:?}"
        );
        holder.rollback().await.unwrap();
        // Once the organization is free, the same write goes through.
        let body = app
            .graphql(
                PUSH_KPIS,
                json!({ "o": org, "p": daily_leads("held-off", 10) }),
            )
            .await;
        assert!(body["errors"].is_null(), "[{backend:?}] {body}");
    }
}
