//! Leases: work this process has claimed in the database (an `Idempotency-Key`, say),
//! with a way for any process to tell whether the claimant still runs it.
//!
//! A claim row records its owner (this process's id, made afresh at every start) and
//! its lease (one id per attempt). The claim is alive while:
//!
//! - the owner is this process and the lease is among its live ones ([`Lease`]s not
//!   yet dropped: a task that was aborted or a request whose client went away drops
//!   its lease with it);
//! - on PostgreSQL, the owner is another process whose liveness lock is held: each
//!   serving process keeps a session of its own holding an advisory lock named after
//!   its id ([`Leases::keep_alive`]). PostgreSQL releases it the moment that session
//!   ends: the process crashed or was killed (its socket closes), or, for a host that
//!   vanished, when the server's TCP keepalives give up (about a minute);
//! - on SQLite, never when the owner is another process: one server process serves a
//!   database file, so a claim left by another owner was left by a process that is
//!   gone.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, PoisonError, Weak},
    time::Duration,
};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement,
    sqlx::{self, Connection as _, postgres::PgConnection},
};
use tokio::{sync::watch, task::JoinHandle};
use uuid::Uuid;

/// The first key of every liveness lock (`pg_advisory_lock(int, int)`), so that they
/// cannot clash with advisory locks taken for other purposes: "orgd".
const LIVENESS_LOCKS: i32 = 0x6f72_6764;

/// How often the liveness session is checked, how long to wait before it is opened
/// again after it was lost, and how long opening, checking or closing it may take (a
/// database that does not answer must not hold the task, or a stopping server).
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// This process's leases: its owner id, the leases of the attempts it runs, and (on
/// PostgreSQL) the session that tells other processes it is alive.
#[derive(Debug)]
pub struct Leases {
    owner: Uuid,
    backend: DbBackend,
    live: Arc<Mutex<HashSet<Uuid>>>,
    /// Tells the liveness task to end its session.
    closing: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Leases {
    /// Leases of a new owner on a database of `backend`. Nothing is opened: a serving
    /// process calls [`Leases::keep_alive`].
    pub fn new(backend: DbBackend) -> Self {
        Self {
            owner: Uuid::now_v7(),
            backend,
            live: Arc::default(),
            closing: watch::channel(false).0,
            task: Mutex::new(None),
        }
    }

    /// This process's id as the owner of claims.
    pub fn owner(&self) -> Uuid {
        self.owner
    }

    /// A new lease, live until it is dropped. Take it before the claim that records
    /// it can be seen, so that no one finds the claim without its lease.
    pub fn take(&self) -> Lease {
        let id = Uuid::now_v7();
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id);
        Lease {
            id,
            live: Arc::downgrade(&self.live),
        }
    }

    /// Whether the lease `lease` of `owner` is still held, asked on `conn` (on
    /// PostgreSQL, inside the caller's transaction: the check takes the owner's
    /// liveness lock for the rest of it when the owner is gone).
    pub async fn is_alive<C: ConnectionTrait>(
        &self,
        conn: &C,
        owner: Uuid,
        lease: Uuid,
    ) -> Result<bool, DbErr> {
        if owner == self.owner {
            return Ok(self
                .live
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(&lease));
        }
        if self.backend != DbBackend::Postgres {
            return Ok(false);
        }
        let row = conn
            .query_one(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock($1, $2) AS free",
                [LIVENESS_LOCKS.into(), lock_key(owner).into()],
            ))
            .await?
            .ok_or_else(|| DbErr::Custom("no answer to the liveness check".to_owned()))?;
        let free: bool = row.try_get("", "free")?;
        Ok(!free)
    }

    /// On PostgreSQL: opens a session of its own (outside the pool) that holds this
    /// owner's liveness lock for as long as the process runs, checks it every few
    /// seconds and opens it again when it was lost. Returns once the lock is first
    /// held, or the first attempt failed (then it keeps trying in the background).
    /// Does nothing on SQLite.
    pub async fn keep_alive(self: &Arc<Self>, db: &DatabaseConnection) {
        if self.backend != DbBackend::Postgres {
            return;
        }
        let pool = db.get_postgres_connection_pool().clone();
        let key = lock_key(self.owner);
        let first = hold(&pool, key).await;
        if let Err(err) = &first {
            tracing::warn!(error = %err, "the liveness lock cannot be taken yet; retrying");
        }
        let leases: Weak<Self> = Arc::downgrade(self);
        let mut closing = self.closing.subscribe();
        let task = tokio::spawn(async move {
            let mut session = first.ok();
            loop {
                let stop = tokio::select! {
                    () = tokio::time::sleep(CHECK_EVERY) => false,
                    changed = closing.changed() => changed.is_err() || *closing.borrow(),
                };
                if stop || leases.strong_count() == 0 || pool.is_closed() {
                    if let Some(session) = session {
                        tokio::time::timeout(CHECK_EVERY, session.close())
                            .await
                            .ok();
                    }
                    return;
                }
                session = match session {
                    Some(mut held) => match tokio::time::timeout(CHECK_EVERY, held.ping()).await {
                        Ok(Ok(())) => Some(held),
                        Ok(Err(err)) => {
                            tracing::warn!(error = %err, "the liveness lock's session was lost");
                            None
                        }
                        Err(_) => {
                            tracing::warn!(
                                "the liveness lock's session did not answer; opening another"
                            );
                            None
                        }
                    },
                    None => match hold(&pool, key).await {
                        Ok(held) => Some(held),
                        Err(err) => {
                            tracing::warn!(error = %err, "the liveness lock cannot be taken");
                            None
                        }
                    },
                };
            }
        });
        *self.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
    }

    /// Ends the liveness session (a stopping server, after its requests drained):
    /// other processes then see this owner's claims as dead at once.
    pub async fn close(&self) {
        self.closing.send_replace(true);
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            task.await.ok();
        }
    }
}

/// Opens a session with the pool's options and takes the liveness lock `key` in it,
/// within [`CHECK_EVERY`].
async fn hold(pool: &sqlx::PgPool, key: i32) -> Result<PgConnection, sqlx::Error> {
    let open = async {
        let mut session = PgConnection::connect_with(&pool.connect_options()).await?;
        sqlx::query("SELECT pg_advisory_lock($1, $2)")
            .bind(LIVENESS_LOCKS)
            .bind(key)
            .execute(&mut session)
            .await?;
        Ok(session)
    };
    tokio::time::timeout(CHECK_EVERY, open)
        .await
        .unwrap_or(Err(sqlx::Error::PoolTimedOut))
}

/// The second key of an owner's liveness lock: the random tail of its id.
fn lock_key(owner: Uuid) -> i32 {
    let bytes = owner.as_bytes();
    i32::from_be_bytes([bytes[12], bytes[13], bytes[14], bytes[15]])
}

/// One attempt's lease: live until dropped.
#[derive(Debug)]
pub struct Lease {
    id: Uuid,
    live: Weak<Mutex<HashSet<Uuid>>>,
}

impl Lease {
    /// The id a claim records.
    pub fn id(&self) -> Uuid {
        self.id
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(live) = self.live.upgrade() {
            live.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_of_this_process_lives_until_it_is_dropped() {
        let leases = Leases::new(DbBackend::Sqlite);
        let lease = leases.take();
        let id = lease.id();
        let alive = |id| {
            leases
                .live
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(&id)
        };
        assert!(alive(id));
        drop(lease);
        assert!(!alive(id));
        assert_ne!(
            leases.take().id(),
            id,
            "every attempt has a lease of its own"
        );
    }
}
