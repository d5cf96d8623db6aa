//! `orgdesign serve` stops within its grace period whatever its requests are doing:
//! SIGTERM while a request waits on a database that will not answer for far longer
//! (PostgreSQL behind a frozen proxy; SQLite locked by another process) ends the
//! process within `shutdown_timeout_secs` and the second of margin after it.
//!
//! A request waiting on the database is dropped at the end of the grace period by the
//! HTTP server itself. What only the process's own deadline can end, a worker thread
//! that never yields, is tried in `orgdesign_api::startup`'s unit tests, on a copy of
//! the test binary that spins forever.

use std::time::Duration;

use orgdesign_api::startup::{EXIT_STOP_OVERRAN, STOP_MARGIN};
use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::{
    helpers::{Backend, HeldRequest, ServerProcess, fresh_database, require_postgres},
    proxy::Proxy,
};

/// The grace period the server is started with.
const GRACE: Duration = Duration::from_secs(1);

/// What the exit may take beyond the grace period and its margin: the way from
/// `kill` to the reaped process on a busy machine.
const SLACK: Duration = Duration::from_secs(1);

const PUSH: &str = "mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted } }";

/// Starts `orgdesign serve` on `database_url` with a one-second grace period and the
/// request time limit far beyond it (the default 30 s), on one HTTP worker: a worker
/// with nothing in flight stops at once, and with it the connections it opened, which
/// would fail a request waiting on one of them instead of leaving it waiting.
fn start(database_url: &str) -> ServerProcess {
    ServerProcess::start_with_env(
        database_url,
        &[
            ("ORGDESIGN_SHUTDOWN_TIMEOUT_SECS", "1"),
            ("ORGDESIGN_WORKERS", "1"),
        ],
    )
}

/// Puts `body` in flight as a `POST /graphql` (the server has taken the request when
/// its `100 Continue` comes, see [`HeldRequest`]), then sends SIGTERM and asserts the
/// process is gone within the grace period plus its margin; returns how long it took.
async fn terminate_while_in_flight(
    server: &mut ServerProcess,
    token: &str,
    body: Value,
) -> Duration {
    let request = HeldRequest::start(server.host(), Some(token), &body.to_string()).await;
    // The request goes on in the server, and waits on the database there; its answer,
    // if it ever gets one, is not read.
    let _connection = request.send_body().await;
    server.terminate().await;
    let signalled = Instant::now();
    let exit = server.wait_for_exit().await;
    let took = signalled.elapsed();
    assert!(
        exit.success() || exit.code() == Some(EXIT_STOP_OVERRAN),
        "a clean exit, or the documented one of a stop that overran: {exit:?}"
    );
    assert!(
        took < GRACE + STOP_MARGIN + SLACK,
        "gone within the grace period ({GRACE:?}) and its margin ({STOP_MARGIN:?}), took {took:?} ({exit:?})"
    );
    eprintln!(
        "SIGTERM with a request waiting on the database: the process exited {took:?} after it ({exit:?})"
    );
    took
}

// Multi-threaded: starting the process blocks the test's thread until the server logs
// its address, and the proxy must go on forwarding meanwhile.
#[cfg_attr(
    not(test_postgres),
    ignore = "needs PostgreSQL: set ORGDESIGN_TEST_POSTGRES_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_the_server_within_its_grace_period_while_a_read_waits_on_a_frozen_postgresql()
{
    require_postgres("the shutdown test needs a TCP connection to freeze");
    let (url, _) = fresh_database(Backend::Postgres).await;
    let proxy = Proxy::to_postgres().await;
    let mut server = start(&proxy.route(&url));
    let token = server.admin_token();
    let org = server.create_org(&token, "stuck").await;

    // The read would wait 30 s (its time limit) for a database that answers nothing.
    proxy.freeze();
    let took = terminate_while_in_flight(
        &mut server,
        &token,
        json!({ "query": "query($id: ID!) { organization(id: $id) { name units { name } } }", "variables": { "id": org } }),
    )
    .await;
    assert!(
        took >= GRACE,
        "the request in flight had its grace period: {took:?}"
    );
    proxy.thaw();
}

#[tokio::test]
async fn sigterm_ends_the_server_within_its_grace_period_while_a_write_waits_on_a_locked_sqlite() {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let mut server = start(&url);
    let token = server.admin_token();
    let org = server.create_org(&token, "stuck").await;

    // Another process holds SQLite's write lock: the push's BEGIN waits on the busy
    // timeout (10 s), far past the grace period.
    let db = Database::connect(&url).await.unwrap();
    let holder = db.begin().await.unwrap();
    holder
        .execute_unprepared("UPDATE organization SET version = version")
        .await
        .unwrap();
    let took = terminate_while_in_flight(
        &mut server,
        &token,
        json!({ "query": PUSH, "variables": { "o": org, "p": [{ "kpi": "leads", "granularity": "DAY", "periodStart": "2024-01-01", "value": "1", "source": "stuck" }] } }),
    )
    .await;
    assert!(
        took >= GRACE,
        "the request in flight had its grace period: {took:?}"
    );
    holder.rollback().await.unwrap();
    db.close().await.ok();
    if let Some(dir) = dir {
        std::fs::remove_dir_all(dir).ok();
    }
}
