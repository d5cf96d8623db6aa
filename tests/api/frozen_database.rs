//! A database that stops answering in the middle of a write: a TCP proxy between the
//! server and PostgreSQL stops forwarding (without closing anything), as a network
//! partition or a hung database host would.
//!
//! PostgreSQL only: SQLite runs inside the server process, so there is no connection
//! that can stop answering while the process goes on.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
    time::Instant,
};

use crate::helpers::{
    Backend, code, postgres_admin_url, require_postgres, spawn_app_with, wait_for,
};

/// A TCP proxy on 127.0.0.1 in front of one upstream address, with a switch that
/// stops all forwarding (in both directions, on every connection, and on connections
/// accepted later) without closing a connection.
struct Proxy {
    address: String,
    switch: Arc<Switch>,
}

/// The proxy's switch, shared by its connections.
struct Switch {
    frozen: watch::Sender<bool>,
    /// Server-to-database bytes at which the proxy freezes by itself.
    freeze_at: AtomicU64,
    /// Server-to-database bytes forwarded so far.
    forwarded: AtomicU64,
    stopped: AtomicBool,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let switch = Arc::new(Switch {
            frozen: watch::channel(false).0,
            freeze_at: AtomicU64::new(u64::MAX),
            forwarded: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
        });
        let shared = switch.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if shared.stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pump(client_read, server_write, shared.clone(), true));
                tokio::spawn(pump(server_read, client_write, shared.clone(), false));
            }
        });
        Self { address, switch }
    }

    /// Freezes once `bytes` more have gone from the server to the database.
    fn freeze_after(&self, bytes: u64) {
        let now = self.switch.forwarded.load(Ordering::SeqCst);
        self.switch.freeze_at.store(now + bytes, Ordering::SeqCst);
    }

    fn is_frozen(&self) -> bool {
        *self.switch.frozen.borrow()
    }

    fn thaw(&self) {
        self.switch.freeze_at.store(u64::MAX, Ordering::SeqCst);
        self.switch.frozen.send_replace(false);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.switch.stopped.store(true, Ordering::SeqCst);
        self.thaw();
    }
}

/// Copies `from` to `to`, holding still (reading nothing, closing nothing) while the
/// switch is on. Towards the database it counts the bytes and throws the switch at
/// the threshold, after forwarding the chunk that crossed it.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    switch: Arc<Switch>,
    towards_database: bool,
) {
    let mut frozen = switch.frozen.subscribe();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        if frozen.wait_for(|f| !*f).await.is_err() {
            return;
        }
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => {
                to.shutdown().await.ok();
                return;
            }
            Ok(n) => n,
        };
        // A chunk read just as the switch was thrown waits for the thaw.
        if frozen.wait_for(|f| !*f).await.is_err() {
            return;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
        if towards_database {
            let total = switch.forwarded.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
            if total >= switch.freeze_at.load(Ordering::SeqCst) {
                switch.frozen.send_replace(true);
            }
        }
    }
}

/// `url` with its host and port replaced by `address`.
fn through(url: &str, address: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap();
    let credentials = authority
        .rsplit_once('@')
        .map(|(c, _)| format!("{c}@"))
        .unwrap_or_default();
    format!("{scheme}://{credentials}{address}/{path}")
}

/// `host:port` of a PostgreSQL URL.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split('/').next().unwrap();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    }
}

const PUSH: &str = "mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted } }";

fn points(source: &str, count: usize) -> Value {
    let first = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    Value::Array(
        (0..count)
            .map(|day| {
                let date = first + chrono::Duration::days(i64::try_from(day).unwrap());
                json!({ "kpi": "leads", "granularity": "DAY", "periodStart": date.to_string(), "value": "1", "source": source })
            })
            .collect(),
    )
}

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
    let upstream = host_of(&postgres_admin_url().unwrap());
    let proxy = Proxy::start(upstream).await;
    let address = proxy.address.clone();
    let app = spawn_app_with(Backend::Postgres, |s| {
        let url = through(
            secrecy::ExposeSecret::expose_secret(&s.database_url),
            &address,
        );
        s.database_url = secrecy::SecretString::from(url);
        s.limits.request_timeout_ms = u64::try_from(TIMEOUT.as_millis()).unwrap();
    })
    .await;
    // The test's own view of the database goes around the proxy.
    let direct_url = app.database_url.clone();
    let org = app.create_org("frozen").await;
    app.ok(PUSH, json!({ "o": org, "p": points("warm-up", 10) }))
        .await;

    // A 5,000-point push: the proxy freezes in the middle of its big INSERT, once
    // 64 KiB more have gone towards the database.
    proxy.freeze_after(64 * 1024);
    let answered = AtomicBool::new(false);
    let started = Instant::now();
    let push = async {
        let body = app
            .graphql(PUSH, json!({ "o": org, "p": points("frozen", 5_000) }))
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
        .ok(PUSH, json!({ "o": org, "p": points("frozen", 5_000) }))
        .await;
    assert_eq!(again["recordKpiMeasurements"]["inserted"], 5_000);
}
