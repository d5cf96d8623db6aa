//! The texts the REST endpoints accept, as the OpenAPI document names them: one named
//! schema each (`Slug`, `KpiKey`, `Date`, `Name` ...), stating what the domain's parser
//! of that text refuses (`orgdesign_domain::Slug::parse`, `KpiKey::parse`, `Line`,
//! `Text`, `parse_date`, `StorableDate`, `to_scaled`, `idempotency::service::parse_key`),
//! so that a request the document allows is one the server takes. Parameters and fields
//! name them with `value_type = texts::Slug`.
//!
//! The patterns are ECMA-262 regular expressions that Python's `re` reads the same way
//! (Schemathesis generates from them): no look-around, no `\p{..}`. What a pattern
//! cannot say (a name's length counts after trimming, a period start depends on the
//! granularity) the schema's description says, and `tests/openapi/hooks.py` tells
//! Schemathesis.

use std::borrow::Cow;

use orgdesign_domain::{Granularity, MAX_DATE, MIN_DATE, kpis::MAX_DIMENSIONS, settings::Limits};
use serde_json::json;
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{
        KnownFormat, ObjectBuilder, OneOfBuilder, RefOr, Schema, SchemaFormat, Type,
        schema::{AdditionalProperties, ArrayBuilder},
    },
};

/// A character that is no control character (`char::is_control`: U+0000 to U+001F and
/// U+007F to U+009F), which single-line texts refuse.
const LINE_CHAR: &str = r"[^\x00-\x1f\x7f-\x9f]";
/// A character of a single-line text that is not white space either: a text that
/// trims to nothing is refused.
const SOLID_CHAR: &str = r"[^\s\x00-\x1f\x7f-\x9f]";

/// A single-line text of at most `max` characters (`orgdesign_domain::Line<MAX>`):
/// trimmed, not blank, no control characters.
fn line(description: &str, max: usize, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(format!(
            "{description} One line of 1 to {max} characters once trimmed, with no control \
             characters; a text that is blank once trimmed is refused (400)."
        )))
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(format!("^{LINE_CHAR}*{SOLID_CHAR}{LINE_CHAR}*$")))
        .examples([json!(example)])
        .into()
}

/// Declares a named schema built by `$schema`, documented by the doc comment.
macro_rules! named_schema {
    ($(#[$doc:meta])* $name:ident => $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

named_schema! {
    /// An organization's slug (`orgdesign_domain::Slug`).
    Slug => ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "An organization's slug: 3 to 63 lower-case letters a-z, digits and single hyphens, \
             starting with a letter and not ending with a hyphen. A malformed one is a 400 on \
             `slug`, an unknown one (or one out of the token's reach) a 404.",
        ))
        .min_length(Some(3))
        .max_length(Some(63))
        .pattern(Some("^[a-z][a-z0-9]*(-[a-z0-9]+)*$"))
        .examples([json!("lumen-health")])
        .into()
}

named_schema! {
    /// A KPI's key (`orgdesign_domain::KpiKey`).
    KpiKey => ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "A KPI's key: 2 to 63 lower-case letters a-z, digits and underscores, starting \
             with a letter.",
        ))
        .min_length(Some(2))
        .max_length(Some(63))
        .pattern(Some("^[a-z][a-z0-9_]*$"))
        .examples([json!("mqls")])
        .into()
}

named_schema! {
    /// A date as text (`orgdesign_domain::parse_date`), any year.
    CalendarDate => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .description(Some(
            "A day of the calendar written exactly `YYYY-MM-DD` (no sign, no time, no \
             white space).",
        ))
        .pattern(Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
        .into()
}

named_schema! {
    /// A date as text within the range both databases store
    /// (`orgdesign_domain::StorableDate`).
    StorableDate => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .description(Some(format!(
            "A day of the calendar written exactly `YYYY-MM-DD`, from {MIN_DATE} to {MAX_DATE}."
        )))
        .pattern(Some("^(19[0-9]{2}|2[0-9]{3})-[0-9]{2}-[0-9]{2}$"))
        .into()
}

named_schema! {
    /// A name (`orgdesign_domain::Name`).
    Name => line("A name.", 200, "Marketing center")
}

named_schema! {
    /// A KPI point's source, a dimension's value, a source filter
    /// (`orgdesign_domain::Line<100>`).
    Source => line("The integration that measured a point (or a dimension's value).", 100, "crm")
}

named_schema! {
    /// Free text (`orgdesign_domain::Description`).
    Description => ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "Free text of at most 2,000 characters once trimmed; line breaks and tabs are \
             allowed, other control characters are not. Blank means none.",
        ))
        .max_length(Some(2000))
        .pattern(Some(r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"))
        .examples([json!("The marketing teams under one head")])
        .into()
}

named_schema! {
    /// A granularity, as REST reads it (`wire::granularity`).
    GranularityName => ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "A period length. The server also reads these in lower or mixed case (`month`).",
        ))
        .enum_values(Some(Granularity::ALL.iter().map(|g| g.as_str())))
        .examples([json!("MONTH")])
        .into()
}

named_schema! {
    /// A KPI point's value (`wire::WirePoint::value`, `orgdesign_domain::to_scaled`).
    PointValue => OneOfBuilder::new()
        .description(Some(
            "The exact value: a decimal string such as `\"12.5\"` (a JSON number is accepted \
             too), at most six decimal places and at most 9,223,372,036,854.775807 in size.",
        ))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^-?[0-9]{1,12}(\.[0-9]{1,6})?$")),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(-999_999_999_999.0))
                .maximum(Some(999_999_999_999.0))
                .multiple_of(Some(0.000_001)),
        )
        .examples([json!("12.5")])
        .into()
}

named_schema! {
    /// A point's dimensions (`orgdesign_domain::kpis::ParsedPoint::parse`).
    Dimensions => ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(format!(
            "Up to {MAX_DIMENSIONS} dimensions, each a name (1 to 40 characters on one line) and \
             a value (1 to 100); names must differ once trimmed."
        )))
        .max_properties(Some(MAX_DIMENSIONS))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(40))
                .pattern(Some(format!("^{LINE_CHAR}*{SOLID_CHAR}{LINE_CHAR}*$"))),
        ))
        .additional_properties(Some(AdditionalProperties::RefOr(Source::schema())))
        .examples([json!({ "channel": "email" })])
        .into()
}

named_schema! {
    /// The points of a JSON push (`wire::WirePush::points`).
    Points => ArrayBuilder::new()
        .items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("WirePoint")))
        .description(Some(format!(
            "The points, at most `max_points_per_push` ({} by default; more is a 413). No two \
             may be the same point (the same KPI, granularity, period, source, unit and \
             dimensions).",
            Limits::default().max_points_per_push
        )))
        .max_items(Some(Limits::default().max_points_per_push))
        .into()
}

named_schema! {
    /// An `Idempotency-Key` header (`orgdesign_domain::idempotency::service::parse_key`).
    IdempotencyKey => ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "1 to 255 visible ASCII characters (surrounding double quotes are dropped). \
             Otherwise a 400 on `Idempotency-Key`.",
        ))
        .min_length(Some(1))
        .max_length(Some(255))
        .pattern(Some("^[!-~]*[!#-~][!-~]*$"))
        .into()
}

/// Every schema of this module, by name: the document's components hold them all,
/// those that only parameters name included (utoipa collects a body's schemas, not a
/// parameter's).
pub fn schemas() -> Vec<(Cow<'static, str>, RefOr<Schema>)> {
    fn named<T: ToSchema>() -> (Cow<'static, str>, RefOr<Schema>) {
        (T::name(), T::schema())
    }
    vec![
        named::<Slug>(),
        named::<KpiKey>(),
        named::<CalendarDate>(),
        named::<StorableDate>(),
        named::<Name>(),
        named::<Source>(),
        named::<Description>(),
        named::<GranularityName>(),
        named::<PointValue>(),
        named::<Dimensions>(),
        named::<Points>(),
        named::<IdempotencyKey>(),
    ]
}
