//! Recording KPI measurements: parse, resolve, classify, write — one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{kpi_definition, kpi_measurement, org_unit};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect,
    QueryTrait, Statement,
};
use uuid::Uuid;

use crate::{
    Granularity, KpiKey, Line, StorableDate,
    audit::Operation,
    auth::KpiPusher,
    clock::now,
    error::{Error, Result},
    events::Event,
    store::Store,
    webhooks,
    write::{self, Target},
};

/// One point, parsed: everything but the KPI and unit lookups is checked.
#[derive(Debug, Clone)]
pub struct ParsedPoint {
    /// Its position in the request, for error messages (`points[12].value`).
    pub index: usize,
    /// How error messages name it: `points[12]` in a GraphQL or JSON push,
    /// `line[12]` in a CSV file.
    pub label: String,
    pub kpi: KpiKey,
    pub unit_id: Option<Uuid>,
    pub granularity: Granularity,
    pub period_start: NaiveDate,
    pub value_scaled: i64,
    pub source: String,
    /// Dimension name → value, sorted by name.
    pub dimensions: BTreeMap<String, String>,
}

/// Most dimensions a point may carry.
pub const MAX_DIMENSIONS: usize = 4;

impl ParsedPoint {
    /// The unit and dimensions folded into one canonical, non-null string: part of the
    /// natural key, so a missing unit cannot make duplicates.
    pub fn series_key(unit_id: Option<Uuid>, dimensions: &BTreeMap<String, String>) -> String {
        serde_json::json!({ "u": unit_id, "d": dimensions }).to_string()
    }

    /// Parses the parts of a point that need no database.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        index: usize,
        prefix: &str,
        kpi: &str,
        unit_id: Option<Uuid>,
        granularity: Granularity,
        period_start: NaiveDate,
        value_scaled: i64,
        source: &str,
        dimensions: Vec<(String, String)>,
    ) -> Result<Self> {
        let at = |field: &str| format!("{prefix}[{index}].{field}");
        let kpi = KpiKey::parse(&at("kpi"), kpi)?;
        if !granularity.starts_period(period_start) {
            return Err(Error::bad_input(
                at("periodStart"),
                format!(
                    "{period_start} does not start a {} period",
                    granularity.as_str()
                ),
            ));
        }
        let period_start = StorableDate::parse(&at("periodStart"), period_start)?.get();
        let source = Line::<100>::parse(&at("source"), source)?.into_inner();
        if dimensions.len() > MAX_DIMENSIONS {
            return Err(Error::bad_input(
                at("dimensions"),
                format!("at most {MAX_DIMENSIONS} dimensions"),
            ));
        }
        let mut dims = BTreeMap::new();
        for (i, (name, value)) in dimensions.into_iter().enumerate() {
            let name =
                Line::<40>::parse(&at(&format!("dimensions[{i}].name")), &name)?.into_inner();
            let value =
                Line::<100>::parse(&at(&format!("dimensions[{i}].value")), &value)?.into_inner();
            if dims.insert(name, value).is_some() {
                return Err(Error::bad_input(
                    at(&format!("dimensions[{i}].name")),
                    "a dimension is named twice",
                ));
            }
        }
        Ok(Self {
            index,
            label: format!("{prefix}[{index}]"),
            kpi,
            unit_id,
            granularity,
            period_start,
            value_scaled,
            source,
            dimensions: dims,
        })
    }
}

/// What a push changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordCounts {
    pub inserted: u64,
    pub corrected: u64,
    pub unchanged: u64,
}

/// The natural key without the organization.
type Key = (Uuid, &'static str, NaiveDate, String, String);

/// What classification needs of a stored point.
struct Stored {
    id: Uuid,
    value_scaled: i64,
    revision: i32,
}

/// Rows per statement: stays under SQLite's 32,766 bound parameters for every
/// statement below.
const CHUNK: usize = 1_000;

/// Records `points` for `organization` in one transaction: all of them or none. A push
/// that inserted or corrected anything writes its `kpi.points_recorded` webhook event in
/// that transaction, and after the commit subscribers hear of it
/// ([`Event::KpiPointsRecorded`]), whoever pushed it: GraphQL, REST or the CLI.
pub async fn record(
    store: &Store,
    pusher: KpiPusher<'_>,
    organization: Uuid,
    points: Vec<ParsedPoint>,
) -> Result<RecordCounts> {
    let field = "organizationId";
    pusher.reach(organization, "organization", field)?;
    if points.is_empty() {
        // Nothing to write, but an unknown organization is as unknown as for a push
        // with points (and as for the REST push): `NOT_FOUND` on its field.
        crate::organizations::service::find(&store.db, organization)
            .await?
            .ok_or_else(|| Error::not_found_at("organization", field))?;
        return Ok(RecordCounts::default());
    }
    let target = Target::organization(organization, field);
    let mut write = write::begin(store, pusher, target).await?;
    let (tx, org) = (&write.tx, &write.organization);

    let kpi_ids = resolve_kpis(tx, org.id, &points).await?;
    check_units(tx, org.id, &points).await?;

    // Keys of this batch; one key twice is ambiguous (which value wins?), so refused.
    let mut keyed: Vec<(Key, &ParsedPoint)> = Vec::with_capacity(points.len());
    let mut seen: HashMap<Key, &str> = HashMap::with_capacity(points.len());
    for point in &points {
        let key = (
            kpi_ids[point.kpi.as_str()],
            point.granularity.as_str(),
            point.period_start,
            point.source.clone(),
            ParsedPoint::series_key(point.unit_id, &point.dimensions),
        );
        if let Some(first) = seen.insert(key.clone(), point.label.as_str()) {
            return Err(Error::bad_input(
                point.label.clone(),
                format!(
                    "repeats the point of {first} (same KPI, unit, period, source and dimensions)"
                ),
            ));
        }
        keyed.push((key, point));
    }

    let existing = load_existing(tx, org.id, &keyed).await?;
    let now = now();
    let actor = pusher
        .principal()
        .subject
        .chars()
        .take(200)
        .collect::<String>();
    let mut counts = RecordCounts::default();
    let mut inserts: Vec<(&Key, &ParsedPoint)> = Vec::new();
    let mut corrections: Vec<(Uuid, i64, i32)> = Vec::new();
    for (key, point) in &keyed {
        match existing.get(key) {
            Some(row) if row.value_scaled == point.value_scaled => counts.unchanged += 1,
            Some(row) => {
                counts.corrected += 1;
                corrections.push((row.id, point.value_scaled, row.revision + 1));
            }
            None => {
                counts.inserted += 1;
                inserts.push((key, *point));
            }
        }
    }
    if tx.get_database_backend() == DbBackend::Postgres {
        insert_postgres(tx, org.id, now, &actor, &inserts).await?;
        correct_postgres(tx, now, &actor, &corrections).await?;
    } else {
        insert_sqlite(tx, org.id, now, &actor, inserts).await?;
        correct_sqlite(tx, now, &actor, &corrections).await?;
    }
    if counts.inserted + counts.corrected == 0 {
        write.abandon().await?;
        return Ok(counts);
    }
    let mut kpi_keys: Vec<String> = points.iter().map(|p| p.kpi.as_str().to_owned()).collect();
    kpi_keys.sort_unstable();
    kpi_keys.dedup();
    webhooks::outbox::enqueue(
        tx,
        org.id,
        webhooks::EventType::KpiPointsRecorded,
        serde_json::json!({
            "kpiKeys": kpi_keys,
            "inserted": counts.inserted,
            "corrected": counts.corrected,
        }),
    )
    .await?;
    write.announce(Event::KpiPointsRecorded {
        organization_id: write.organization.id,
        kpi_keys,
        inserted: counts.inserted,
        corrected: counts.corrected,
    });
    write
        .commit(Operation::RecordKpiMeasurements, Vec::new())
        .await?;
    Ok(counts)
}

/// Rows per statement on PostgreSQL, where a statement carries one array per column
/// (no bound-parameter limit): bounds the size of one statement.
const PG_CHUNK: usize = 10_000;

/// New points on PostgreSQL: one `INSERT … SELECT FROM unnest(…)` per chunk, a typed
/// array per column. The driver sends each array as one binary parameter, so the server
/// plans one statement and decodes no SQL text per row, where a multi-row `VALUES` list
/// costs a parameter (and its planning) per cell.
async fn insert_postgres<C: ConnectionTrait>(
    tx: &C,
    organization: Uuid,
    now: DateTime<Utc>,
    actor: &str,
    inserts: &[(&Key, &ParsedPoint)],
) -> Result<()> {
    for chunk in inserts.chunks(PG_CHUNK) {
        let n = chunk.len();
        let mut ids = Vec::with_capacity(n);
        let mut kpis = Vec::with_capacity(n);
        // Unit ids as text, '' for none: the driver's arrays carry no NULL elements.
        let mut units = Vec::with_capacity(n);
        let mut granularities = Vec::with_capacity(n);
        let mut periods = Vec::with_capacity(n);
        let mut sources = Vec::with_capacity(n);
        let mut dimensions = Vec::with_capacity(n);
        let mut series = Vec::with_capacity(n);
        let mut values = Vec::with_capacity(n);
        for (key, point) in chunk {
            ids.push(Uuid::now_v7());
            kpis.push(key.0);
            units.push(point.unit_id.map(|u| u.to_string()).unwrap_or_default());
            granularities.push(key.1.to_owned());
            periods.push(point.period_start);
            sources.push(point.source.clone());
            dimensions.push(serde_json::to_string(&point.dimensions).unwrap_or_default());
            series.push(key.4.clone());
            values.push(point.value_scaled);
        }
        tx.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO kpi_measurement (id, organization_id, kpi_id, unit_id, granularity, \
             period_start, source, dimensions, series_key, value_scaled, revision, recorded_at, \
             recorded_by) \
             SELECT p.id, $1, p.kpi_id, NULLIF(p.unit_id, '')::uuid, p.granularity, \
             p.period_start, p.source, p.dimensions::jsonb, p.series_key, p.value_scaled, 1, $2, $3 \
             FROM unnest($4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::date[], $9::text[], \
             $10::text[], $11::text[], $12::int8[]) \
             AS p(id, kpi_id, unit_id, granularity, period_start, source, dimensions, series_key, value_scaled)",
            [
                organization.into(),
                now.into(),
                actor.into(),
                ids.into(),
                kpis.into(),
                units.into(),
                granularities.into(),
                periods.into(),
                sources.into(),
                dimensions.into(),
                series.into(),
                values.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// Corrections on PostgreSQL: the superseded values go to the history and the new ones
/// replace them, two statements per chunk whatever its size.
async fn correct_postgres<C: ConnectionTrait>(
    tx: &C,
    now: DateTime<Utc>,
    actor: &str,
    corrections: &[(Uuid, i64, i32)],
) -> Result<()> {
    for chunk in corrections.chunks(PG_CHUNK) {
        let ids: Vec<Uuid> = chunk.iter().map(|(id, _, _)| *id).collect();
        let history: Vec<Uuid> = chunk.iter().map(|_| Uuid::now_v7()).collect();
        let values: Vec<i64> = chunk.iter().map(|(_, value, _)| *value).collect();
        let revisions: Vec<i32> = chunk.iter().map(|(_, _, revision)| *revision).collect();
        tx.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO kpi_measurement_revision (id, organization_id, measurement_id, revision, \
             value_scaled, recorded_at, recorded_by) \
             SELECT c.history_id, m.organization_id, m.id, m.revision, m.value_scaled, \
             m.recorded_at, m.recorded_by \
             FROM unnest($1::uuid[], $2::uuid[]) AS c(id, history_id) \
             JOIN kpi_measurement m ON m.id = c.id",
            [ids.clone().into(), history.into()],
        ))
        .await?;
        tx.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE kpi_measurement SET value_scaled = c.value_scaled, revision = c.revision, \
             recorded_at = $1, recorded_by = $2 \
             FROM unnest($3::uuid[], $4::int8[], $5::int4[]) AS c(id, value_scaled, revision) \
             WHERE kpi_measurement.id = c.id",
            [
                now.into(),
                actor.into(),
                ids.into(),
                values.into(),
                revisions.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// New points on SQLite: multi-row `INSERT`s of [`CHUNK`] rows (SQLite has no arrays,
/// and in-process statements cost little to plan).
async fn insert_sqlite<C: ConnectionTrait>(
    tx: &C,
    organization: Uuid,
    now: DateTime<Utc>,
    actor: &str,
    inserts: Vec<(&Key, &ParsedPoint)>,
) -> Result<()> {
    let mut rows = inserts
        .into_iter()
        .map(|(key, point)| kpi_measurement::ActiveModel {
            id: sea_orm::Set(Uuid::now_v7()),
            organization_id: sea_orm::Set(organization),
            kpi_id: sea_orm::Set(key.0),
            unit_id: sea_orm::Set(point.unit_id),
            granularity: sea_orm::Set(key.1.to_owned()),
            period_start: sea_orm::Set(point.period_start),
            source: sea_orm::Set(point.source.clone()),
            dimensions: sea_orm::Set(serde_json::to_value(&point.dimensions).unwrap_or_default()),
            series_key: sea_orm::Set(key.4.clone()),
            value_scaled: sea_orm::Set(point.value_scaled),
            revision: sea_orm::Set(1),
            recorded_at: sea_orm::Set(now),
            recorded_by: sea_orm::Set(Some(actor.to_owned())),
        });
    loop {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        kpi_measurement::Entity::insert_many(chunk)
            .exec_without_returning(tx)
            .await?;
    }
}

/// Corrections on SQLite: per chunk, one statement copies the superseded values into the
/// history and one `UPDATE … FROM (VALUES …)` writes the new ones.
async fn correct_sqlite<C: ConnectionTrait>(
    tx: &C,
    now: DateTime<Utc>,
    actor: &str,
    corrections: &[(Uuid, i64, i32)],
) -> Result<()> {
    for chunk in corrections.chunks(CHUNK) {
        let rows = |arity: usize| {
            let row = format!("({})", vec!["?"; arity].join(", "));
            vec![row; chunk.len()].join(", ")
        };
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 2);
        for (id, _, _) in chunk {
            values.push(Uuid::now_v7().into());
            values.push((*id).into());
        }
        tx.execute(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!(
                "INSERT INTO kpi_measurement_revision (id, organization_id, measurement_id, \
                 revision, value_scaled, recorded_at, recorded_by) \
                 SELECT c.column1, m.organization_id, m.id, m.revision, m.value_scaled, \
                 m.recorded_at, m.recorded_by \
                 FROM (VALUES {}) AS c JOIN kpi_measurement m ON m.id = c.column2",
                rows(2)
            ),
            values,
        ))
        .await?;
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(2 + chunk.len() * 3);
        values.push(now.into());
        values.push(actor.into());
        for (id, value, revision) in chunk {
            values.push((*id).into());
            values.push((*value).into());
            values.push((*revision).into());
        }
        tx.execute(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!(
                "UPDATE kpi_measurement SET value_scaled = c.column2, revision = c.column3, \
                 recorded_at = ?, recorded_by = ? \
                 FROM (VALUES {}) AS c WHERE kpi_measurement.id = c.column1",
                rows(3)
            ),
            values,
        ))
        .await?;
    }
    Ok(())
}

/// KPI ids by key: the organization's own KPIs and the built-in catalog.
async fn resolve_kpis<C: ConnectionTrait>(
    tx: &C,
    organization: Uuid,
    points: &[ParsedPoint],
) -> Result<HashMap<String, Uuid>> {
    let keys: HashSet<&str> = points.iter().map(|p| p.kpi.as_str()).collect();
    let rows = kpi_definition::Entity::find()
        .filter(kpi_definition::Column::Key.is_in(keys.iter().copied()))
        .filter(
            Condition::any()
                .add(kpi_definition::Column::OrganizationId.is_null())
                .add(kpi_definition::Column::OrganizationId.eq(organization)),
        )
        .filter(kpi_definition::Column::Archived.eq(false))
        .all(tx)
        .await?;
    let ids: HashMap<String, Uuid> = rows.into_iter().map(|r| (r.key, r.id)).collect();
    if let Some(point) = points.iter().find(|p| !ids.contains_key(p.kpi.as_str())) {
        return Err(Error::bad_input(
            format!("{}.kpi", point.label),
            format!(
                "no KPI {:?} in the catalog or the organization's own KPIs",
                point.kpi.as_str()
            ),
        ));
    }
    Ok(ids)
}

/// Every unit a point names must be one of the organization's.
async fn check_units<C: ConnectionTrait>(
    tx: &C,
    organization: Uuid,
    points: &[ParsedPoint],
) -> Result<()> {
    let wanted: HashSet<Uuid> = points.iter().filter_map(|p| p.unit_id).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let found: HashSet<Uuid> = org_unit::Entity::find()
        .select_only()
        .column(org_unit::Column::Id)
        .filter(org_unit::Column::OrganizationId.eq(organization))
        .filter(org_unit::Column::Id.is_in(wanted.iter().copied()))
        .into_tuple::<Uuid>()
        .all(tx)
        .await?
        .into_iter()
        .collect();
    if let Some(point) = points
        .iter()
        .find(|p| p.unit_id.is_some_and(|u| !found.contains(&u)))
    {
        return Err(Error::not_found_at(
            "unit",
            format!("{}.unitId", point.label),
        ));
    }
    Ok(())
}

/// The dates one lookup reads.
enum DateSet {
    List(Vec<NaiveDate>),
    Range(NaiveDate, NaiveDate),
}

/// Sorted dates as runs `(first, last)`: a new run starts where the gap to the previous
/// date is over a month, so a batch of scattered periods does not read the years in
/// between.
fn date_runs(dates: &[NaiveDate]) -> Vec<(NaiveDate, NaiveDate)> {
    let mut runs: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for &date in dates {
        match runs.last_mut() {
            Some((_, last)) if (date - *last).num_days() <= 31 => *last = date,
            _ => runs.push((date, date)),
        }
    }
    runs
}

/// Up to how many sources a lookup names; more, and it reads every source's rows of
/// its dates and drops the others here.
const MAX_SOURCES_FILTERED: usize = 64;

/// How one KPI's (sorted, distinct) dates are read. PostgreSQL gets ranges of nearby dates (see
/// [`load_existing`]). SQLite probes the index once per listed date, which suits
/// scattered dates; a dense run (a daily backfill: at least one date in two days) is
/// one range instead, one probe and a walk along the index.
fn date_sets(dates: &[NaiveDate], sqlite: bool) -> Vec<DateSet> {
    // `dates` is sorted and the runs follow it in order: each run is the next slice
    // of it, so the whole walk is linear in the dates.
    let mut sets = Vec::new();
    let mut rest = dates;
    for (first, last) in date_runs(dates) {
        let span = (last - first).num_days() + 1;
        let len = rest.partition_point(|d| *d <= last);
        let (within, after) = rest.split_at(len);
        rest = after;
        if !sqlite || (within.len() as i64) * 2 >= span {
            sets.push(DateSet::Range(first, last));
        } else {
            sets.extend(within.chunks(CHUNK).map(|c| DateSet::List(c.to_vec())));
        }
    }
    sets
}

/// The stored rows of the batch's keys.
///
/// Per KPI and granularity of the batch, reads the batch's dates through the natural-key
/// index (organization, KPI, granularity, period start ...); rows of other sources or
/// series on those dates are read too and dropped here. SQLite gets the list of dates
/// (one index probe each). PostgreSQL 15 applies such a list as a filter after scanning
/// every row of the KPI, so it gets ranges of nearby dates instead, which are index
/// conditions. (A row-value `IN` over all five key columns is planned as a scan by both.)
async fn load_existing<C: ConnectionTrait>(
    tx: &C,
    organization: Uuid,
    keyed: &[(Key, &ParsedPoint)],
) -> Result<HashMap<Key, Stored>> {
    // Per KPI and granularity: the batch's dates and sources.
    type Wanted<'a> = (HashSet<NaiveDate>, HashSet<&'a str>);
    let mut dates_by_series: HashMap<(Uuid, &'static str), Wanted<'_>> = HashMap::new();
    for ((kpi, granularity, period, source, _), _) in keyed {
        let (dates, sources) = dates_by_series.entry((*kpi, *granularity)).or_default();
        dates.insert(*period);
        sources.insert(source.as_str());
    }
    let wanted: HashSet<&Key> = keyed.iter().map(|(key, _)| key).collect();
    let mut found = HashMap::new();
    let sqlite = tx.get_database_backend() == sea_orm::DbBackend::Sqlite;
    for ((kpi, granularity), (dates, sources)) in dates_by_series {
        let mut dates: Vec<NaiveDate> = dates.into_iter().collect();
        dates.sort_unstable();
        let runs = date_sets(&dates, sqlite);
        // Rows of other sources on the same dates are not the batch's: a backfill of one
        // source over years would otherwise read every other source's rows of those
        // years. The index holds `source` after the date, so this is checked on the
        // index entries, before any row is fetched.
        let sources: Option<Vec<String>> = (sources.len() <= MAX_SOURCES_FILTERED)
            .then(|| sources.into_iter().map(str::to_owned).collect());
        for dates in runs {
            // Only the columns classification needs: decoding whole rows (dimensions
            // JSON, timestamps) costs more than the lookup itself.
            let rows: Vec<(Uuid, NaiveDate, String, String, i64, i32)> =
                kpi_measurement::Entity::find()
                    .select_only()
                    .columns([
                        kpi_measurement::Column::Id,
                        kpi_measurement::Column::PeriodStart,
                        kpi_measurement::Column::Source,
                        kpi_measurement::Column::SeriesKey,
                        kpi_measurement::Column::ValueScaled,
                        kpi_measurement::Column::Revision,
                    ])
                    .filter(kpi_measurement::Column::OrganizationId.eq(organization))
                    .filter(kpi_measurement::Column::KpiId.eq(kpi))
                    .filter(kpi_measurement::Column::Granularity.eq(granularity))
                    .filter(match dates {
                        DateSet::List(list) => kpi_measurement::Column::PeriodStart.is_in(list),
                        DateSet::Range(first, last) => {
                            kpi_measurement::Column::PeriodStart.between(first, last)
                        }
                    })
                    .apply_if(sources.clone(), |query, sources| {
                        query.filter(kpi_measurement::Column::Source.is_in(sources))
                    })
                    .into_tuple()
                    .all(tx)
                    .await?;
            for (id, period_start, source, series_key, value_scaled, revision) in rows {
                let key = (kpi, granularity, period_start, source, series_key);
                if wanted.contains(&key) {
                    found.insert(
                        key,
                        Stored {
                            id,
                            value_scaled,
                            revision,
                        },
                    );
                }
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ymd as d;

    #[test]
    fn nearby_dates_form_one_run_and_far_ones_start_another() {
        let dates = [d(2024, 1, 1), d(2024, 1, 2), d(2024, 2, 1), d(2025, 6, 1)];
        assert_eq!(
            date_runs(&dates),
            vec![
                (d(2024, 1, 1), d(2024, 2, 1)),
                (d(2025, 6, 1), d(2025, 6, 1))
            ]
        );
        assert!(date_runs(&[]).is_empty());
    }

    #[test]
    fn sqlite_reads_a_daily_backfill_as_one_range_and_scattered_dates_as_a_list() {
        let daily: Vec<NaiveDate> = (0..400)
            .map(|i| d(2000, 1, 1) + chrono::Days::new(i))
            .collect();
        let sets = date_sets(&daily, true);
        assert!(
            matches!(sets.as_slice(), [DateSet::Range(a, b)] if *a == d(2000, 1, 1) && *b == daily[399])
        );
        // Monthly dates within reach of each other form one run, but a sparse one.
        let monthly = [d(2024, 1, 1), d(2024, 1, 31), d(2024, 3, 1), d(2024, 3, 31)];
        assert!(
            matches!(date_sets(&monthly, true).as_slice(), [DateSet::List(list)] if list.len() == 4)
        );
        // Far-apart dates: one run each, each read on its own.
        let scattered = [d(2001, 1, 1), d(2003, 1, 1), d(2005, 1, 1)];
        assert!(matches!(
            date_sets(&scattered, true).as_slice(),
            [DateSet::Range(a, _), DateSet::Range(b, _), DateSet::Range(c, _)]
                if [*a, *b, *c] == scattered
        ));
        // PostgreSQL always gets ranges.
        assert!(matches!(
            date_sets(&monthly, false).as_slice(),
            [DateSet::Range(..)]
        ));
    }
}
