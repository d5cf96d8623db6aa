//! `Idempotency-Key` claims and the attempts that hold them: a claim whose attempt is
//! dead (its server crashed, its task was dropped) is taken over by the next retry at
//! once, and a live attempt still keeps a second one out.

use std::time::Duration;

use orgdesign_api::rest::fingerprint_for_tests;
use orgdesign_domain::{
    idempotency::service::{
        Claim, {self as idempotency},
    },
    store::Store,
};
use reqwest::{StatusCode, header};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};
use tokio::time::Instant;
use uuid::Uuid;

use crate::{
    authorization::integrated_org,
    helpers::{
        Backend, ServerProcess, backends, fresh_database, require_postgres, spawn_app, wait_for,
    },
};

/// The advisory lock a server process holds while it lives (`db/lease.rs`): the
/// namespace "orgd" and the random tail of the owner's id.
fn liveness_lock(owner: Uuid) -> (i32, i32) {
    let b = owner.as_bytes();
    (
        0x6f72_6764,
        i32::from_be_bytes([b[12], b[13], b[14], b[15]]),
    )
}

/// Stores a claim without a reply, as an attempt of `owner` leaves it while it runs
/// (or when it dies).
async fn stage_claim(database_url: &str, org: &str, key: &str, body: &str, owner: Uuid) {
    let db = Database::connect(database_url).await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO idempotency_record (organization_id, key, request_hash, created_at, owner, lease) VALUES ($1, $2, $3, $4, $5, $6)"
        }
        _ => {
            "INSERT INTO idempotency_record (organization_id, key, request_hash, created_at, owner, lease) VALUES (?, ?, ?, ?, ?, ?)"
        }
    };
    db.execute(Statement::from_sql_and_values(
        backend,
        sql,
        [
            Uuid::parse_str(org).unwrap().into(),
            key.into(),
            fingerprint_for_tests("application/json", body.as_bytes()).into(),
            chrono::Utc::now().into(),
            owner.into(),
            Uuid::now_v7().into(),
        ],
    ))
    .await
    .unwrap();
    db.close().await.ok();
}

fn body(source: &str) -> String {
    json!({ "points": [
        { "kpi": "leads", "granularity": "DAY", "periodStart": "2024-03-01", "value": "5", "source": source },
        { "kpi": "leads", "granularity": "DAY", "periodStart": "2024-03-02", "value": "6", "source": source },
    ] })
    .to_string()
}

async fn push_to(
    address: &str,
    token: &str,
    slug: &str,
    key: &str,
    body: &str,
) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!(
            "{address}/api/v1/organizations/{slug}/kpi-measurements"
        ))
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", key)
        .body(body.to_owned())
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[cfg_attr(
    not(test_postgres),
    ignore = "needs PostgreSQL: set ORGDESIGN_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn a_retry_after_the_server_was_killed_mid_push_runs_at_once() {
    require_postgres("killing a server mid-push needs a claim that outlives it");
    let (url, _) = fresh_database(Backend::Postgres).await;
    let mut first = ServerProcess::start(&url);
    let token = first.admin_token();
    let org = first.create_org(&token, "crashing").await;

    // The test holds the organization's lock (as a writer does: `FOR NO KEY UPDATE`,
    // which leaves the key's foreign key free), so the push claims its key and then
    // waits for the organization: a request in flight.
    let db = Database::connect(&url).await.unwrap();
    let holder = db.begin().await.unwrap();
    holder
        .execute(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT id FROM organization WHERE id = $1 FOR NO KEY UPDATE",
            [uuid::Uuid::parse_str(&org).unwrap().into()],
        ))
        .await
        .unwrap();
    let push = body("crm");
    let in_flight = tokio::spawn({
        let (address, token, push) = (first.address.clone(), token.clone(), push.clone());
        async move {
            reqwest::Client::new()
                .post(format!(
                    "{address}/api/v1/organizations/crashing/kpi-measurements"
                ))
                .bearer_auth(token)
                .header(header::CONTENT_TYPE, "application/json")
                .header("Idempotency-Key", "crash-1")
                .body(push)
                .send()
                .await
        }
    });
    wait_for("the push to claim its key", Duration::from_secs(20), || {
        let db = &db;
        async move {
            let row = db
                .query_one(Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT COUNT(*) FROM idempotency_record WHERE key = 'crash-1'".to_owned(),
                ))
                .await
                .unwrap()
                .unwrap();
            (row.try_get_by_index::<i64>(0).unwrap() == 1).then_some(())
        }
    })
    .await;

    // The server dies with the push in flight; its claim stays behind.
    first.kill();
    assert!(
        in_flight.await.unwrap().is_err(),
        "the killed server never answered"
    );
    holder.rollback().await.unwrap();

    let second = ServerProcess::start(&url);
    let started = Instant::now();
    let (status, reply) = push_to(&second.address, &token, "crashing", "crash-1", &push).await;
    eprintln!(
        "a retry after the server was killed mid-push: {status} after {:?}: {reply}",
        started.elapsed()
    );
    assert_eq!(
        status,
        StatusCode::OK,
        "the dead attempt's claim does not hold the retry back: {reply}"
    );
    assert_eq!(reply["inserted"], 2, "the retry ran: {reply}");
    let (status, replay) = push_to(&second.address, &token, "crashing", "crash-1", &push).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replay, reply, "and its reply is the one kept for the key");
}

#[tokio::test]
async fn a_claim_left_by_a_process_that_is_gone_is_taken_over_by_the_first_retry() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (org, token, _) = integrated_org(&app, "orphaned").await;
        let push = body("crm");
        // A claim whose owner no longer runs: a process that crashed mid-push (on
        // SQLite any other process; on PostgreSQL one whose liveness lock is free).
        stage_claim(
            &app.database_url,
            &org,
            "left-behind",
            &push,
            Uuid::now_v7(),
        )
        .await;
        let started = Instant::now();
        let (status, reply) = push_to(&app.address, &token, "orphaned", "left-behind", &push).await;
        eprintln!(
            "[{backend:?}] a retry of a claim left by a dead process: {status} after {:?}",
            started.elapsed()
        );
        assert_eq!(status, StatusCode::OK, "[{backend:?}] {reply}");
        assert_eq!(reply["inserted"], 2, "[{backend:?}] the retry ran: {reply}");
        let (status, replay) =
            push_to(&app.address, &token, "orphaned", "left-behind", &push).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(replay, reply, "[{backend:?}] and its reply is kept");
    }
}

#[cfg_attr(
    not(test_postgres),
    ignore = "needs PostgreSQL: set ORGDESIGN_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn a_claim_of_another_live_process_keeps_a_retry_out_until_that_process_is_gone() {
    require_postgres("processes tell each other's liveness through PostgreSQL");
    let app = spawn_app(Backend::Postgres).await;
    let (org, token, _) = integrated_org(&app, "shared").await;
    let push = body("crm");
    // Another replica, alive: a session of the test holds its liveness lock.
    let owner = Uuid::now_v7();
    let (namespace, key) = liveness_lock(owner);
    let replica = Database::connect(&app.database_url).await.unwrap();
    let session = replica.begin().await.unwrap();
    session
        .execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_lock($1, $2)",
            [namespace.into(), key.into()],
        ))
        .await
        .unwrap();
    stage_claim(&app.database_url, &org, "elsewhere", &push, owner).await;
    let (status, reply) = push_to(&app.address, &token, "shared", "elsewhere", &push).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the other replica still runs it: {reply}"
    );

    // The replica dies: its session ends, and with it the lock.
    session.rollback().await.unwrap();
    replica.close().await.unwrap();
    let (status, reply) = push_to(&app.address, &token, "shared", "elsewhere", &push).await;
    assert_eq!(status, StatusCode::OK, "taken over at once: {reply}");
    assert_eq!(reply["inserted"], 2);
}

#[tokio::test]
async fn an_attempt_runs_alone_and_a_dropped_one_frees_its_key_at_once() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let org = Uuid::parse_str(&app.create_org("attempts").await).unwrap();
        let store = Store::new(Database::connect(&app.database_url).await.unwrap());

        // Two attempts at once: one runs, the other is told the first still runs.
        let (a, b) = tokio::join!(
            idempotency::claim(&store, org, "k", "hash"),
            idempotency::claim(&store, org, "k", "hash"),
        );
        let (first, other) = match (a.unwrap(), b.unwrap()) {
            (Claim::Run(first), other) | (other, Claim::Run(first)) => (first, other),
            (a, b) => panic!("[{backend:?}] neither ran: {a:?} {b:?}"),
        };
        assert!(matches!(other, Claim::InFlight), "[{backend:?}] {other:?}");
        let again = idempotency::claim(&store, org, "k", "hash").await.unwrap();
        assert!(matches!(again, Claim::InFlight), "[{backend:?}] {again:?}");

        // The first attempt dies (its task is dropped): a retry runs at once.
        drop(first);
        let started = Instant::now();
        let retry = idempotency::claim(&store, org, "k", "hash").await.unwrap();
        let Claim::Run(retry) = retry else {
            panic!("[{backend:?}] the dropped attempt still holds the key: {retry:?}");
        };
        assert!(started.elapsed() < Duration::from_secs(1));
        retry.complete(200, "{\"inserted\":1}").await.unwrap();
        let replay = idempotency::claim(&store, org, "k", "hash").await.unwrap();
        assert!(
            matches!(&replay, Claim::Replay { status: 200, body } if body == "{\"inserted\":1}"),
            "[{backend:?}] {replay:?}"
        );

        // A dropped attempt also frees its key for every process: its claim goes.
        let abandoned = idempotency::claim(&store, org, "gone", "hash")
            .await
            .unwrap();
        assert!(matches!(abandoned, Claim::Run(_)));
        drop(abandoned);
        let db = Database::connect(&app.database_url).await.unwrap();
        wait_for(
            "the abandoned claim to be deleted",
            Duration::from_secs(10),
            || {
                let db = &db;
                async move {
                    let left = db
                        .query_one(Statement::from_string(
                            db.get_database_backend(),
                            "SELECT COUNT(*) FROM idempotency_record WHERE key = 'gone'",
                        ))
                        .await
                        .unwrap()
                        .unwrap()
                        .try_get_by_index::<i64>(0)
                        .unwrap();
                    (left == 0).then_some(())
                }
            },
        )
        .await;
    }
}

#[cfg_attr(
    not(test_postgres),
    ignore = "needs PostgreSQL: set ORGDESIGN_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn a_claim_of_a_process_whose_liveness_session_ended_is_taken_over_by_another() {
    require_postgres("processes tell each other's liveness through PostgreSQL");
    let app = spawn_app(Backend::Postgres).await;
    let org = Uuid::parse_str(&app.create_org("replicas").await).unwrap();
    let first = Store::new(Database::connect(&app.database_url).await.unwrap());
    first.leases.keep_alive(&first.db).await;
    let second = Store::new(Database::connect(&app.database_url).await.unwrap());

    let Claim::Run(running) = idempotency::claim(&first, org, "k", "hash").await.unwrap() else {
        panic!("the first claim runs");
    };
    let other = idempotency::claim(&second, org, "k", "hash").await.unwrap();
    assert!(
        matches!(other, Claim::InFlight),
        "the first process is alive: {other:?}"
    );

    // The first process dies mid-attempt: nothing of it runs any more (no cleanup),
    // and PostgreSQL ends its session.
    std::mem::forget(running);
    first.leases.close().await;
    // PostgreSQL releases the session's advisory lock once its backend has exited,
    // which follows the client's goodbye by a moment.
    let started = std::time::Instant::now();
    let retry = loop {
        let retry = idempotency::claim(&second, org, "k", "hash").await.unwrap();
        if matches!(retry, Claim::Run(_)) || started.elapsed() > std::time::Duration::from_secs(2) {
            break retry;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(
        matches!(retry, Claim::Run(_)),
        "taken over within 2 s of the session's end: {retry:?}"
    );
}
