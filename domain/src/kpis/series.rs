//! Reading KPI data: series rolled up in SQL, the demand funnel, and freshness per
//! source. Every aggregation runs in the database; Rust only divides exact sums.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{kpi_definition, kpi_measurement, kpi_target};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::ingest::ParsedPoint;
use crate::{
    Granularity, KpiKey, Rollup,
    error::{Error, Result},
    from_scaled,
    query::Params,
    ratio,
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
    key: &KpiKey,
) -> Result<kpi_definition::Model> {
    let mut rows = kpi_definition::Entity::find()
        .filter(kpi_definition::Column::Key.eq(key.as_str()))
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

fn parse_bucket(raw: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|e| Error::Internal(anyhow::anyhow!("period bucket {raw:?}: {e}")))
}

/// What a series is asked for, beside the organization and the KPI: the same for
/// every organization of a list, so their series roll up together.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeriesSpec {
    pub granularity: Granularity,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// One unit's series, or the whole organization's.
    pub unit_id: Option<Uuid>,
    /// The points with exactly these dimensions (none: the points without).
    pub dimensions: BTreeMap<String, String>,
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
    let spec = SeriesSpec {
        granularity,
        from,
        to,
        unit_id,
        dimensions: dimensions.clone(),
    };
    let mut all = series_many(db, &[(organization, kpi.clone())], &spec).await?;
    Ok(all.remove(&organization).unwrap_or_default())
}

/// The definition of the KPI `key` for each of `organizations` that has one (its own
/// KPI of that key, else the built-in one): one statement for all of them.
pub async fn definitions_by_key(
    db: &DatabaseConnection,
    organizations: &[Uuid],
    key: &KpiKey,
) -> Result<HashMap<Uuid, kpi_definition::Model>> {
    let rows = kpi_definition::Entity::find()
        .filter(kpi_definition::Column::Key.eq(key.as_str()))
        .filter(
            Condition::any()
                .add(kpi_definition::Column::OrganizationId.is_null())
                .add(kpi_definition::Column::OrganizationId.is_in(organizations.iter().copied())),
        )
        .all(db)
        .await?;
    let built_in = rows.iter().find(|r| r.organization_id.is_none());
    Ok(organizations
        .iter()
        .filter_map(|org| {
            rows.iter()
                .find(|r| r.organization_id == Some(*org))
                .or(built_in)
                .map(|definition| (*org, definition.clone()))
        })
        .collect())
}

/// `ids` as placeholders of an `IN (...)` list.
fn in_list(p: &mut Params, ids: impl IntoIterator<Item = Uuid>) -> String {
    ids.into_iter()
        .map(|id| p.bind(id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The series of `spec` for each `(organization, KPI)` pair, rolled up as [`series`]
/// says. However many organizations, it runs a fixed number of statements: which
/// granularities are stored, one roll-up per distinct (KPI, stored granularity,
/// roll-up rule) — one when the organizations share a built-in KPI and push alike —
/// and the targets. An organization without data in the range gets an empty series.
pub async fn series_many(
    db: &DatabaseConnection,
    series: &[(Uuid, kpi_definition::Model)],
    spec: &SeriesSpec,
) -> Result<HashMap<Uuid, Vec<SeriesPoint>>> {
    let mut out: HashMap<Uuid, Vec<SeriesPoint>> =
        series.iter().map(|(org, _)| (*org, Vec::new())).collect();
    if series.is_empty() {
        return Ok(out);
    }
    let backend = db.get_database_backend();
    let series_key = ParsedPoint::series_key(spec.unit_id, &spec.dimensions);
    let kpi_of: HashMap<Uuid, &kpi_definition::Model> =
        series.iter().map(|(org, kpi)| (*org, kpi)).collect();
    let kpi_ids: BTreeSet<Uuid> = series.iter().map(|(_, kpi)| kpi.id).collect();

    // The finest stored granularity not coarser than the one asked for, per
    // organization.
    let mut p = Params::new(backend);
    let sql = format!(
        "SELECT DISTINCT organization_id, kpi_id, granularity FROM kpi_measurement \
         WHERE organization_id IN ({}) AND kpi_id IN ({}) AND series_key = {} \
         AND period_start >= {} AND period_start < {}",
        in_list(&mut p, kpi_of.keys().copied()),
        in_list(&mut p, kpi_ids.iter().copied()),
        p.bind(series_key.clone()),
        p.bind(spec.from),
        p.bind(spec.to),
    );
    let mut source: HashMap<Uuid, Granularity> = HashMap::new();
    for row in db.query_all(p.statement(sql)).await? {
        let org: Uuid = row.try_get("", "organization_id")?;
        let kpi: Uuid = row.try_get("", "kpi_id")?;
        let Ok(stored) = Granularity::from_db(&row.try_get::<String>("", "granularity")?) else {
            continue;
        };
        if kpi_of.get(&org).is_none_or(|k| k.id != kpi) || stored.rank() > spec.granularity.rank() {
            continue;
        }
        source
            .entry(org)
            .and_modify(|g| {
                if stored.rank() < g.rank() {
                    *g = stored;
                }
            })
            .or_insert(stored);
    }
    if source.is_empty() {
        return Ok(out);
    }

    // One roll-up per (KPI, stored granularity, rule), over all its organizations.
    let mut groups: BTreeMap<(Uuid, Granularity, Rollup), Vec<Uuid>> = BTreeMap::new();
    for (org, stored) in &source {
        let kpi = kpi_of[org];
        groups
            .entry((kpi.id, *stored, Rollup::from_db(&kpi.rollup)?))
            .or_default()
            .push(*org);
    }
    let bucket = bucket(backend, spec.granularity);
    for ((kpi, stored, rollup), orgs) in groups {
        let mut p = Params::new(backend);
        let filter = format!(
            "organization_id IN ({}) AND kpi_id = {} AND series_key = {} AND granularity = {} \
             AND period_start >= {} AND period_start < {}",
            in_list(&mut p, orgs.iter().copied()),
            p.bind(kpi),
            p.bind(series_key.clone()),
            p.bind(stored.as_str()),
            p.bind(spec.from),
            p.bind(spec.to),
        );
        let sql = match rollup {
            Rollup::Sum | Rollup::Average => format!(
                "SELECT organization_id AS org, {bucket} AS bucket, \
                   CAST(SUM(value_scaled) AS BIGINT) AS total, COUNT(*) AS n \
                 FROM kpi_measurement WHERE {filter} GROUP BY 1, 2 ORDER BY 1, 2"
            ),
            Rollup::Last => format!(
                "WITH b AS (SELECT organization_id, {bucket} AS bucket, period_start, value_scaled \
                   FROM kpi_measurement WHERE {filter}), \
                 m AS (SELECT organization_id, bucket, MAX(period_start) AS last_start \
                   FROM b GROUP BY organization_id, bucket) \
                 SELECT b.organization_id AS org, b.bucket AS bucket, \
                   CAST(SUM(b.value_scaled) AS BIGINT) AS total, COUNT(*) AS n \
                 FROM b JOIN m ON b.organization_id = m.organization_id \
                   AND b.bucket = m.bucket AND b.period_start = m.last_start \
                 GROUP BY b.organization_id, b.bucket ORDER BY 1, 2"
            ),
        };
        for row in db.query_all(p.statement(sql)).await? {
            let org: Uuid = row.try_get("", "org")?;
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
            out.entry(org).or_default().push(SeriesPoint {
                period_start: parse_bucket(&row.try_get::<String>("", "bucket")?)?,
                value,
                points: n,
                target: None,
            });
        }
    }

    let targets = targets(db, &kpi_of, &source, spec).await?;
    for (org, points) in &mut out {
        for point in points.iter_mut() {
            point.target = targets.get(&(*org, point.period_start)).copied();
        }
    }
    Ok(out)
}

/// The targets of the series with data, by organization and period start: one
/// statement.
async fn targets(
    db: &DatabaseConnection,
    kpi_of: &HashMap<Uuid, &kpi_definition::Model>,
    with_data: &HashMap<Uuid, Granularity>,
    spec: &SeriesSpec,
) -> Result<HashMap<(Uuid, NaiveDate), rust_decimal::Decimal>> {
    let kpis: BTreeSet<Uuid> = with_data.keys().map(|org| kpi_of[org].id).collect();
    let mut query = kpi_target::Entity::find()
        .filter(kpi_target::Column::OrganizationId.is_in(with_data.keys().copied()))
        .filter(kpi_target::Column::KpiId.is_in(kpis))
        .filter(kpi_target::Column::Granularity.eq(spec.granularity.as_str()))
        .filter(kpi_target::Column::PeriodStart.gte(spec.from))
        .filter(kpi_target::Column::PeriodStart.lt(spec.to));
    query = match spec.unit_id {
        Some(unit) => query.filter(kpi_target::Column::UnitId.eq(unit)),
        None => query.filter(kpi_target::Column::UnitId.is_null()),
    };
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .filter(|t| {
            kpi_of
                .get(&t.organization_id)
                .is_some_and(|k| k.id == t.kpi_id)
        })
        .map(|t| {
            (
                (t.organization_id, t.period_start),
                from_scaled(t.value_scaled),
            )
        })
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

/// A stored point and every value it had before, oldest first.
#[derive(Debug, Clone)]
pub struct PointHistory {
    pub kpi: String,
    pub point: entity::kpi_measurement::Model,
    pub earlier: Vec<entity::kpi_measurement_revision::Model>,
}

/// Which stored point: its natural key within the organization.
#[derive(Debug, Clone)]
pub struct PointKey {
    pub kpi: KpiKey,
    pub granularity: Granularity,
    pub period_start: NaiveDate,
    pub source: String,
    pub unit_id: Option<Uuid>,
    pub dimensions: BTreeMap<String, String>,
}

/// The point of `key` in `organization` with its history (every correction keeps the
/// value it replaced, who recorded it and when); `None` when no such point is stored.
pub async fn point_history(
    db: &DatabaseConnection,
    organization: Uuid,
    key: &PointKey,
) -> Result<Option<PointHistory>> {
    use entity::{kpi_measurement as m, kpi_measurement_revision as r};
    use sea_orm::QueryOrder;
    let definition = definition(db, organization, &key.kpi).await?;
    let point = m::Entity::find()
        .filter(m::Column::OrganizationId.eq(organization))
        .filter(m::Column::KpiId.eq(definition.id))
        .filter(m::Column::Granularity.eq(key.granularity.as_str()))
        .filter(m::Column::PeriodStart.eq(key.period_start))
        .filter(m::Column::Source.eq(key.source.as_str()))
        .filter(m::Column::SeriesKey.eq(ParsedPoint::series_key(key.unit_id, &key.dimensions)))
        .one(db)
        .await?;
    let Some(point) = point else {
        return Ok(None);
    };
    let earlier = r::Entity::find()
        .filter(r::Column::OrganizationId.eq(organization))
        .filter(r::Column::MeasurementId.eq(point.id))
        .order_by_asc(r::Column::Revision)
        .all(db)
        .await?;
    Ok(Some(PointHistory {
        kpi: definition.key,
        point,
        earlier,
    }))
}

/// Which stored points an export asks for, parsed.
#[derive(Debug, Clone)]
pub struct StoredPointFilter {
    /// Only this KPI.
    pub kpi: Option<KpiKey>,
    /// Only this source.
    pub source: Option<String>,
    /// Only points of this granularity.
    pub granularity: Option<Granularity>,
    /// Periods starting on or after this date.
    pub from: Option<NaiveDate>,
    /// Periods starting before this date.
    pub to: Option<NaiveDate>,
    /// Points recorded after this one (the previous page's last).
    pub after: Option<Uuid>,
    /// Points per page.
    pub limit: u64,
}

/// One page of `organization`'s stored points that `filter` selects, oldest recorded
/// first, each with its KPI's key, and whether more follow: two statements.
pub async fn stored_points(
    db: &DatabaseConnection,
    organization: Uuid,
    filter: &StoredPointFilter,
) -> Result<(Vec<(kpi_measurement::Model, String)>, bool)> {
    let mut find = kpi_measurement::Entity::find()
        .filter(kpi_measurement::Column::OrganizationId.eq(organization));
    if let Some(kpi) = &filter.kpi {
        let definition = definition(db, organization, kpi)
            .await
            .map_err(|err| err.on_field("kpi"))?;
        find = find.filter(kpi_measurement::Column::KpiId.eq(definition.id));
    }
    if let Some(source) = &filter.source {
        find = find.filter(kpi_measurement::Column::Source.eq(source.as_str()));
    }
    if let Some(granularity) = filter.granularity {
        find = find.filter(kpi_measurement::Column::Granularity.eq(granularity.as_str()));
    }
    if let Some(from) = filter.from {
        find = find.filter(kpi_measurement::Column::PeriodStart.gte(from));
    }
    if let Some(to) = filter.to {
        find = find.filter(kpi_measurement::Column::PeriodStart.lt(to));
    }
    if let Some(after) = filter.after {
        find = find.filter(kpi_measurement::Column::Id.gt(after));
    }
    let mut rows = find
        .order_by_asc(kpi_measurement::Column::Id)
        .limit(filter.limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > filter.limit;
    rows.truncate(usize::try_from(filter.limit).unwrap_or(usize::MAX));
    let kpi_ids: HashSet<Uuid> = rows.iter().map(|r| r.kpi_id).collect();
    let keys: HashMap<Uuid, String> = kpi_definition::Entity::find()
        .filter(kpi_definition::Column::Id.is_in(kpi_ids))
        .filter(
            Condition::any()
                .add(kpi_definition::Column::OrganizationId.is_null())
                .add(kpi_definition::Column::OrganizationId.eq(organization)),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.key))
        .collect();
    let rows = rows
        .into_iter()
        .map(|row| {
            let key = keys.get(&row.kpi_id).cloned().unwrap_or_default();
            (row, key)
        })
        .collect();
    Ok((rows, more))
}
