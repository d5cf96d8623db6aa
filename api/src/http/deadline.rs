//! The deadline of a request: `request_timeout_ms` from when it starts to run, for
//! GraphQL documents (reads and writes) and every REST endpoint (the middleware
//! [`rest`]), and what a request cut off at it is answered.
//!
//! A request still running at its deadline is either waiting for a database that does
//! not answer, or doing too much by itself; the answer tells them apart, since only
//! the first is worth retrying as it is:
//!
//! - **`UNAVAILABLE`** (REST: `503` with `Retry-After`) when the database did not
//!   answer a probe ([`crate::db::Pulse`]) sent `readiness_timeout_ms` before the
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
use crate::{db::WriteWatch, error::DATABASE_RETRY_AFTER};

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
/// dropped, unless one of its writes is under way (see the module doc). Once the
/// deadline has passed, a request being cut is polled no more: with a time limit
/// shorter than the probe, it does not go on while the probe is out.
pub async fn bounded<F: Future>(state: &AppState, work: F) -> Result<F::Output, Cut> {
    let limit = Duration::from_millis(state.limits.request_timeout_ms);
    let watch = WriteWatch::new();
    let work = watch.clone().scope(work);
    tokio::pin!(work);
    let probe = state.readiness_timeout;
    let mut deadline = Instant::now() + limit;
    loop {
        // Asked `probe` before the deadline, the probe has its answer by then; with a
        // deadline nearer than that, it is asked at once.
        let ask_at = deadline.checked_sub(probe).unwrap_or(deadline);
        let heard = async move {
            tokio::time::sleep_until(ask_at).await;
            state.pulse.answers(probe).await
        };
        tokio::pin!(heard);
        let timer = tokio::time::sleep_until(deadline);
        tokio::pin!(timer);
        let mut answered = None;
        loop {
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
                timeout_ms = state.limits.request_timeout_ms,
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
