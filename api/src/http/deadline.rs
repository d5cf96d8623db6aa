//! The deadline of a request: `request_timeout_ms` from when it starts to run, for
//! GraphQL documents (reads and writes) and every REST endpoint (the middleware
//! [`rest`]), and what a request cut off at it is answered.
//!
//! A request still running at its deadline is either waiting for a database that does
//! not answer, or doing too much by itself; the answer tells them apart, since only
//! the first is worth retrying as it is:
//!
//! - **`UNAVAILABLE`** (REST: `503` with `Retry-After`) when the database did not
//!   answer a probe ([`orgdesign_domain::db::Pulse`]) sent `readiness_timeout_ms` before the
//!   deadline: the request was waiting for it, for a statement or for a connection;
//! - **`LIMIT_EXCEEDED`** (REST: `503` without `Retry-After`) when it did: the request
//!   asked for more than fits in the time.
//!
//! The probe is sent only by a request still running that close to its deadline, so it
//! costs the others nothing, and its answer is in by the deadline: a request is
//! answered at its deadline, not later (with a time limit shorter than
//! `readiness_timeout_ms`, by `readiness_timeout_ms` at the latest).
//!
//! A write under way is never cut off: stopped mid-`COMMIT`, a change could land while
//! the answer said the request was stopped. It keeps to its own deadlines (each of its
//! statements is answered within the time limit plus half a second, `crate::db::write`),
//! and the request gets [`AFTER_WRITE`] more once it ends, for its reply, before the
//! deadline applies again. A request cut off after one of its writes committed says
//! so.

use std::{future::Future, time::Duration};

use actix_web::{
    HttpResponse, ResponseError as _,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::StatusCode,
    middleware::Next,
    web,
};
use tokio::time::Instant;

use super::{
    AppState,
    error::{ErrorCode, HttpError},
};
use orgdesign_domain::{
    db::{Pulse, WriteWatch},
    error::DATABASE_RETRY_AFTER,
};

/// How long a request may still run after a write that outlasted its deadline ended:
/// time to build its reply, not to start much else.
pub const AFTER_WRITE: Duration = Duration::from_secs(1);

/// A request cut off at its deadline.
#[derive(Debug, Clone, Copy)]
pub struct Cut {
    /// The database did not answer the probe in time.
    pub silent: bool,
    /// A write of the request committed (or sent its `COMMIT`) before the cut.
    pub committed: bool,
    /// The time limit.
    pub limit: Duration,
}

impl Cut {
    /// The stable code: `UNAVAILABLE` for a database that did not answer, else
    /// `LIMIT_EXCEEDED`.
    pub fn code(&self) -> ErrorCode {
        if self.silent {
            ErrorCode::Unavailable
        } else {
            ErrorCode::LimitExceeded
        }
    }

    /// What the client is told.
    pub fn message(&self) -> String {
        let ms = self.limit.as_millis();
        let cut = if self.silent {
            format!(
                "the database did not answer within {ms} ms and the request was stopped; try again later"
            )
        } else {
            format!("the request took longer than {ms} ms and was stopped; ask for less")
        };
        if self.committed {
            format!(
                "{cut} (a change it made may have been stored before it was stopped: read it back before sending it again)"
            )
        } else {
            cut
        }
    }

    /// Seconds to wait before a retry, for a database that did not answer.
    pub fn retry_after(&self) -> Option<u64> {
        self.silent.then(|| DATABASE_RETRY_AFTER.as_secs().max(1))
    }
}

/// A REST answer to a cut request: `503` either way (the server could not give an
/// answer in time), with the code saying which and `Retry-After` when the database
/// was silent.
impl From<Cut> for HttpError {
    fn from(cut: Cut) -> Self {
        let error = HttpError::new(StatusCode::SERVICE_UNAVAILABLE, cut.code(), cut.message());
        match cut.retry_after() {
            Some(seconds) => error.with_retry_after(seconds),
            None => error,
        }
    }
}

/// Runs `work` until its deadline (`request_timeout_ms` from now); past it, `work` is
/// dropped, unless one of its writes is under way (see the module doc).
pub async fn bounded<F: Future>(state: &AppState, work: F) -> Result<F::Output, Cut> {
    let deadline = Deadline {
        limit: Duration::from_millis(state.limits.request_timeout_ms),
        probe: state.readiness_timeout,
    };
    deadline.run(&state.pulse, work).await
}

/// A request's time limit, and how long before it the database is asked whether it
/// answers.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    limit: Duration,
    probe: Duration,
}

impl Deadline {
    /// Runs `work` until the deadline, asking `pulse` `probe` before it. Once the
    /// deadline has passed, a request being cut is polled no more: with a time limit
    /// shorter than the probe, it does not go on while the probe is out.
    async fn run<F: Future>(self, pulse: &Pulse, work: F) -> Result<F::Output, Cut> {
        let Self { limit, probe } = self;
        let watch = WriteWatch::new();
        let work = watch.clone().scope(work);
        tokio::pin!(work);
        let mut deadline = Instant::now() + limit;
        loop {
            // Asked `probe` before the deadline, the probe has its answer by then; with
            // a deadline nearer than that, it is asked at once.
            let ask_at = deadline.checked_sub(probe).unwrap_or(deadline);
            let heard = async move {
                tokio::time::sleep_until(ask_at).await;
                pulse.answers(probe).await
            };
            tokio::pin!(heard);
            let timer = tokio::time::sleep_until(deadline);
            tokio::pin!(timer);
            let mut answered = None;
            // The clock is read too: the timer fires on its next tick, up to a
            // millisecond late, and a deadline already passed lets nothing more run.
            while Instant::now() < deadline {
                tokio::select! {
                    biased;
                    done = &mut work => return Ok(done),
                    heard = &mut heard, if answered.is_none() => answered = Some(heard),
                    () = &mut timer => break,
                }
            }
            if !watch.writing() {
                let answered = match answered {
                    Some(answered) => answered,
                    None => heard.await,
                };
                tracing::warn!(
                    timeout_ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
                    database_answered = answered,
                    "a request ran out of time and was stopped"
                );
                return Err(Cut {
                    silent: !answered,
                    committed: watch.committed(),
                    limit,
                });
            }
            // The write keeps to its own deadlines; then the reply gets a moment.
            tokio::select! {
                biased;
                done = &mut work => return Ok(done),
                () = watch.idle() => {}
            }
            deadline = Instant::now() + AFTER_WRITE;
        }
    }
}

/// Middleware for the REST endpoints: the request, its authentication included, runs
/// within its deadline ([`bounded`]); cut off, it is answered with [`Cut`]'s `503`.
pub async fn rest(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, actix_web::body::BoxBody>>, actix_web::Error>
{
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let request = req.request().clone();
    match bounded(&state, next.call(req)).await {
        Ok(response) => response.map(ServiceResponse::map_into_left_body),
        Err(cut) => {
            let answer: HttpResponse = HttpError::from(cut).error_response();
            Ok(ServiceResponse::new(request, answer).map_into_right_body())
        }
    }
}

#[cfg(test)]
mod tests {
    use migration::{Migrator, MigratorTrait};
    use orgdesign_domain::{
        auth::RequestContext,
        store::Store,
        write::{NewOrganizationWrite, begin_new_organization},
    };
    use sea_orm::{ConnectionTrait, Database};

    use super::*;

    const DEADLINE: Deadline = Deadline {
        limit: Duration::from_millis(100),
        probe: Duration::from_millis(50),
    };

    /// A store on a fresh, migrated SQLite file, and the folder to remove after.
    async fn store() -> anyhow::Result<(Store, std::path::PathBuf)> {
        let dir = std::env::temp_dir().join(format!(
            "orgdesign-deadline-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir)?;
        let url = format!("sqlite://{}?mode=rwc", dir.join("db").display());
        let db = Database::connect(&url).await?;
        Migrator::up(&db, None).await?;
        Ok((Store::new(db), dir))
    }

    /// Begins a write (the creation of an organization), as a service would.
    async fn write<'s>(
        store: &'s Store,
        ctx: &'s RequestContext,
    ) -> anyhow::Result<NewOrganizationWrite<'s>> {
        Ok(begin_new_organization(store, ctx.admin()?).await?)
    }

    #[tokio::test]
    async fn a_request_still_reading_at_its_deadline_is_cut_and_told_the_database_answers()
    -> anyhow::Result<()> {
        let (store, dir) = store().await?;
        let pulse = Pulse::new(store.db.clone());
        let started = Instant::now();
        let cut = DEADLINE
            .run(&pulse, tokio::time::sleep(Duration::from_secs(5)))
            .await
            .err()
            .ok_or_else(|| anyhow::anyhow!("not cut"))?;
        assert!(!cut.silent && !cut.committed, "{cut:?}");
        assert_eq!(cut.code(), ErrorCode::LimitExceeded);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "cut at its deadline"
        );
        std::fs::remove_dir_all(dir).ok();
        Ok(())
    }

    #[tokio::test]
    async fn a_write_under_way_at_the_deadline_runs_to_its_end() -> anyhow::Result<()> {
        let (store, dir) = store().await?;
        let pulse = Pulse::new(store.db.clone());
        let ctx = RequestContext::system("deadline-test");
        let wrote = DEADLINE
            .run(&pulse, async {
                let change = write(&store, &ctx).await?;
                // A write slower than the whole time limit.
                tokio::time::sleep(Duration::from_millis(300)).await;
                change.tx.commit().await?;
                anyhow::Ok("committed")
            })
            .await
            .map_err(|cut| anyhow::anyhow!("cut: {cut:?}"))??;
        assert_eq!(wrote, "committed");
        std::fs::remove_dir_all(dir).ok();
        Ok(())
    }

    #[tokio::test]
    async fn a_request_that_goes_on_long_after_its_write_is_cut_saying_the_change_may_stand()
    -> anyhow::Result<()> {
        let (store, dir) = store().await?;
        let pulse = Pulse::new(store.db.clone());
        let ctx = RequestContext::system("deadline-test");
        let started = Instant::now();
        let cut = DEADLINE
            .run(&pulse, async {
                let change = write(&store, &ctx).await?;
                tokio::time::sleep(Duration::from_millis(300)).await;
                change.tx.commit().await?;
                tokio::time::sleep(Duration::from_secs(30)).await;
                anyhow::Ok(())
            })
            .await
            .err()
            .ok_or_else(|| anyhow::anyhow!("not cut"))?;
        let took = started.elapsed();
        assert!(cut.committed, "{cut:?}");
        assert!(
            cut.message().contains("may have been stored"),
            "{}",
            cut.message()
        );
        assert!(
            took >= Duration::from_millis(300) + AFTER_WRITE && took < Duration::from_secs(5),
            "cut a moment after the write ended: {took:?}"
        );
        std::fs::remove_dir_all(dir).ok();
        Ok(())
    }

    #[tokio::test]
    async fn a_request_the_database_keeps_waiting_is_cut_as_unavailable() -> anyhow::Result<()> {
        let mut options = sea_orm::ConnectOptions::new("sqlite::memory:");
        options.max_connections(1);
        let db = Database::connect(options).await?;
        // The pool's one connection is held: the probe, as the request, waits for it.
        let held = sea_orm::TransactionTrait::begin(&db).await?;
        let pulse = Pulse::new(db.clone());
        let cut = DEADLINE
            .run(&pulse, db.execute_unprepared("SELECT 1"))
            .await
            .err()
            .ok_or_else(|| anyhow::anyhow!("not cut"))?;
        assert!(cut.silent, "{cut:?}");
        assert_eq!(cut.code(), ErrorCode::Unavailable);
        assert_eq!(cut.retry_after(), Some(5));
        held.rollback().await?;
        Ok(())
    }
}
