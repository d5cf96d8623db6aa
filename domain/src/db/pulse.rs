//! Whether the database answers now, within a deadline: what `/readyz` reports, and
//! what tells a request the database kept waiting (`UNAVAILABLE`, retry) from one that
//! took too long by itself (`LIMIT_EXCEEDED`).
//!
//! A database that stops answering (a hung host, a network partition) does not refuse
//! anything: its statements simply never come back, and neither would a probe without
//! a deadline. So every probe has one, and a probe that misses it counts as "does not
//! answer".
//!
//! Probes take turns: while one is on its way, the others wait for its answer instead
//! of sending their own. During an outage every probe sent holds a pooled connection
//! until the database answers again (the pool tests a connection given back in the
//! middle of a statement before reusing it), so a burst of readiness checks and cut
//! requests must not send a probe each.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::{sync::Mutex, time::Instant};

/// The database's pulse: one probe at a time, its answer shared with everyone who asked
/// while it was on its way.
#[derive(Debug)]
pub struct Pulse {
    db: DatabaseConnection,
    /// The last probe's answer; held while a probe is on its way.
    last: Mutex<Option<Heard>>,
}

/// What a probe heard.
#[derive(Debug, Clone, Copy)]
struct Heard {
    /// When the probe ended (answered, failed or gave up).
    at: Instant,
    answered: bool,
}

impl Pulse {
    /// The pulse of `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            last: Mutex::new(None),
        }
    }

    /// Whether the database answers a trivial statement within `within` (waiting for a
    /// pooled connection included). A probe that ended after this call began answers
    /// for it too: one that answered heard the database after the question was asked,
    /// and one that gave up waited at least as long as this one would.
    pub async fn answers(&self, within: Duration) -> bool {
        let asked = Instant::now();
        let deadline = asked + within;
        let Ok(mut last) = tokio::time::timeout_at(deadline, self.last.lock()).await else {
            // A probe was on its way for the whole time: no answer within `within`.
            return false;
        };
        if let Some(heard) = *last
            && heard.at >= asked
        {
            return heard.answered;
        }
        let answered = tokio::time::timeout_at(deadline, super::ping(&self.db))
            .await
            .unwrap_or(false);
        *last = Some(Heard {
            at: Instant::now(),
            answered,
        });
        answered
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::Database;

    use super::*;

    #[tokio::test]
    async fn a_database_that_answers_is_heard_and_askers_share_one_probe() -> anyhow::Result<()> {
        let db = Database::connect("sqlite::memory:").await?;
        let pulse = Pulse::new(db);
        assert!(pulse.answers(Duration::from_secs(5)).await);
        let (a, b, c) = tokio::join!(
            pulse.answers(Duration::from_secs(5)),
            pulse.answers(Duration::from_secs(5)),
            pulse.answers(Duration::from_secs(5)),
        );
        assert!(a && b && c);
        Ok(())
    }

    #[tokio::test]
    async fn a_probe_that_gets_no_answer_in_time_is_no_answer_and_answers_for_those_who_waited()
    -> anyhow::Result<()> {
        let mut options = sea_orm::ConnectOptions::new("sqlite::memory:");
        options
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30));
        let db = Database::connect(options).await?;
        // The pool's one connection is taken: a probe waits for it, as it would for a
        // database that does not answer.
        let held = sea_orm::TransactionTrait::begin(&db).await?;
        let pulse = Pulse::new(db);
        let started = Instant::now();
        let (first, second) = tokio::join!(
            pulse.answers(Duration::from_millis(200)),
            pulse.answers(Duration::from_millis(300)),
        );
        assert!(!first && !second);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "each asker keeps to its deadline: {:?}",
            started.elapsed()
        );
        held.rollback().await?;
        assert!(
            pulse.answers(Duration::from_secs(5)).await,
            "heard again once a connection is free"
        );
        Ok(())
    }
}
