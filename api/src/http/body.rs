//! Reading request bodies (`POST /graphql`, REST pushes), the last thing a request
//! does before it runs: the extractors have authenticated it and counted it against
//! its rate limit from its headers alone, so nothing here is spent on a caller who
//! would be refused anyway.
//!
//! A body is bounded three ways, so a client that announces a large body, sends a
//! little of it and stalls pins neither memory nor a connection for long:
//!
//! - **Size**: at most `max_body_bytes`; a `Content-Length` above it is 413 at once,
//!   without reading, and a body that grows past it (chunked) is 413 when it does.
//! - **Time**: the whole body must arrive within `[bodies] timeout_ms` of the first
//!   read, or the request is answered 408 and its connection closed (actix-http closes
//!   a connection whose request body was not read to its end).
//! - **Bytes in flight**: a body holds a [`Share`] of the bytes it announces (or, without
//!   `Content-Length`, of those that arrived) until the request is done with it, under
//!   a cap per client address (429 past it) and one for the process (503 past it),
//!   both with `Retry-After`.

use std::{ops::Deref, time::Duration};

use actix_web::{
    HttpRequest,
    http::{StatusCode, header},
    web,
};
use futures_util::StreamExt as _;
use orgdesign_domain::settings::{BodySettings, Limits};

use super::{
    error::{ErrorCode, HttpError},
    guard::{self, Over, Share, Shares},
};

/// Why a body was not read.
#[derive(Debug)]
pub enum BodyError {
    /// The connection failed mid-body.
    Unreadable,
    /// Larger than the limit (in bytes).
    TooLarge(usize),
    /// Not all there within the timeout.
    TimedOut(Duration),
    /// The client address has too many bytes of bodies in flight; retry after this.
    AddressBusy(Duration),
    /// The process has too many bytes of bodies in flight; retry after this.
    ServerBusy(Duration),
}

impl From<BodyError> for HttpError {
    fn from(err: BodyError) -> Self {
        match err {
            BodyError::Unreadable => HttpError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadUserInput,
                "the request body could not be read",
            ),
            BodyError::TooLarge(limit) => HttpError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::LimitExceeded,
                format!("the request body is larger than {limit} bytes"),
            ),
            BodyError::TimedOut(timeout) => HttpError::new(
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::LimitExceeded,
                format!(
                    "the request body did not arrive within {} ms",
                    timeout.as_millis()
                ),
            ),
            BodyError::AddressBusy(wait) => HttpError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::LimitExceeded,
                format!(
                    "this client address has too many request bodies in flight; retry in {} s",
                    seconds(wait)
                ),
            )
            .with_retry_after(seconds(wait)),
            BodyError::ServerBusy(wait) => HttpError::unavailable(format!(
                "the server is reading too many request bodies; retry in {} s",
                seconds(wait)
            ))
            .with_retry_after(seconds(wait)),
        }
    }
}

/// Whole seconds, at least one (for `Retry-After`).
fn seconds(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

/// A body as read, holding its share of the bytes in flight until it is dropped.
#[derive(Debug)]
pub struct Body {
    bytes: web::BytesMut,
    _share: Share,
}

impl Deref for Body {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

/// Reads bodies under the size limit, the deadline and the caps on bytes in flight;
/// built once at start-up and shared by every request.
pub struct BodyLimiter {
    max_body_bytes: usize,
    timeout: Duration,
    in_flight: Shares,
}

impl BodyLimiter {
    /// A reader for the configured limits.
    pub fn new(settings: &BodySettings, limits: &Limits) -> Self {
        Self {
            max_body_bytes: limits.max_body_bytes,
            timeout: Duration::from_millis(settings.timeout_ms),
            in_flight: Shares::new(
                settings.max_in_flight_bytes_per_address,
                settings.max_in_flight_bytes,
            ),
        }
    }

    /// Bytes of bodies the client address of `req` has in flight now.
    pub fn in_flight_for(&self, req: &HttpRequest) -> usize {
        self.in_flight.held_by(&guard::address_key(req))
    }

    /// Reads the body of `req`. Its share of the bytes in flight is taken before the
    /// first byte is read, for all that `Content-Length` announces; without one, it
    /// grows as chunks arrive.
    pub async fn read(
        &self,
        req: &HttpRequest,
        payload: &mut web::Payload,
    ) -> Result<Body, BodyError> {
        let announced = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<usize>().ok());
        if announced.is_some_and(|n| n > self.max_body_bytes) {
            return Err(BodyError::TooLarge(self.max_body_bytes));
        }
        let announced = announced.unwrap_or(0);
        let mut share = self
            .in_flight
            .take(guard::address_key(req), announced)
            .map_err(|over| self.refusal(over))?;
        // Announced bytes are held by the share, so reserving them costs nothing the
        // cap has not granted; untouched pages of a stalled body are not even resident.
        let mut bytes = web::BytesMut::with_capacity(announced);
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            let chunk = match tokio::time::timeout_at(deadline, payload.next()).await {
                Err(_) => return Err(BodyError::TimedOut(self.timeout)),
                Ok(None) => break,
                Ok(Some(Err(_))) => return Err(BodyError::Unreadable),
                Ok(Some(Ok(chunk))) => chunk,
            };
            let length = bytes.len() + chunk.len();
            if length > self.max_body_bytes {
                return Err(BodyError::TooLarge(self.max_body_bytes));
            }
            if length > share.amount() {
                share
                    .grow(length - share.amount())
                    .map_err(|over| self.refusal(over))?;
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Body {
            bytes,
            _share: share,
        })
    }

    /// The answer for a body over a cap: a share is held at most until its body times
    /// out (or, read, until its request is done), so the timeout is a fair wait.
    fn refusal(&self, over: Over) -> BodyError {
        match over {
            Over::Key => BodyError::AddressBusy(self.timeout),
            Over::Total => BodyError::ServerBusy(self.timeout),
        }
    }
}
