//! Dates as they come in (exactly `YYYY-MM-DD`) and as both databases store them.

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

/// Reads a date written exactly `YYYY-MM-DD` (four digits, two, two; nothing before or
/// after, no sign, no whitespace) for the input `field`: every date that comes in as
/// text, over GraphQL, REST query parameters, JSON and CSV pushes alike, is read here.
/// chrono's own `%Y-%m-%d` is lenient (it takes `+2024-01-01`, `2024-1-1`, a leading
/// space), so one date could be written many ways; here it has one spelling.
pub fn parse_date(field: &str, raw: &str) -> Result<NaiveDate> {
    let bytes = raw.as_bytes();
    let digits = |from: usize, to: usize| bytes[from..to].iter().all(u8::is_ascii_digit);
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && digits(0, 4)
        && digits(5, 7)
        && digits(8, 10);
    if !shaped {
        return Err(Error::bad_input(field, "must be a date written YYYY-MM-DD"));
    }
    // Only ASCII digits remain in each part, so the numbers parse.
    let number = |from: usize, to: usize| raw[from..to].parse::<u32>().unwrap_or_default();
    i32::try_from(number(0, 4))
        .ok()
        .and_then(|year| NaiveDate::from_ymd_opt(year, number(5, 7), number(8, 10)))
        .ok_or_else(|| Error::bad_input(field, "is not a day of the calendar"))
}

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

    /// Reads a date sent as text ([`parse_date`]) and checks its range.
    pub fn parse_text(field: &str, raw: &str) -> Result<Self> {
        Self::parse(field, parse_date(field, raw)?)
    }

    /// An optional date sent as text, `default` when absent (an `asOf` defaults to
    /// today).
    pub fn parse_text_or(field: &str, raw: Option<&str>, default: NaiveDate) -> Result<Self> {
        match raw {
            Some(raw) => Self::parse_text(field, raw),
            None => Self::parse(field, default),
        }
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
    fn dates_are_read_only_as_four_two_and_two_digits() {
        assert_eq!(parse_date("d", "2024-02-29").ok(), Some(d(2024, 2, 29)));
        assert_eq!(parse_date("d", "0001-01-01").ok(), Some(d(1, 1, 1)));
        for bad in [
            "+2024-01-01",
            "2024-1-1",
            "2024-01-1",
            "2024-1-01",
            " 2024-01-01",
            "2024-01-01 ",
            "20240-01-01",
            "2024/01/01",
            "2024-01-01T00:00:00",
            "２０２４-01-01",
            "-024-01-01",
            "",
        ] {
            let err = parse_date("input.periodStart", bad).err();
            assert!(
                matches!(err, Some(Error::BadInput { ref field, .. }) if field == "input.periodStart"),
                "{bad:?} was accepted"
            );
        }
        for impossible in ["2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31"] {
            assert!(parse_date("d", impossible).is_err(), "{impossible}");
        }
    }

    #[test]
    fn a_date_sent_as_text_is_read_and_then_checked_for_range() {
        assert!(StorableDate::parse_text("asOf", "2024-06-30").is_ok());
        let err = StorableDate::parse_text("asOf", "1899-12-31")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("asOf: must be between 1900-01-01 and 2999-12-31")
        );
        assert_eq!(
            StorableDate::parse_text_or("asOf", None, d(2024, 5, 1))
                .map(StorableDate::get)
                .ok(),
            Some(d(2024, 5, 1))
        );
        assert!(StorableDate::parse_text_or("asOf", Some("2024-5-1"), d(2024, 5, 1)).is_err());
    }

    #[test]
    fn a_range_must_run_forwards() {
        assert!(DateRange::parse(d(2024, 1, 1), d(2024, 2, 1)).is_ok());
        let err = DateRange::parse(d(2024, 1, 1), d(2024, 1, 1)).err();
        assert!(matches!(err, Some(Error::BadInput { ref field, .. }) if field == "to"));
    }
}
