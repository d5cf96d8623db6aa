//! KPI points as simpler tools send them: JSON objects and CSV rows, for the REST
//! endpoint and `orgdesign import-kpis`. Both become [`ParsedPoint`]s through the same
//! checks as the GraphQL input.

use std::{collections::BTreeMap, str::FromStr};

use orgdesign_domain::{
    Granularity,
    error::{Error, Result},
    kpis::ParsedPoint,
    parse_date, to_scaled,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One KPI point in a JSON push.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WirePoint {
    /// The KPI's key, e.g. `mqls`: one of the catalog's or the organization's own
    /// KPIs (else a 400 on `points[i].kpi`).
    #[schema(value_type = super::texts::KpiKey)]
    pub kpi: String,
    /// `DAY`, `WEEK`, `MONTH`, `QUARTER` or `YEAR`.
    #[schema(value_type = super::texts::GranularityName)]
    pub granularity: String,
    /// The first day of the period, exactly `YYYY-MM-DD`: a day that starts a period
    /// of `granularity` (any day; a Monday; the 1st of a month; of January, April,
    /// July or October; of January), else a 400 on `points[i].periodStart`.
    #[schema(value_type = super::texts::StorableDate)]
    pub period_start: String,
    /// The exact value.
    #[schema(value_type = super::texts::PointValue)]
    pub value: serde_json::Value,
    /// The integration that measured it.
    #[schema(value_type = super::texts::Source)]
    pub source: String,
    /// The unit the point is about: one of the organization's units (else a 404 on
    /// `points[i].unitId`); leave out for the whole organization.
    #[serde(default)]
    pub unit_id: Option<Uuid>,
    /// Up to four dimensions, e.g. `{"channel": "email"}`.
    #[serde(default)]
    #[schema(value_type = super::texts::Dimensions)]
    pub dimensions: BTreeMap<String, String>,
}

/// A JSON push.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WirePush {
    #[schema(value_type = super::texts::Points)]
    pub points: Vec<WirePoint>,
}

fn decimal(field: &str, raw: &str) -> Result<Decimal> {
    Decimal::from_str(raw.trim())
        .or_else(|_| Decimal::from_scientific(raw.trim()))
        .map_err(|_| Error::bad_input(field, "not a decimal number"))
}

/// A granularity as REST takes it, in any case (`month`, `MONTH`), in a point or a
/// query parameter.
pub(crate) fn granularity(field: &str, raw: &str) -> Result<Granularity> {
    Granularity::from_db(raw.trim().to_ascii_uppercase().as_str())
        .map_err(|_| Error::bad_input(field, "one of DAY, WEEK, MONTH, QUARTER, YEAR"))
}

impl WirePoint {
    /// Checks the point; `prefix` names the list in error fields (`points`, `line`).
    pub fn parse(self, index: usize, prefix: &str) -> Result<ParsedPoint> {
        let at = |field: &str| format!("{prefix}[{index}].{field}");
        let value = match &self.value {
            serde_json::Value::String(s) => decimal(&at("value"), s)?,
            serde_json::Value::Number(n) => decimal(&at("value"), &n.to_string())?,
            _ => return Err(Error::bad_input(at("value"), "a decimal string or number")),
        };
        ParsedPoint::parse(
            index,
            prefix,
            &self.kpi,
            self.unit_id,
            granularity(&at("granularity"), &self.granularity)?,
            parse_date(&at("periodStart"), &self.period_start)?,
            to_scaled(&at("value"), value)?,
            &self.source,
            self.dimensions.into_iter().collect(),
        )
    }
}

/// The CSV columns, in any order; `unit_id` and `dimensions` may be left out.
/// `dimensions` holds `name=value` pairs separated by `;`.
pub const CSV_COLUMNS: [&str; 7] = [
    "kpi",
    "granularity",
    "period_start",
    "value",
    "source",
    "unit_id",
    "dimensions",
];

/// Where each column of a CSV file is.
#[derive(Debug, Clone)]
pub struct CsvLayout {
    index: [Option<usize>; 7],
}

impl CsvLayout {
    /// Reads the header row.
    pub fn from_headers(headers: &csv::StringRecord) -> Result<Self> {
        let mut index = [None; 7];
        for (i, name) in headers.iter().enumerate() {
            let name = name.trim().to_ascii_lowercase();
            match CSV_COLUMNS.iter().position(|c| *c == name) {
                Some(column) => index[column] = Some(i),
                None => {
                    return Err(Error::bad_input(
                        "header",
                        format!(
                            "unknown column {name:?}; the columns are {}",
                            CSV_COLUMNS.join(", ")
                        ),
                    ));
                }
            }
        }
        if let Some(missing) = CSV_COLUMNS[..5]
            .iter()
            .zip(&index)
            .find(|(_, i)| i.is_none())
        {
            return Err(Error::bad_input(
                "header",
                format!("the column {:?} is missing", missing.0),
            ));
        }
        Ok(Self { index })
    }

    /// Turns one data row into a point; `line` is its line number in the file.
    pub fn point(&self, record: &csv::StringRecord, line: usize) -> Result<ParsedPoint> {
        let get = |column: usize| self.index[column].and_then(|i| record.get(i)).unwrap_or("");
        let unit_id = match get(5).trim() {
            "" => None,
            raw => Some(
                Uuid::parse_str(raw)
                    .map_err(|_| Error::bad_input(format!("line[{line}].unit_id"), "not an id"))?,
            ),
        };
        let mut dimensions = BTreeMap::new();
        for pair in get(6).split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').ok_or_else(|| {
                Error::bad_input(
                    format!("line[{line}].dimensions"),
                    "pairs of name=value separated by ;",
                )
            })?;
            dimensions.insert(name.trim().to_owned(), value.trim().to_owned());
        }
        WirePoint {
            kpi: get(0).to_owned(),
            granularity: get(1).to_owned(),
            period_start: get(2).to_owned(),
            value: serde_json::Value::String(get(3).to_owned()),
            source: get(4).to_owned(),
            unit_id,
            dimensions,
        }
        .parse(line, "line")
    }
}
