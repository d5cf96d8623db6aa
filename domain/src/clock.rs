//! The wall clock, read in one place.
//!
//! Services take the moment or the day they act on as an argument where a test needs
//! to pin it ("today" decides which reporting lines are current); resolvers, REST
//! handlers and the CLI read it here and pass it down.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::{StorableDate, error::Result};

/// The current time, cut to microseconds so it round-trips through PostgreSQL
/// (which stores no nanoseconds) and compares equal after a reload.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    now - Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos() % 1_000))
}

/// Today in UTC: the default `asOf` of structure queries and the day a change without
/// a date takes effect.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
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
