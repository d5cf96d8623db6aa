//! The database connection: SQLite (embedded default) or PostgreSQL, chosen by URL.
//! [`write`](mod@write) holds the gate every write passes (only the write protocol,
//! `crate::write`, opens it); [`lease`] tells whether work a process claimed in the
//! database is still running; [`pulse`] whether the database answers now, within a
//! deadline.

pub mod lease;
pub mod pulse;
pub mod write;

use std::{sync::Arc, time::Duration};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, RuntimeErr,
    TransactionTrait, sqlx,
};
use secrecy::ExposeSecret;
use uuid::Uuid;

pub use self::{
    pulse::Pulse,
    write::{NotBegun, WriteLimits, WriteTx, WriteWatch, Writes},
};
use crate::{observe::Observer, settings::Settings};

/// Opens the pool that serves requests. The caller decides when (start-up, a CLI
/// command); nothing here runs migrations.
///
/// SQLite runs in WAL mode with a busy timeout, so readers never block the writer and
/// concurrent writers queue instead of failing; foreign keys are enforced. On
/// PostgreSQL every statement is cut off after the request timeout, a session left
/// idle inside a transaction (its client gone quiet mid-write) is ended by the server
/// so it does not keep the organization's lock, and the server probes idle client
/// connections with TCP keepalives. (sqlx 0.8 sets no keepalive on its own end of the
/// connection; the deadline on every statement of a write, in [`write`](mod@write), stands in
/// for it.)
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    // At least a second: PostgreSQL reads 0 as "no limit", and mutations (which the
    // request timeout does not stop) should not fail on a sub-second statement limit.
    open(
        settings,
        Some(settings.limits.request_timeout_ms.max(1_000)),
    )
    .await
}

/// The shortest time PostgreSQL lets a session sit idle inside a transaction before it
/// ends the session, whatever the statement timeout.
const IDLE_IN_TRANSACTION_MIN_MS: u64 = 5_000;

/// Opens a pool for maintenance (migrations, demo data): no statement timeout, as
/// building an index on a large table may take longer than any request should.
pub async fn connect_for_maintenance(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    open(settings, None).await
}

async fn open(
    settings: &Settings,
    statement_timeout_ms: Option<u64>,
) -> Result<DatabaseConnection, DbErr> {
    use sqlx::ConnectOptions as _;
    let url = settings.database_url.expose_secret();
    let conn_err = |e: sqlx::Error| DbErr::Conn(RuntimeErr::SqlxError(e));
    let acquire = Duration::from_secs(settings.database.acquire_timeout_secs);
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let mut options = url
            .parse::<sqlx::postgres::PgConnectOptions>()
            .map_err(conn_err)?
            .disable_statement_logging();
        // A request that runs out of time is dropped; PostgreSQL stops its statement
        // too, instead of finishing work nobody waits for.
        if let Some(ms) = statement_timeout_ms {
            options = options.options([
                ("statement_timeout", ms.to_string()),
                // A write's statements follow each other within milliseconds; a
                // session idle in a transaction for longer than this lost its client,
                // and the server ends it rather than keep its locks.
                (
                    "idle_in_transaction_session_timeout",
                    ms.max(IDLE_IN_TRANSACTION_MIN_MS).to_string(),
                ),
                // The server probes its side of an idle connection (sqlx 0.8 offers
                // no keepalive for the client's side).
                ("tcp_keepalives_idle", "30".to_owned()),
                ("tcp_keepalives_interval", "10".to_owned()),
                ("tcp_keepalives_count", "3".to_owned()),
            ]);
        }
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(settings.database.max_connections)
            .acquire_timeout(acquire)
            // sqlx would otherwise ping every connection it hands out: a round trip
            // per statement. A connection that was in use within the last second is
            // known to be alive; one idle for longer (after an outage, say) is still
            // checked, so a dead one is replaced instead of failing a request.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > IDLE_BEFORE_PING {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options)
            .await
            .map_err(conn_err)?;
        Ok(sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(
            pool,
        ))
    } else {
        let options = url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .map_err(conn_err)?
            .disable_statement_logging()
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            // FULL: a committed (acknowledged) transaction survives a power cut,
            // not only a crash of the process.
            .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(settings.database.max_connections)
            .acquire_timeout(acquire)
            // An embedded database has no network to lose: no ping on every hand-out
            // (a round trip to the connection's worker thread per statement).
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(conn_err)?;
        Ok(sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    }
}

/// How long a pooled PostgreSQL connection may sit idle before it is pinged on hand-out.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// Reports every SQL statement to `metrics`, so `/metrics` shows database load and
/// tests can prove a nested query runs a constant number of statements.
pub fn instrument(db: &mut DatabaseConnection, metrics: Arc<dyn Observer>) {
    db.set_metric_callback(move |info| {
        metrics.observe_statement(info.elapsed, info.failed);
        tracing::trace!(target: "orgdesign::sql", elapsed = ?info.elapsed, failed = info.failed, sql = %info.statement.sql);
    });
}

/// Pool use for `/metrics`: (connections open, idle).
pub fn pool_usage(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::MySql => (0, 0),
    }
}

/// Whether the database answers a trivial statement, however long it takes: see
/// [`Pulse`] for the answer within a deadline.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// Whether an error means the database cannot be reached, did not answer in time, or
/// refused for a reason that passes (`is_transient`), rather than refusing the
/// statement itself: those become `UNAVAILABLE` (retry), the rest `INTERNAL`.
pub fn is_unavailable(err: &DbErr) -> bool {
    let sqlx_err = match err {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    match sqlx_err {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db_err) => {
            let backend = if db_err
                .try_downcast_ref::<sqlx::sqlite::SqliteError>()
                .is_some()
            {
                DbBackend::Sqlite
            } else {
                DbBackend::Postgres
            };
            db_err
                .code()
                .is_some_and(|code| is_transient(backend, &code))
        }
        _ => false,
    }
}

/// Whether a database error code names a condition that passes, so that the same
/// request may succeed later:
///
/// - PostgreSQL: class 08 (connection exception), 57P01-57P03 (admin shutdown, crash
///   shutdown, cannot connect now), 53300 (too many connections), 57014 (the statement
///   ran out of time: `statement_timeout`, e.g. waiting for an organization's lock),
///   55P03 (a lock not available in time), 40001 and 40P01 (serialization failure,
///   deadlock: the transaction was chosen to give way);
/// - SQLite (numeric extended codes): `SQLITE_BUSY` and `SQLITE_LOCKED` in any of
///   their variants (another connection held the lock past the busy timeout).
fn is_transient(backend: DbBackend, code: &str) -> bool {
    match backend {
        DbBackend::Sqlite => code
            .parse::<i32>()
            .is_ok_and(|extended| matches!(extended & 0xff, 5 | 6)),
        _ => {
            code.starts_with("08")
                || code.starts_with("57P")
                || ["53300", "57014", "55P03", "40001", "40P01"].contains(&code)
        }
    }
}

/// The SQLSTATE / SQLite extended code of a unique-key violation, when that is what
/// the error is.
pub fn is_unique_violation(err: &DbErr) -> bool {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(sqlx::Error::Database(e)))
        | DbErr::Query(RuntimeErr::SqlxError(sqlx::Error::Database(e))) => e.is_unique_violation(),
        _ => false,
    }
}

/// Begins a transaction that will write, into `organization` if it is given: the only
/// way a writing transaction starts.
///
/// The writer first waits for its place at the gate ([`Writes`]): its organization's
/// turn in this process and one of the connections writers may hold, each wait
/// bounded by the time limit; then the transaction begins, and every statement of it
/// has a deadline ([`WriteTx`]). The caller then takes the organization's lock in the
/// database (`organizations::service::lock`), which orders writers across processes.
pub(crate) async fn begin_write(
    writes: &Writes,
    organization: Option<Uuid>,
) -> Result<WriteTx, NotBegun> {
    writes.begin(organization).await
}

/// Begins the transaction itself (after the gate).
///
/// On SQLite the transaction takes the write lock with its first statement (a write
/// that matches no row), waiting on the busy timeout if another writer holds it. A
/// transaction that read first and wrote later would instead fail at once with
/// `SQLITE_BUSY` whenever another connection committed in between, since its snapshot
/// is then stale. PostgreSQL needs nothing: row locks order its writers.
async fn begin_transaction(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let tx = db.begin().await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        tx.execute_unprepared("UPDATE organization SET version = version WHERE 1 = 0")
            .await?;
    }
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_passes_is_told_by_each_database_in_its_own_codes() {
        // PostgreSQL's SQLSTATEs, digits or not.
        for code in [
            "08006", "57P01", "53300", "57014", "55P03", "40001", "40P01",
        ] {
            assert!(is_transient(DbBackend::Postgres, code), "{code}");
        }
        for code in ["23505", "22P02", "42P01", "00000"] {
            assert!(!is_transient(DbBackend::Postgres, code), "{code}");
        }
        // SQLite's extended codes: BUSY (5), BUSY_SNAPSHOT (517), LOCKED (6), and a
        // unique violation (2067) that does not pass.
        for code in ["5", "517", "261", "6", "262"] {
            assert!(is_transient(DbBackend::Sqlite, code), "{code}");
        }
        for code in ["2067", "19", "1", "40001"] {
            assert!(!is_transient(DbBackend::Sqlite, code), "{code}");
        }
    }
}
