//! The wall clock, read in one place.
//!
//! Services take the moment or the day they act on as an argument where a test needs
//! to pin it ("today" decides which reporting lines are current); resolvers, REST
//! handlers and the CLI read it here and pass it down.

//!
//! A rehearsal moves the clock of a whole `orgdesign serve` process to another day
//! ([`rehearse`], the `clock_today` setting), so a staging replica shows, announces
//! and evaluates what a dated change will do on its day. The shift is process-wide
//! because the clock is: every reader of "now" in the process must agree, which a
//! value handed to some of them could not promise.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::{StorableDate, error::Result};

/// How far a rehearsal moved this process's clock; unset, it is not moved.
static SHIFT: OnceLock<Duration> = OnceLock::new();

/// Moves this process's clock to `day` (the time of day runs on as it does), once, at
/// start-up; a second call is refused. For rehearsals on a staging replica only: a
/// moved clock announces dated changes early, and each is announced only once.
pub fn rehearse(day: NaiveDate) -> std::result::Result<(), String> {
    let shift = day - Utc::now().date_naive();
    SHIFT
        .set(shift)
        .map_err(|_| "the clock was already moved for a rehearsal".to_owned())
}

/// The current time, cut to microseconds so it round-trips through PostgreSQL
/// (which stores no nanoseconds) and compares equal after a reload.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now() + SHIFT.get().copied().unwrap_or_default();
    now - Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos() % 1_000))
}

/// The machine's time, never moved by a rehearsal: for what other machines compare
/// with their own clocks (a webhook signature's timestamp, which receivers refuse
/// when it is minutes away from theirs).
pub fn wall_now() -> DateTime<Utc> {
    Utc::now()
}

/// Today in UTC: the default `asOf` of structure queries and the day a change without
/// a date takes effect.
pub fn today() -> NaiveDate {
    now().date_naive()
}

/// An `asOf` argument as sent: today when absent, else exactly `YYYY-MM-DD` and within
/// the dates the databases store (else `BAD_USER_INPUT` on `asOf`).
pub fn as_of(value: Option<&str>) -> Result<NaiveDate> {
    StorableDate::parse_text_or("asOf", value, today()).map(StorableDate::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_has_no_nanoseconds_below_a_microsecond() {
        assert_eq!(now().timestamp_subsec_nanos() % 1_000, 0);
    }
}
