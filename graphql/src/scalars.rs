//! orgdesign's own date scalars, under the names clients already know (`NaiveDate`,
//! `DateTime`).
//!
//! async-graphql's `chrono` feature is off on purpose: its `NaiveDate` scalar reads
//! dates with chrono's lenient `%Y-%m-%d` (`+2024-01-01`, `2024-1-1` and ` 2024-01-01`
//! all pass) and refuses a bad one with a message that names no field. With the
//! feature off, chrono's types are no GraphQL types at all, so no argument or input
//! field can take a date past [`Date`] without a compile error.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, NaiveDate, Utc};
use orgdesign_domain::{StorableDate, error::Result, parse_date};

/// A calendar date, the scalar `NaiveDate`: exactly `YYYY-MM-DD` in and out.
///
/// As an input it holds the text as sent, and the resolver reads it with the name of
/// the argument or input field that carried it ([`Date::parse`], [`Date::storable`]):
/// a date written any other way (`+2024-01-01`, `2024-1-1`) or that is no day of the
/// calendar (`2024-02-30`) is a `BAD_USER_INPUT` with `extensions.field` naming it,
/// like a malformed id. Only a value that is not a string at all is refused while the
/// request is validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Date(String);

/// A calendar date written exactly `YYYY-MM-DD` (four-digit year, two-digit month and
/// day; no sign, no time, no spaces), e.g. `2024-03-01`.
#[Scalar(
    name = "NaiveDate",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => Ok(Self(text)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(_))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

impl Date {
    /// The text as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads the date for the input `field` (exactly `YYYY-MM-DD`, a real day).
    pub fn parse(&self, field: &str) -> Result<NaiveDate> {
        parse_date(field, &self.0)
    }

    /// Reads the date for `field` and checks it lies within the dates both databases
    /// store.
    pub fn storable(&self, field: &str) -> Result<StorableDate> {
        StorableDate::parse_text(field, &self.0)
    }

    /// An `asOf` argument: today when absent (see [`orgdesign_domain::clock::as_of`]).
    pub fn as_of(date: Option<&Self>) -> Result<NaiveDate> {
        orgdesign_domain::clock::as_of(date.map(Self::as_str))
    }

    /// The day a dated change takes effect, from the input `field`: a storable date,
    /// or today when absent.
    pub fn effective(date: Option<&Self>, field: &str) -> Result<NaiveDate> {
        Ok(match date {
            Some(date) => date.storable(field)?.get(),
            None => orgdesign_domain::clock::today(),
        })
    }
}

impl From<NaiveDate> for Date {
    fn from(date: NaiveDate) -> Self {
        Self(date.format("%Y-%m-%d").to_string())
    }
}

/// A moment, the scalar `DateTime`: RFC 3339, written in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub DateTime<Utc>);

/// A moment in time as RFC 3339, e.g. `2024-03-03T06:00:12.345678Z`; answers are in
/// UTC, written with `Z` (as in REST's JSON and CSV); inputs may carry any offset.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => Ok(Self(text.parse::<DateTime<Utc>>()?)),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(moment: DateTime<Utc>) -> Self {
        Self(moment)
    }
}

/// An exact decimal number (a KPI value, a target, a rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal(pub rust_decimal::Decimal);

/// An exact decimal number, written as a string (`"12.5"`, `"-0.000001"`) so no client
/// rounds it through a binary float; inputs may also be JSON numbers. KPI values carry
/// at most six decimal places.
#[Scalar(
    name = "Decimal",
    specified_by_url = "https://github.com/paupino/rust-decimal"
)]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        use std::str::FromStr;
        match &value {
            Value::String(text) => Ok(Self(rust_decimal::Decimal::from_str(text)?)),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(Self(i.into()))
                } else if let Some(f) = n.as_f64() {
                    rust_decimal::Decimal::try_from(f)
                        .map(Self)
                        .map_err(InputValueError::custom)
                } else {
                    Err(InputValueError::expected_type(value))
                }
            }
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

impl From<rust_decimal::Decimal> for Decimal {
    fn from(value: rust_decimal::Decimal) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use orgdesign_domain::error::Error;

    use super::*;

    fn date(text: &str) -> Date {
        match <Date as ScalarType>::parse(Value::String(text.to_owned())) {
            Ok(date) => date,
            Err(_) => Date(String::new()),
        }
    }

    #[test]
    fn a_date_is_read_with_the_name_of_the_field_that_carried_it() {
        assert_eq!(
            date("2024-03-01").parse("from").ok(),
            NaiveDate::from_ymd_opt(2024, 3, 1)
        );
        for bad in ["+2024-01-01", "2024-1-1", "2024-01-1", "2024-02-30"] {
            let err = date(bad).parse("input.periodStart").err();
            assert!(
                matches!(err, Some(Error::BadInput { ref field, .. }) if field == "input.periodStart"),
                "{bad:?} was accepted"
            );
        }
        assert!(date("1899-12-31").storable("asOf").is_err());
    }

    #[test]
    fn only_strings_are_dates() {
        assert!(!<Date as ScalarType>::is_valid(&Value::Number(
            20240101.into()
        )));
        assert!(<Date as ScalarType>::parse(Value::Boolean(true)).is_err());
    }

    #[test]
    fn answers_write_dates_as_before_and_moments_in_utc_with_z() {
        let day = NaiveDate::from_ymd_opt(1999, 1, 2).map(Date::from);
        assert_eq!(day.map(|d| d.to_value()), Some(Value::from("1999-01-02")));
        let moment = "2024-03-03T06:00:12.345678Z".parse::<DateTime<Utc>>().ok();
        assert_eq!(
            moment.map(|m| Timestamp(m).to_value()),
            Some(Value::from("2024-03-03T06:00:12.345678Z"))
        );
    }
}
