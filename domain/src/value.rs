//! Exact KPI values.

use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// A whole number from `MIN` to `MAX`, checked where it enters: what a score or a
/// weight is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bounded<const MIN: i32, const MAX: i32>(i32);

/// A score from 0 to 100: a leadership priority's assessment, a relationship's trust.
pub type Score = Bounded<0, 100>;

/// How much a leadership priority counts for an organization: 1 to 10.
pub type Weight = Bounded<1, 10>;

impl<const MIN: i32, const MAX: i32> Bounded<MIN, MAX> {
    /// Checks `value` for the input `field`.
    pub fn parse(field: &str, value: i32) -> Result<Self> {
        if (MIN..=MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(Error::bad_input(
                field,
                format!("must be between {MIN} and {MAX}"),
            ))
        }
    }

    /// The number.
    pub fn get(self) -> i32 {
        self.0
    }
}

/// How many decimal places a stored value keeps.
pub const VALUE_DECIMALS: u32 = 6;

/// Turns an exact decimal into the stored scaled integer (see `entity::VALUE_SCALE`).
/// More than six decimal places, or a value beyond ±9.2 trillion, is refused rather
/// than rounded: a KPI value is never silently changed.
pub fn to_scaled(field: &str, value: Decimal) -> Result<i64> {
    let normalized = value.normalize();
    if normalized.scale() > VALUE_DECIMALS {
        return Err(Error::bad_input(
            field,
            format!("at most {VALUE_DECIMALS} decimal places"),
        ));
    }
    let scaled = normalized
        .checked_mul(Decimal::from(entity::VALUE_SCALE))
        .and_then(|d| i64::try_from(d).ok())
        .ok_or_else(|| {
            Error::bad_input(
                field,
                "out of range (at most 9,223,372,036,854.775807 in size)",
            )
        })?;
    Ok(scaled)
}

/// The exact decimal of a stored scaled integer.
pub fn from_scaled(scaled: i64) -> Decimal {
    Decimal::new(scaled, VALUE_DECIMALS).normalize()
}

/// `numerator / denominator` of scaled sums, as an exact decimal rounded to six places.
pub fn ratio(numerator: i128, denominator: i128) -> Option<Decimal> {
    if denominator == 0 {
        return None;
    }
    let n = Decimal::from_i128_with_scale(numerator, 0);
    let d = Decimal::from_i128_with_scale(denominator, 0);
    n.checked_div(d)
        .map(|q| q.round_dp(VALUE_DECIMALS).normalize())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn values_round_trip_exactly_through_scaled_integers() {
        for s in ["0", "12.5", "-3.141592", "1000000000", "0.000001"] {
            let scaled = to_scaled("value", dec(s)).ok();
            assert_eq!(scaled.map(from_scaled), Some(dec(s).normalize()), "{s}");
        }
    }

    #[test]
    fn too_many_decimals_or_too_large_values_are_refused_not_rounded() {
        assert!(to_scaled("value", dec("0.0000001")).is_err());
        assert!(to_scaled("value", dec("10000000000000")).is_err());
        assert!(
            to_scaled("value", dec("1.2300000")).is_ok(),
            "trailing zeros are fine"
        );
    }
}
