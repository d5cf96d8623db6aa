//! Who writes when: the queue in front of each organization, the writers' share of the
//! pool, and the deadline on every statement of a write.
//!
//! A writer of an organization first waits for that organization's turn in this
//! process (`Writes::begin`), holding no pooled connection while it waits; then for
//! one of the connections writers may hold (the rest of the pool stays free for
//! reads); only then does it begin its transaction and take the organization's lock in
//! the database (`organizations::service::lock`), which orders writers across
//! processes. Each wait ends at the time limit, and a full queue refuses at once: the
//! writer is answered `UNAVAILABLE` (retry), never left holding a connection.
//!
//! Every statement of a write, `BEGIN` and `COMMIT` included, must be answered within
//! the time limit (plus a little, so that a database that answers cuts its own
//! statement off first, on PostgreSQL by `statement_timeout`). A database that does
//! not answer in time gets the write abandoned: the transaction is dropped, which
//! rolls it back (sea-orm queues the `ROLLBACK`; sqlx drains the connection and tests
//! it before it goes back to the pool), and the writer is answered `UNAVAILABLE`.
//!
//! A request has a deadline of its own at the edge (`orgdesign-api`'s
//! `http::deadline`), which may cut it off while it reads but never while one of its
//! writes is under way: cut off mid-`COMMIT`, a change could land while the answer
//! said the request was stopped. The gate and the transaction tell the request's
//! [`WriteWatch`] when a write is under way and when one committed.

use std::{
    collections::HashMap,
    future::Future,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, RuntimeErr, Statement,
};
use tokio::{
    sync::{OwnedSemaphorePermit, Semaphore, watch},
    time::Instant,
};
use uuid::Uuid;

use crate::settings::Settings;

/// How much longer than the time limit the client waits for a statement: a database
/// that answers cuts a statement off itself at the limit (cleanly, keeping the
/// connection usable); the client's own deadline is for one that does not answer.
const STATEMENT_SLACK: Duration = Duration::from_millis(500);

/// The limits writers keep to.
#[derive(Debug, Clone)]
pub struct WriteLimits {
    /// Longest a writer waits for its turn (the organization's and a connection's,
    /// together), and longest each of its statements may go unanswered (plus
    /// `STATEMENT_SLACK`). `None`: wait as long as it takes (the command-line tools).
    pub time_limit: Option<Duration>,
    /// Most writers that may wait for one organization while another writes to it.
    pub queue_per_organization: usize,
    /// Most pooled connections writers hold at once.
    pub connections: usize,
}

impl WriteLimits {
    /// The server's limits: the time limit is the request timeout (at least a second,
    /// as PostgreSQL's `statement_timeout`), the rest from `[writes]`.
    pub fn from_settings(db: &DatabaseConnection, settings: &Settings) -> Self {
        Self {
            time_limit: Some(Duration::from_millis(
                settings.limits.request_timeout_ms.max(1_000),
            )),
            queue_per_organization: settings.writes.max_queued_per_organization,
            connections: default_connections(db, settings.writes.max_connections),
        }
    }

    /// No time limit and no queue bound; writers hold at most half of `db`'s pool (one
    /// on SQLite). For the command-line tools, which write one thing after another.
    pub fn unbounded(db: &DatabaseConnection) -> Self {
        Self {
            time_limit: None,
            queue_per_organization: usize::MAX,
            connections: default_connections(db, None),
        }
    }
}

/// How many pooled connections writers may hold: `configured`, or half of the pool
/// (at least one), never the whole pool unless it has one connection; on SQLite, one,
/// as SQLite lets one transaction write at a time and a second writer could only wait
/// on its busy timeout, holding a connection.
pub fn default_connections(db: &DatabaseConnection, configured: Option<u32>) -> usize {
    if db.get_database_backend() == DbBackend::Sqlite {
        return 1;
    }
    let pool = match db.get_database_backend() {
        DbBackend::Postgres => db
            .get_postgres_connection_pool()
            .options()
            .get_max_connections(),
        _ => 2,
    };
    let share = configured.unwrap_or(pool.div_ceil(2));
    usize::try_from(share.clamp(1, pool.max(1))).unwrap_or(1)
}

/// Why a write did not begin.
#[derive(Debug, thiserror::Error)]
pub enum NotBegun {
    /// The writers ahead did not make room within the time limit, or the queue was
    /// full; the text says which, for the client.
    #[error("{0}")]
    Busy(&'static str),
    /// The database refused, or did not answer within the deadline.
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// The writers of one organization: the turn they take one at a time, and how many
/// hold it or wait for it.
#[derive(Debug)]
struct Queue {
    turn: Arc<Semaphore>,
    writers: usize,
}

type Queues = Arc<Mutex<HashMap<Uuid, Queue>>>;

/// The gate writers pass: per-organization queues and the writers' connections. Built
/// once per process with the pool it guards and shared (through the `Store`).
#[derive(Debug)]
pub struct Writes {
    db: DatabaseConnection,
    limits: WriteLimits,
    connections: Arc<Semaphore>,
    /// The organizations with writers, and only those: a queue is dropped with its
    /// last writer.
    queues: Queues,
}

impl Writes {
    /// The gate in front of `db`.
    pub fn new(db: DatabaseConnection, limits: WriteLimits) -> Self {
        Self {
            connections: Arc::new(Semaphore::new(limits.connections.max(1))),
            db,
            limits,
            queues: Arc::default(),
        }
    }

    /// Organizations with writers holding or waiting for their turn, and how many
    /// writers each.
    pub fn queued(&self) -> HashMap<Uuid, usize> {
        self.queues
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(id, queue)| (*id, queue.writers))
            .collect()
    }

    /// Waits for `organization`'s turn (when the write is into one) and for a writer's
    /// connection, then begins the transaction (see `crate::db::begin_write`, which
    /// services call). [`NotBegun::Busy`] when the queue is full or the time limit
    /// passes first; nothing is held then.
    pub(super) async fn begin(&self, organization: Option<Uuid>) -> Result<WriteTx, NotBegun> {
        // Under way from here: each wait below keeps to its own deadline, and answers
        // `UNAVAILABLE` (busy, or no answer) more precisely than the request's would.
        let watched = Watched::begin();
        let until = self.limits.time_limit.map(|limit| Instant::now() + limit);
        let turn = match organization {
            Some(organization) => Some(self.take_turn(organization, until).await?),
            None => None,
        };
        let connection = wait(
            until,
            self.connections.clone().acquire_owned(),
            "too many writes are in progress; try again in a moment",
        )
        .await?;
        let deadline = self.limits.time_limit.map(|limit| limit + STATEMENT_SLACK);
        // `BEGIN` runs in a task of its own: cut off half-way it would leave the
        // connection inside a transaction the driver does not know of, so a `BEGIN`
        // that misses its deadline is left to finish (or fail) in the background and
        // its transaction is then dropped, which rolls it back.
        let db = self.db.clone();
        let begun = tokio::spawn(async move { super::begin_transaction(&db).await });
        let tx = match deadline {
            None => begun.await,
            Some(limit) => tokio::time::timeout(limit, begun)
                .await
                .map_err(|_| no_answer(limit, "BEGIN"))?,
        }
        .map_err(|err| DbErr::Custom(format!("beginning a write failed: {err}")))??;
        Ok(WriteTx {
            tx,
            watched,
            deadline,
            _place: Place {
                _connection: connection,
                _turn: turn,
            },
        })
    }

    /// Joins `organization`'s queue and waits for its turn until `until`.
    async fn take_turn(
        &self,
        organization: Uuid,
        until: Option<Instant>,
    ) -> Result<Turn, NotBegun> {
        let semaphore = {
            let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
            let queue = queues.entry(organization).or_insert_with(|| Queue {
                turn: Arc::new(Semaphore::new(1)),
                writers: 0,
            });
            if queue.writers > self.limits.queue_per_organization {
                return Err(NotBegun::Busy(
                    "too many writes are waiting for this organization; try again in a moment",
                ));
            }
            queue.writers += 1;
            queue.turn.clone()
        };
        // From here on the writer counts in the queue; dropping `turn` (on success at
        // the end of the write, else now) takes it out.
        let mut turn = Turn {
            queues: self.queues.clone(),
            organization,
            permit: None,
        };
        turn.permit = Some(
            wait(
                until,
                semaphore.acquire_owned(),
                "other writes to this organization took the whole time limit; try again in a moment",
            )
            .await?,
        );
        Ok(turn)
    }
}

/// Waits for a permit until `until`, or says the writer is too busy to wait longer.
async fn wait(
    until: Option<Instant>,
    acquire: impl Future<Output = Result<OwnedSemaphorePermit, tokio::sync::AcquireError>>,
    busy: &'static str,
) -> Result<OwnedSemaphorePermit, NotBegun> {
    let acquired = match until {
        None => acquire.await,
        Some(until) => tokio::time::timeout_at(until, acquire)
            .await
            .map_err(|_| NotBegun::Busy(busy))?,
    };
    // The semaphores are never closed.
    acquired.map_err(|err| NotBegun::Database(DbErr::Custom(err.to_string())))
}

/// The `UNAVAILABLE` cause of a statement the database did not answer in time.
fn no_answer(limit: Duration, statement: &str) -> DbErr {
    DbErr::Conn(RuntimeErr::Internal(format!(
        "the database did not answer {statement} within {} ms; the write was abandoned",
        limit.as_millis()
    )))
}

/// A writer's turn for one organization; leaving the queue when dropped.
#[derive(Debug)]
struct Turn {
    queues: Queues,
    organization: Uuid,
    permit: Option<OwnedSemaphorePermit>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        // The next writer may go as soon as the permit is back.
        self.permit.take();
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(queue) = queues.get_mut(&self.organization) {
            queue.writers = queue.writers.saturating_sub(1);
            if queue.writers == 0 {
                queues.remove(&self.organization);
            }
        }
    }
}

/// What a writer holds besides its transaction: a writer's connection, and its
/// organization's turn.
#[derive(Debug)]
struct Place {
    _connection: OwnedSemaphorePermit,
    _turn: Option<Turn>,
}

tokio::task_local! {
    /// The writes of the request the current task serves, when its edge watches them.
    static WATCH: Arc<WriteWatch>;
}

/// What a request's deadline needs to know of the request's writes: whether one is
/// under way now, and whether one was committed (or its `COMMIT` sent).
///
/// The edge runs a request inside [`WriteWatch::scope`]; a write begun in that task
/// counts as under way from when it joins the gate (its waits for its turn, for a
/// connection and for `BEGIN` keep to their own deadlines) until its transaction ends.
/// Services know nothing of it: the gate and [`WriteTx`] report. Loads a request
/// spawns on tasks of their own (DataLoaders) only read.
#[derive(Debug)]
pub struct WriteWatch {
    /// Write transactions under way.
    open: watch::Sender<usize>,
    committed: AtomicBool,
}

impl WriteWatch {
    /// A watch with nothing under way.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            open: watch::Sender::new(0),
            committed: AtomicBool::new(false),
        })
    }

    /// Runs `work` with its writes reported to this watch.
    pub async fn scope<F: Future>(self: Arc<Self>, work: F) -> F::Output {
        WATCH.scope(self, work).await
    }

    /// Whether a write transaction is under way.
    pub fn writing(&self) -> bool {
        *self.open.borrow() > 0
    }

    /// Whether a write committed, or sent its `COMMIT` (it may have landed).
    pub fn committed(&self) -> bool {
        self.committed.load(Ordering::SeqCst)
    }

    /// Resolves once no write transaction is under way.
    pub async fn idle(&self) {
        let mut open = self.open.subscribe();
        // The sender is `self`, alive as long as this borrow: the wait cannot fail.
        open.wait_for(|writes| *writes == 0).await.ok();
    }
}

/// A write transaction as its request's [`WriteWatch`] counts it, while it lasts.
#[derive(Debug)]
struct Watched(Arc<WriteWatch>);

impl Watched {
    /// Counts a write under way in the current task's watch, if it has one.
    fn begin() -> Option<Self> {
        let watch = WATCH.try_with(Arc::clone).ok()?;
        watch.open.send_modify(|writes| *writes += 1);
        Some(Self(watch))
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.0
            .open
            .send_modify(|writes| *writes = writes.saturating_sub(1));
    }
}

/// A write transaction with a deadline on each statement, holding the writer's place
/// until it ends (the place is given up after the transaction, fields drop in order).
///
/// Dropped without [`WriteTx::commit`], it rolls back.
#[derive(Debug)]
pub struct WriteTx {
    tx: DatabaseTransaction,
    /// Tells the request's watch the write is under way; dropped after `tx`.
    watched: Option<Watched>,
    /// How long each statement may go unanswered; `None`: as long as it takes.
    deadline: Option<Duration>,
    _place: Place,
}

impl WriteTx {
    /// Runs one statement within the deadline; a statement that misses it is dropped
    /// (cut off), and the error makes the caller drop the transaction.
    async fn bounded<T>(
        &self,
        statement: &str,
        work: impl Future<Output = Result<T, DbErr>>,
    ) -> Result<T, DbErr> {
        within(self.deadline, statement, work).await
    }

    /// Commits. Should the database not answer the `COMMIT` in time, the error is
    /// `UNAVAILABLE` and whether the write landed is not known (all of it or none).
    pub async fn commit(self) -> Result<(), DbErr> {
        let Self {
            tx,
            watched,
            deadline,
            _place,
        } = self;
        if let Some(watched) = &watched {
            watched.0.committed.store(true, Ordering::SeqCst);
        }
        within(deadline, "COMMIT", tx.commit()).await
    }

    /// Rolls back (dropping the transaction does too, without waiting for it).
    pub async fn rollback(self) -> Result<(), DbErr> {
        let Self {
            tx,
            watched: _watched,
            deadline,
            _place,
        } = self;
        within(deadline, "ROLLBACK", tx.rollback()).await
    }
}

/// Runs `work` (the statement named `statement`) within `deadline`; past it the work is
/// dropped and the error is `UNAVAILABLE`-worthy ([`no_answer`]).
async fn within<T>(
    deadline: Option<Duration>,
    statement: &str,
    work: impl Future<Output = Result<T, DbErr>>,
) -> Result<T, DbErr> {
    match deadline {
        None => work.await,
        Some(limit) => tokio::time::timeout(limit, work)
            .await
            .unwrap_or_else(|_| Err(no_answer(limit, statement))),
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTx {
    fn get_database_backend(&self) -> DbBackend {
        self.tx.get_database_backend()
    }

    async fn execute(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.bounded("a statement", self.tx.execute(stmt)).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.bounded("a statement", self.tx.execute_unprepared(sql))
            .await
    }

    async fn query_one(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.bounded("a query", self.tx.query_one(stmt)).await
    }

    async fn query_all(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.bounded("a query", self.tx.query_all(stmt)).await
    }

    fn support_returning(&self) -> bool {
        self.tx.support_returning()
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::Database;

    use super::*;

    async fn sqlite() -> anyhow::Result<(DatabaseConnection, std::path::PathBuf)> {
        let dir = std::env::temp_dir().join(format!("orgdesign-write-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir)?;
        let url = format!("sqlite://{}?mode=rwc", dir.join("db").display());
        let db = Database::connect(&url).await?;
        db.execute_unprepared("CREATE TABLE organization (id TEXT PRIMARY KEY, version INTEGER)")
            .await?;
        Ok((db, dir))
    }

    fn limits(time_limit: Duration, queue: usize) -> WriteLimits {
        WriteLimits {
            time_limit: Some(time_limit),
            queue_per_organization: queue,
            connections: 1,
        }
    }

    fn busy(result: &Result<WriteTx, NotBegun>) -> bool {
        matches!(result, Err(NotBegun::Busy(_)))
    }

    #[tokio::test]
    async fn a_writer_waits_for_its_organization_until_the_time_limit_and_a_full_queue_refuses_at_once()
    -> anyhow::Result<()> {
        let (db, dir) = sqlite().await?;
        let writes = Writes::new(db.clone(), limits(Duration::from_millis(200), 1));
        let org = Uuid::now_v7();
        let first = writes.begin(Some(org)).await?;

        // One may wait; it gives up at the time limit, holding nothing.
        let started = Instant::now();
        let second = writes.begin(Some(org)).await;
        assert!(busy(&second), "{second:?}");
        assert!(started.elapsed() >= Duration::from_millis(200));
        assert_eq!(
            writes.queued()[&org],
            1,
            "the one who gave up left the queue"
        );

        // Two waiting while one writes is more than the queue holds.
        let waiting = writes.begin(Some(org));
        let refused = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let started = Instant::now();
            let refused = writes.begin(Some(org)).await;
            (refused, started.elapsed())
        };
        let (waiting, (refused, took)) = tokio::join!(waiting, refused);
        assert!(busy(&waiting), "{waiting:?}");
        assert!(busy(&refused), "{refused:?}");
        assert!(
            took < Duration::from_millis(100),
            "refused at once, not after {took:?}"
        );

        // The turn passes on when the write ends, and an idle queue is dropped.
        drop(first);
        let next = writes.begin(Some(org)).await?;
        next.commit().await?;
        assert!(writes.queued().is_empty());
        std::fs::remove_dir_all(dir).ok();
        Ok(())
    }

    #[tokio::test]
    async fn a_request_watch_sees_its_writes_under_way_and_committed() -> anyhow::Result<()> {
        let (db, dir) = sqlite().await?;
        let writes = Writes::new(db.clone(), limits(Duration::from_secs(5), 10));
        let watch = WriteWatch::new();
        let outside = writes.begin(None).await?;
        assert!(
            !watch.writing(),
            "a write of another task is not this request's"
        );
        outside.rollback().await?;
        let seen = watch
            .clone()
            .scope(async {
                let tx = writes.begin(None).await?;
                let during = watch.writing();
                tx.commit().await?;
                anyhow::Ok(during)
            })
            .await?;
        assert!(seen, "under way from the gate to COMMIT");
        assert!(!watch.writing());
        assert!(watch.committed());
        tokio::time::timeout(Duration::from_secs(1), watch.idle()).await?;
        std::fs::remove_dir_all(dir).ok();
        Ok(())
    }

    #[tokio::test]
    async fn a_begin_the_database_does_not_answer_in_time_is_abandoned_and_rolled_back()
    -> anyhow::Result<()> {
        let (db, dir) = sqlite().await?;
        let writes = Writes::new(
            db.clone(),
            WriteLimits {
                connections: 2,
                ..limits(Duration::from_millis(200), 10)
            },
        );
        // The gate lets two writers have a connection, but SQLite lets one write: the
        // second's BEGIN waits for SQLite's lock past its deadline.
        let first = writes.begin(None).await?;
        let started = Instant::now();
        let second = writes.begin(None).await;
        assert!(
            matches!(&second, Err(NotBegun::Database(DbErr::Conn(_)))),
            "{second:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        // Once the lock is free, the abandoned BEGIN finishes in the background and
        // rolls back; writers go on.
        first.rollback().await?;
        let next = writes.begin(None).await?;
        next.commit().await?;
        std::fs::remove_dir_all(dir).ok();
        Ok(())
    }

    #[tokio::test]
    async fn a_commit_cut_off_by_its_deadline_leaves_the_connection_usable() -> anyhow::Result<()> {
        let (db, dir) = sqlite().await?;
        let writes = Writes::new(db.clone(), limits(Duration::from_secs(5), 10));
        let mut cut = 0;
        for _ in 0..20 {
            let mut tx = writes.begin(Some(Uuid::now_v7())).await?;
            // Enough rows that the COMMIT (WAL frames and an fsync) takes longer than the
            // timer's millisecond: a COMMIT of one row can finish inside a zero deadline
            // on an idle machine.
            tx.execute_unprepared(
                "INSERT INTO organization SELECT hex(randomblob(16)), 1 FROM \
                 (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 20000) \
                 SELECT x FROM n)",
            )
            .await?;
            tx.deadline = Some(Duration::ZERO);
            // Landed or not, the commit may not panic nor spoil the pool.
            if tx.commit().await.is_err() {
                cut += 1;
            }
        }
        assert!(cut > 0, "no commit was cut off; the test tests nothing");
        let after = writes.begin(None).await?;
        after
            .execute_unprepared("INSERT INTO organization VALUES ('last', 1)")
            .await?;
        after.commit().await?;
        let row = db
            .query_one(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT COUNT(*) FROM organization WHERE id = 'last'",
            ))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no count"))?;
        assert_eq!(row.try_get_by_index::<i64>(0)?, 1);
        std::fs::remove_dir_all(dir).ok();
        Ok(())
    }
}
