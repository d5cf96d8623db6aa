//! Reading KPI data: series rolled up in SQL, the demand funnel, and freshness per
//! source. Every aggregation runs in the database; Rust only divides exact sums.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{kpi_definition, kpi_target};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, Statement, Value,
};
use uuid::Uuid;

use super::ingest::ParsedPoint;
use crate::{
    domain::{Granularity, Rollup, from_scaled, ratio},
    error::{Error, Result},
};

/// One rolled-up period of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    pub period_start: NaiveDate,
    pub value: rust_decimal::Decimal,
    /// Stored points behind the value.
    pub points: i64,
    pub target: Option<rust_decimal::Decimal>,
}

/// A KPI's definition as the organization sees it: its own KPI of that key, else the
/// built-in one.
pub async fn definition<C: ConnectionTrait>(
    db: &C,
    organization: Uuid,
    key: &str,
) -> Result<kpi_definition::Model> {
    let mut rows = kpi_definition::Entity::find()
        .filter(kpi_definition::Column::Key.eq(key))
        .filter(
            Condition::any()
                .add(kpi_definition::Column::OrganizationId.is_null())
                .add(kpi_definition::Column::OrganizationId.eq(organization)),
        )
        .all(db)
        .await?;
    rows.sort_by_key(|r| r.organization_id.is_none());
    rows.into_iter()
        .next()
        .ok_or_else(|| Error::not_found_at("KPI", "kpi"))
}

/// The SQL that maps `period_start` to the start of its period of `granularity`, as
/// `YYYY-MM-DD` text on both databases.
fn bucket(backend: DbBackend, granularity: Granularity) -> &'static str {
    match (backend, granularity) {
        (DbBackend::Postgres, Granularity::Day) => "to_char(period_start, 'YYYY-MM-DD')",
        (DbBackend::Postgres, Granularity::Week) => {
            "to_char(date_trunc('week', period_start), 'YYYY-MM-DD')"
        }
        (DbBackend::Postgres, Granularity::Month) => {
            "to_char(date_trunc('month', period_start), 'YYYY-MM-DD')"
        }
        (DbBackend::Postgres, Granularity::Quarter) => {
            "to_char(date_trunc('quarter', period_start), 'YYYY-MM-DD')"
        }
        (DbBackend::Postgres, Granularity::Year) => {
            "to_char(date_trunc('year', period_start), 'YYYY-MM-DD')"
        }
        (_, Granularity::Day) => "period_start",
        // SQLite: %w is 0 for Sunday; step back to Monday.
        (_, Granularity::Week) => {
            "date(period_start, '-' || ((CAST(strftime('%w', period_start) AS INTEGER) + 6) % 7) || ' days')"
        }
        (_, Granularity::Month) => "strftime('%Y-%m-01', period_start)",
        (_, Granularity::Quarter) => {
            "printf('%s-%02d-01', strftime('%Y', period_start), ((CAST(strftime('%m', period_start) AS INTEGER) - 1) / 3) * 3 + 1)"
        }
        (_, Granularity::Year) => "strftime('%Y-01-01', period_start)",
    }
}

/// Numbered placeholders for PostgreSQL, `?` for SQLite.
pub(crate) struct Params {
    backend: DbBackend,
    values: Vec<Value>,
}

impl Params {
    pub(crate) fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    pub(crate) fn statement(self, sql: String) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, self.values)
    }
}

fn parse_bucket(raw: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|e| Error::Internal(anyhow::anyhow!("period bucket {raw:?}: {e}")))
}

/// Rolls one series (a KPI, for one unit or the whole organization, with one set of
/// dimensions) up to `granularity` over `[from, to)`, by the KPI's roll-up rule:
/// SUM adds the points of a period, AVERAGE averages them, LAST takes the points of the
/// period's latest date (averaged across sources). The stored points used are those of
/// the finest granularity the series has that is not coarser than the one asked for,
/// so daily and monthly pushes of the same KPI are never counted together.
#[allow(clippy::too_many_arguments)]
pub async fn series(
    db: &DatabaseConnection,
    organization: Uuid,
    kpi: &kpi_definition::Model,
    granularity: Granularity,
    from: NaiveDate,
    to: NaiveDate,
    unit_id: Option<Uuid>,
    dimensions: &BTreeMap<String, String>,
) -> Result<Vec<SeriesPoint>> {
    let backend = db.get_database_backend();
    let series_key = ParsedPoint::series_key(unit_id, dimensions);

    let mut p = Params::new(backend);
    let sql = format!(
        "SELECT DISTINCT granularity FROM kpi_measurement WHERE organization_id = {} AND kpi_id = {} \
         AND series_key = {} AND period_start >= {} AND period_start < {}",
        p.bind(organization),
        p.bind(kpi.id),
        p.bind(series_key.clone()),
        p.bind(from),
        p.bind(to),
    );
    let present: Vec<Granularity> = db
        .query_all(p.statement(sql))
        .await?
        .iter()
        .filter_map(|row| row.try_get::<String>("", "granularity").ok())
        .filter_map(|g| Granularity::from_db(&g).ok())
        .collect();
    let Some(source) = present
        .into_iter()
        .filter(|g| g.rank() <= granularity.rank())
        .min_by_key(|g| g.rank())
    else {
        return Ok(Vec::new());
    };

    let rollup = Rollup::from_db(&kpi.rollup)?;
    let bucket = bucket(backend, granularity);
    let mut p = Params::new(backend);
    let filter = format!(
        "organization_id = {} AND kpi_id = {} AND series_key = {} AND granularity = {} \
         AND period_start >= {} AND period_start < {}",
        p.bind(organization),
        p.bind(kpi.id),
        p.bind(series_key),
        p.bind(source.as_str()),
        p.bind(from),
        p.bind(to),
    );
    let sql = match rollup {
        Rollup::Sum | Rollup::Average => format!(
            "SELECT {bucket} AS bucket, CAST(SUM(value_scaled) AS BIGINT) AS total, COUNT(*) AS n \
             FROM kpi_measurement WHERE {filter} GROUP BY 1 ORDER BY 1"
        ),
        Rollup::Last => format!(
            "WITH b AS (SELECT {bucket} AS bucket, period_start, value_scaled FROM kpi_measurement WHERE {filter}), \
             m AS (SELECT bucket, MAX(period_start) AS last_start FROM b GROUP BY bucket) \
             SELECT b.bucket AS bucket, CAST(SUM(b.value_scaled) AS BIGINT) AS total, COUNT(*) AS n \
             FROM b JOIN m ON b.bucket = m.bucket AND b.period_start = m.last_start \
             GROUP BY b.bucket ORDER BY b.bucket"
        ),
    };
    let rows = db.query_all(p.statement(sql)).await?;
    let targets = targets(db, organization, kpi.id, unit_id, granularity, from, to).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let start = parse_bucket(&row.try_get::<String>("", "bucket")?)?;
        let total: i64 = row.try_get("", "total")?;
        let n: i64 = row.try_get("", "n")?;
        let value = match rollup {
            Rollup::Sum => from_scaled(total),
            Rollup::Average | Rollup::Last => ratio(
                i128::from(total),
                i128::from(n) * i128::from(entity::VALUE_SCALE),
            )
            .unwrap_or_default(),
        };
        out.push(SeriesPoint {
            period_start: start,
            value,
            points: n,
            target: targets.get(&start).copied(),
        });
    }
    Ok(out)
}

/// Targets of the series by period start.
async fn targets(
    db: &DatabaseConnection,
    organization: Uuid,
    kpi: Uuid,
    unit_id: Option<Uuid>,
    granularity: Granularity,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<NaiveDate, rust_decimal::Decimal>> {
    let mut query = kpi_target::Entity::find()
        .filter(kpi_target::Column::OrganizationId.eq(organization))
        .filter(kpi_target::Column::KpiId.eq(kpi))
        .filter(kpi_target::Column::Granularity.eq(granularity.as_str()))
        .filter(kpi_target::Column::PeriodStart.gte(from))
        .filter(kpi_target::Column::PeriodStart.lt(to));
    query = match unit_id {
        Some(unit) => query.filter(kpi_target::Column::UnitId.eq(unit)),
        None => query.filter(kpi_target::Column::UnitId.is_null()),
    };
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.period_start, from_scaled(t.value_scaled)))
        .collect())
}

/// The steps of the demand waterfall, in order.
pub const FUNNEL: [&str; 6] = ["inquiries", "mqls", "sals", "sqls", "sqos", "won_deals"];

/// One funnel step.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelStep {
    pub kpi: &'static str,
    pub count: rust_decimal::Decimal,
    /// This step's count over the previous step's; `None` for the first step or when
    /// the previous count is zero.
    pub conversion_from_previous: Option<rust_decimal::Decimal>,
}

/// The organization-wide demand waterfall over `[from, to)`, one query: each step sums
/// its finest granularity only.
pub async fn funnel(
    db: &DatabaseConnection,
    organization: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<FunnelStep>> {
    let backend = db.get_database_backend();
    let mut p = Params::new(backend);
    // Bind in the order the placeholders appear: SQLite's `?` are positional.
    let organization = p.bind(organization);
    let keys: Vec<String> = FUNNEL.iter().map(|k| p.bind(*k)).collect();
    let sql = format!(
        "SELECT d.key AS kpi, m.granularity AS granularity, CAST(SUM(m.value_scaled) AS BIGINT) AS total \
         FROM kpi_measurement m JOIN kpi_definition d ON d.id = m.kpi_id \
         WHERE m.organization_id = {organization} AND d.organization_id IS NULL AND d.key IN ({}) \
         AND m.series_key = {} AND m.period_start >= {} AND m.period_start < {} \
         GROUP BY d.key, m.granularity",
        keys.join(", "),
        p.bind(ParsedPoint::series_key(None, &BTreeMap::new())),
        p.bind(from),
        p.bind(to),
    );
    let mut finest: BTreeMap<String, (u8, i64)> = BTreeMap::new();
    for row in db.query_all(p.statement(sql)).await? {
        let kpi: String = row.try_get("", "kpi")?;
        let granularity = Granularity::from_db(&row.try_get::<String>("", "granularity")?)?;
        let total: i64 = row.try_get("", "total")?;
        let entry = finest.entry(kpi).or_insert((u8::MAX, 0));
        if granularity.rank() < entry.0 {
            *entry = (granularity.rank(), total);
        }
    }
    let mut steps = Vec::with_capacity(FUNNEL.len());
    let mut previous: Option<i64> = None;
    for kpi in FUNNEL {
        let total = finest.get(kpi).map_or(0, |(_, t)| *t);
        steps.push(FunnelStep {
            kpi,
            count: from_scaled(total),
            conversion_from_previous: previous
                .and_then(|p| ratio(i128::from(total), i128::from(p))),
        });
        previous = Some(total);
    }
    Ok(steps)
}

/// When each source last pushed each KPI.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFreshness {
    pub kpi: String,
    pub source: String,
    pub last_reported_at: DateTime<Utc>,
    pub points: i64,
}

/// Freshness per KPI and source, to spot integrations that went silent.
pub async fn sources(db: &DatabaseConnection, organization: Uuid) -> Result<Vec<SourceFreshness>> {
    let backend = db.get_database_backend();
    let mut p = Params::new(backend);
    let sql = format!(
        "SELECT d.key AS kpi, m.source AS source, MAX(m.recorded_at) AS last_reported_at, COUNT(*) AS n \
         FROM kpi_measurement m JOIN kpi_definition d ON d.id = m.kpi_id \
         WHERE m.organization_id = {} GROUP BY d.key, m.source ORDER BY d.key, m.source",
        p.bind(organization),
    );
    let mut out = Vec::new();
    for row in db.query_all(p.statement(sql)).await? {
        out.push(SourceFreshness {
            kpi: row.try_get("", "kpi")?,
            source: row.try_get("", "source")?,
            last_reported_at: row.try_get("", "last_reported_at")?,
            points: row.try_get("", "n")?,
        });
    }
    Ok(out)
}
