//! Reading scenarios, and evaluating drafts: the live snapshot on each draft's date,
//! its changes applied in memory ([`super::apply`]), the insight rules on both
//! structures and the comparison ([`super::diff`]) — a fixed number of statements
//! however many changes and drafts. Nothing here writes.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{kpi_definition, kpi_measurement, scenario};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{
    apply::{Draft, Limits},
    change,
    diff::{self, Diff},
    service::{Status, apply_all, live, stale_draft},
};
use crate::{
    PageRequest,
    error::{Error, Result},
    insights::{self, Insight, Snapshot},
};

/// A scenario evaluated: the live structure and the scenario's on its date, their
/// insights, and the comparison.
#[derive(Debug)]
pub struct Evaluation {
    pub before: Snapshot,
    pub after: Snapshot,
    pub insights_before: Vec<Insight>,
    pub insights_after: Vec<Insight>,
    /// The units the scenario creates, by key (their ids are the scenario's own).
    pub unit_keys: HashMap<String, Uuid>,
    pub diff: Diff,
}

/// One scenario by id.
pub async fn find(db: &DatabaseConnection, id: Uuid) -> Result<Option<scenario::Model>> {
    Ok(scenario::Entity::find_by_id(id).one(db).await?)
}

/// Scenarios by id (those that exist).
pub async fn find_many(db: &DatabaseConnection, ids: &[Uuid]) -> Result<Vec<scenario::Model>> {
    Ok(scenario::Entity::find()
        .filter(scenario::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// A page of an organization's scenarios (of one status, or all), newest first.
pub async fn list(
    db: &DatabaseConnection,
    organization: Uuid,
    status: Option<Status>,
    page: PageRequest,
) -> Result<(u64, Vec<scenario::Model>)> {
    let mut query =
        scenario::Entity::find().filter(scenario::Column::OrganizationId.eq(organization));
    if let Some(status) = status {
        query = query.filter(scenario::Column::Status.eq(status.as_str()));
    }
    page.fetch(
        db,
        query
            .order_by_desc(scenario::Column::CreatedAt)
            .order_by_desc(scenario::Column::Id),
    )
    .await
}

/// Evaluates scenarios of one organization: one live snapshot per distinct date, the
/// KPI series of the units that move or are archived in one more pair of statements,
/// however many changes and scenarios. Only drafts can be evaluated: a promoted
/// scenario's changes are the live structure now, a discarded one's are moot.
pub async fn evaluate(
    db: &DatabaseConnection,
    scenarios: &[&scenario::Model],
    draft_limits: Limits,
) -> Result<Vec<Evaluation>> {
    let mut lives: HashMap<(Uuid, NaiveDate), Snapshot> = HashMap::new();
    let mut drafts = Vec::with_capacity(scenarios.len());
    for s in scenarios {
        if Status::from_db(&s.status)? != Status::Draft {
            return Err(Error::conflict(
                "id",
                format!(
                    "the scenario is {}: only drafts are evaluated against the live structure",
                    s.status
                ),
            ));
        }
        let key = (s.organization_id, s.effective_from);
        if let std::collections::hash_map::Entry::Vacant(slot) = lives.entry(key) {
            slot.insert(live(db, s.organization_id, s.effective_from).await?);
        }
        let before = lives[&key].clone();
        let mut draft = Draft::new(s.id, before, s.created_at);
        apply_all(
            &mut draft,
            &change::from_json(&s.changes)?,
            draft_limits,
            |i| format!("changes[{i}]"),
        )
        .map_err(stale_draft)?;
        drafts.push((key, draft.finish()));
    }
    // The KPI series of the units that move or are archived, of every draft at once.
    let mut evaluated = Vec::with_capacity(drafts.len());
    let mut watched: Vec<(Uuid, Uuid)> = Vec::new();
    for (key, (after, unit_keys)) in drafts {
        let before = lives[&key].clone();
        let insights_before = insights::evaluate(&before, None);
        let insights_after = insights::evaluate(&after, None);
        let diff = diff::diff(&before, &after, &insights_before, &insights_after);
        watched.extend(diff.units_losing_their_place().map(|u| (key.0, u)));
        evaluated.push(Evaluation {
            before,
            after,
            insights_before,
            insights_after,
            unit_keys,
            diff,
        });
    }
    let series = kpi_series(db, &watched).await?;
    Ok(evaluated
        .into_iter()
        .map(|mut e| {
            e.diff = e.diff.with_kpi_series(&e.before, &e.after, &series);
            e
        })
        .collect())
}

/// What changed in the organization's live structure between two days: the structure
/// on `from` and on `to` compared as a scenario's before and after are (units added,
/// ended, moved, renamed or re-sourced; positions added, ended or given another holder,
/// title, role or responsibilities; lines added and ended; the model and insights on
/// each day), the KPI series of the units that moved or ended included. The delta
/// report of the organization's history; `BAD_USER_INPUT` on `to` unless it is after
/// `from`.
pub async fn between(
    db: &DatabaseConnection,
    organization: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Evaluation> {
    if to <= from {
        return Err(Error::bad_input("to", "must be after from"));
    }
    let before = live(db, organization, from).await?;
    let after = live(db, organization, to).await?;
    let insights_before = insights::evaluate(&before, None);
    let insights_after = insights::evaluate(&after, None);
    let diff = diff::diff(&before, &after, &insights_before, &insights_after);
    let watched: Vec<(Uuid, Uuid)> = diff
        .units_losing_their_place()
        .map(|u| (organization, u))
        .collect();
    let series = kpi_series(db, &watched).await?;
    let diff = diff.with_kpi_series(&before, &after, &series);
    Ok(Evaluation {
        before,
        after,
        insights_before,
        insights_after,
        unit_keys: HashMap::new(),
        diff,
    })
}

/// The KPI series recorded against `units` (organization, unit): per unit, each KPI's key and point count.
async fn kpi_series(
    db: &DatabaseConnection,
    units: &[(Uuid, Uuid)],
) -> Result<HashMap<Uuid, Vec<(String, u64)>>> {
    if units.is_empty() {
        return Ok(HashMap::new());
    }
    let mut organizations: Vec<Uuid> = units.iter().map(|u| u.0).collect();
    organizations.sort_unstable();
    organizations.dedup();
    let counts: Vec<(Option<Uuid>, Uuid, i64)> = kpi_measurement::Entity::find()
        .select_only()
        .column(kpi_measurement::Column::UnitId)
        .column(kpi_measurement::Column::KpiId)
        .column_as(kpi_measurement::Column::Id.count(), "points")
        .filter(kpi_measurement::Column::OrganizationId.is_in(organizations))
        .filter(kpi_measurement::Column::UnitId.is_in(units.iter().map(|u| u.1)))
        .group_by(kpi_measurement::Column::UnitId)
        .group_by(kpi_measurement::Column::KpiId)
        .into_tuple()
        .all(db)
        .await?;
    let kpis: HashMap<Uuid, String> = kpi_definition::Entity::find()
        .filter(kpi_definition::Column::Id.is_in(counts.iter().map(|c| c.1)))
        .all(db)
        .await?
        .into_iter()
        .map(|k| (k.id, k.key))
        .collect();
    let mut out: HashMap<Uuid, Vec<(String, u64)>> = HashMap::new();
    for (unit, kpi, points) in counts {
        if let (Some(unit), Some(key)) = (unit, kpis.get(&kpi)) {
            out.entry(unit)
                .or_default()
                .push((key.clone(), u64::try_from(points).unwrap_or(0)));
        }
    }
    for series in out.values_mut() {
        series.sort();
    }
    Ok(out)
}
