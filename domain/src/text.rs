//! Validated strings and identifiers.

use uuid::Uuid;

use crate::error::{Error, Result};

/// An organization's URL-safe handle: 3 to 63 characters of lower-case ASCII letters,
/// digits and single hyphens, starting with a letter and not ending with a hyphen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// Parses `raw` as the input `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        let bad = |why: &str| Err(Error::bad_input(field, format!("slug {why}")));
        let len = raw.chars().count();
        if !(3..=63).contains(&len) {
            return bad("must be 3 to 63 characters long");
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return bad("may only hold lower-case letters a-z, digits and hyphens");
        }
        if !raw.starts_with(|c: char| c.is_ascii_lowercase()) {
            return bad("must start with a letter");
        }
        if raw.ends_with('-') || raw.contains("--") {
            return bad("may not end with a hyphen or hold two in a row");
        }
        Ok(Self(raw.to_owned()))
    }

    /// The slug as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Takes the string out.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A KPI's key: 2 to 63 lower-case letters, digits and underscores, starting with a
/// letter (it appears in URLs, CSV headers and queries). Every key that comes in is
/// read here, whether it names a new KPI or looks one up (`kpiSeries(kpi:)`,
/// `setKpiTarget`, a point, the export's `?kpi=`, a chart's path), so a key that could
/// never have been stored (a NUL byte, which PostgreSQL refuses to compare) is a
/// `BAD_USER_INPUT` on its field before any statement runs, on both databases.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KpiKey(String);

impl KpiKey {
    /// Checks `raw` (trimmed) for the input `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        let key = raw.trim();
        let well_formed = (2..=63).contains(&key.len())
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if well_formed {
            Ok(Self(key.to_owned()))
        } else {
            Err(Error::bad_input(
                field,
                "a KPI key: 2 to 63 lower-case letters, digits and underscores, starting with a letter",
            ))
        }
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Takes the string out.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A single-line, trimmed, non-empty text of at most `MAX` characters with no control
/// characters (NUL included: PostgreSQL cannot store it and no name needs it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<const MAX: usize>(String);

/// Names of organizations, units, positions: up to 200 characters.
pub type Name = Line<200>;

impl<const MAX: usize> Line<MAX> {
    /// Parses `raw` as the input `field`.
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Error::bad_input(field, "must not be empty"));
        }
        let refused = "must not contain control characters";
        check_text(field, trimmed, MAX, char::is_control, refused)?;
        Ok(Self(trimmed.to_owned()))
    }

    /// Parses an optional value; `None` and blank both mean "no value".
    pub fn parse_opt(field: &str, raw: Option<&str>) -> Result<Option<Self>> {
        match raw {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => Self::parse(field, s).map(Some),
        }
    }

    /// Takes the string out.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Free text (descriptions, rationales): at most `MAX` characters; line breaks and
/// tabs are allowed, other control characters are not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<const MAX: usize>(String);

/// Descriptions: up to 2,000 characters.
pub type Description = Text<2000>;

impl<const MAX: usize> Text<MAX> {
    /// Parses an optional text; blank means "no value".
    pub fn parse_opt(field: &str, raw: Option<&str>) -> Result<Option<Self>> {
        let Some(raw) = raw else { return Ok(None) };
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        let control = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
        let refused = "must not contain control characters other than line breaks and tabs";
        check_text(field, trimmed, MAX, control, refused)?;
        Ok(Some(Self(trimmed.to_owned())))
    }

    /// Takes the string out.
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Checks a trimmed text for the input `field`: at most `max` characters, and no
/// character `control` refuses (`refused` says which, as the error's message).
fn check_text(
    field: &str,
    trimmed: &str,
    max: usize,
    control: impl Fn(char) -> bool,
    refused: &str,
) -> Result<()> {
    if trimmed.chars().count() > max {
        return Err(Error::bad_input(
            field,
            format!("must be at most {max} characters long"),
        ));
    }
    if trimmed.chars().any(control) {
        return Err(Error::bad_input(field, refused));
    }
    Ok(())
}

/// Parses an id (a GraphQL `ID`, a path segment) as a UUID for the input `field`.
pub fn parse_id(field: &str, id: &str) -> Result<Uuid> {
    Uuid::parse_str(id).map_err(|_| Error::bad_input(field, "is not a valid id"))
}

/// Parses an optional count (employees and the like): 0 to `max`.
pub fn parse_count(field: &str, raw: Option<i32>, max: i32) -> Result<Option<i32>> {
    match raw {
        Some(n) if !(0..=max).contains(&n) => Err(Error::bad_input(
            field,
            format!("must be between 0 and {max}"),
        )),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_joined_by_single_hyphens() {
        assert!(Slug::parse("slug", "acme-logistics").is_ok());
        assert!(Slug::parse("slug", "a1b").is_ok());
        for bad in [
            "ab",
            "Acme",
            "-acme",
            "acme-",
            "ac--me",
            "1acme",
            "acme logistics",
            "ac\0me",
        ] {
            assert!(Slug::parse("slug", bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn kpi_keys_are_lowercase_words_joined_by_underscores() {
        assert_eq!(
            KpiKey::parse("kpi", " won_deals ")
                .map(KpiKey::into_inner)
                .ok(),
            Some("won_deals".to_owned())
        );
        assert!(KpiKey::parse("kpi", "q2").is_ok());
        for bad in [
            "",
            "m",
            "1mqls",
            "_mqls",
            "MQLs",
            "mq ls",
            "mq-ls",
            "mq\0ls",
            "mqls\u{7}",
        ] {
            let err = KpiKey::parse("kpi", bad).err();
            assert!(
                matches!(err, Some(Error::BadInput { ref field, .. }) if field == "kpi"),
                "{bad:?} was accepted"
            );
        }
        assert!(KpiKey::parse("kpi", &"k".repeat(64)).is_err());
    }

    #[test]
    fn names_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(
            Name::parse("name", "  Marketing ")
                .map(Line::into_inner)
                .ok(),
            Some("Marketing".to_owned())
        );
        assert!(Name::parse("name", "   ").is_err());
        assert!(Name::parse("name", "Mar\u{0}keting").is_err());
        assert!(Name::parse("name", &"x".repeat(201)).is_err());
        assert!(Name::parse("name", &"é".repeat(200)).is_ok());
    }

    #[test]
    fn descriptions_keep_line_breaks_but_refuse_other_control_characters() {
        assert!(Description::parse_opt("d", Some("one\ntwo")).is_ok());
        assert!(Description::parse_opt("d", Some("one\u{7}")).is_err());
        assert_eq!(Description::parse_opt("d", Some("  ")).ok(), Some(None));
    }

    #[test]
    fn the_error_names_the_field_at_fault() {
        let err = Slug::parse("input.slug", "X").err();
        assert!(matches!(err, Some(Error::BadInput { field, .. }) if field == "input.slug"));
    }
}
