//! Dates as both databases store them.

use std::fmt;

use chrono::NaiveDate;

use crate::error::{Error, Result};

/// The earliest date orgdesign stores: wide enough for any real structure or KPI
/// history, narrow enough to store the same way on SQLite and PostgreSQL.
pub const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// The latest date orgdesign stores.
pub const MAX_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2999, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// A date within [`MIN_DATE`, `MAX_DATE`], checked once at the boundary: a far-off
/// date can neither reach PostgreSQL (which stores years SQLite's text cannot order)
/// nor overflow date arithmetic further in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StorableDate(NaiveDate);

impl StorableDate {
    /// Checks `date` for the input `field` (`BAD_USER_INPUT` on it when out of range).
    pub fn parse(field: &str, date: NaiveDate) -> Result<Self> {
        if (MIN_DATE..=MAX_DATE).contains(&date) {
            Ok(Self(date))
        } else {
            Err(Error::bad_input(
                field,
                format!("must be between {MIN_DATE} and {MAX_DATE}"),
            ))
        }
    }

    /// An optional date input, `default` when absent (an `asOf` defaults to today).
    pub fn parse_or(field: &str, date: Option<NaiveDate>, default: NaiveDate) -> Result<Self> {
        Self::parse(field, date.unwrap_or(default))
    }

    /// The date.
    pub fn get(self) -> NaiveDate {
        self.0
    }
}

impl From<StorableDate> for NaiveDate {
    fn from(date: StorableDate) -> Self {
        date.0
    }
}

impl fmt::Display for StorableDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A range of days `[from, to)` that runs forwards, both ends storable: what KPI series,
/// the funnel and trend charts read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    /// Checks `from` and `to` (named so in errors).
    pub fn parse(from: NaiveDate, to: NaiveDate) -> Result<Self> {
        let from = StorableDate::parse("from", from)?.get();
        let to = StorableDate::parse("to", to)?.get();
        if to <= from {
            return Err(Error::bad_input("to", "must be after from"));
        }
        Ok(Self { from, to })
    }
}

/// A date written as its parts, for tests (`ymd(2024, 2, 29)`); an impossible one is
/// chrono's default date, which no test expects.
#[cfg(test)]
pub fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{ymd as d, *};

    #[test]
    fn dates_outside_the_storable_range_are_refused_on_their_field() {
        assert!(StorableDate::parse("asOf", d(2024, 2, 29)).is_ok());
        assert!(StorableDate::parse("asOf", MIN_DATE).is_ok());
        assert!(StorableDate::parse("asOf", MAX_DATE).is_ok());
        let err = StorableDate::parse("input.effectiveFrom", d(1899, 12, 31))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("input.effectiveFrom: must be between 1900-01-01 and 2999-12-31")
        );
        assert!(StorableDate::parse("to", d(3000, 1, 1)).is_err());
    }

    #[test]
    fn a_range_must_run_forwards() {
        assert!(DateRange::parse(d(2024, 1, 1), d(2024, 2, 1)).is_ok());
        let err = DateRange::parse(d(2024, 1, 1), d(2024, 1, 1)).err();
        assert!(matches!(err, Some(Error::BadInput { ref field, .. }) if field == "to"));
    }
}
