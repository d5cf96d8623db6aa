//! Priming per-unit loaders from organization-level reads.
//!
//! DataLoader batches the keys that arrive within a short delay. A list of many units
//! is resolved in chunks (the executor yields every few dozen items), so per-unit keys
//! can straddle that delay and split into several statements. When an organization's
//! units are read, the data below them (positions, lines) is loaded here once per
//! organization, with only organization ids as keys, and fed into the per-unit
//! loaders' caches: a nested query then runs one statement per relation level for the
//! whole page, however many units it walks.

use std::collections::HashMap;

use async_graphql::{Context, InputType, Lookahead, SelectionField, Value};
use chrono::NaiveDate;
use entity::{org_unit, organization};
use uuid::Uuid;

use crate::{
    context::loader,
    error::GqlResult,
    insights::SnapshotAsOf,
    kpis::{DefinitionsOf, SeriesOf, SeriesRequest},
    loader::{OrganizationBatch, PerOrganization, group},
    maturity::loaders::{CoreKpisAsOf, StageHistoryAsOf},
    organizations::OrganizationById,
    positions::{PositionsByOrganization, PositionsByUnit},
    priorities::loaders::AssessmentsOf,
    reporting::{LineHistoryByUnit, LinesAsOf, LinesByOrganization},
    scalars::Date,
    stakeholders::loaders::{RelationshipsOf, StakeholdersOf},
    units::{UnitById, UnitsByOrganization},
};

/// Unit fields that read the structure as of a date.
const STRUCTURE_FIELDS: [&str; 6] = [
    "reportingLines",
    "superior",
    "dottedSuperiors",
    "subordinates",
    "spanOfControl",
    "depth",
];

/// Feeds the units of `org`, and whatever `selection` (the selection below a list of
/// units) will read from them, into the per-unit loaders.
pub async fn unit_subtree(
    ctx: &Context<'_>,
    org: &organization::Model,
    units: &[org_unit::Model],
    selection: &Lookahead<'_>,
) -> GqlResult<()> {
    loader::<OrganizationById>(ctx)?
        .feed_many([(org.id, org.clone())])
        .await;
    loader::<UnitById>(ctx)?
        .feed_many(units.iter().map(|u| (u.id, u.clone())))
        .await;
    if selection.field("positions").exists() {
        let positions = loader::<PositionsByOrganization>(ctx)?
            .load_one(org.id)
            .await?
            .unwrap_or_default();
        let mut by_unit = group(positions, |p| p.unit_id);
        loader::<PositionsByUnit>(ctx)?
            .feed_many(
                units
                    .iter()
                    .map(|u| (u.id, by_unit.remove(&u.id).unwrap_or_default())),
            )
            .await;
    }
    if STRUCTURE_FIELDS.iter().any(|f| selection.field(f).exists()) {
        loader::<LinesAsOf>(ctx)?
            .load_one((org.id, orgdesign_domain::clock::today()))
            .await?;
    }
    if selection.field("lineHistory").exists() {
        let lines = loader::<LinesByOrganization>(ctx)?
            .load_one(org.id)
            .await?
            .unwrap_or_default();
        let mut by_unit = group(lines, |l| l.unit_id);
        loader::<LineHistoryByUnit>(ctx)?
            .feed_many(
                units
                    .iter()
                    .map(|u| (u.id, by_unit.remove(&u.id).unwrap_or_default())),
            )
            .await;
    }
    Ok(())
}

/// Feeds the units of `org` into [`UnitById`] when `selection` reads any of `fields`
/// (the unit edges of positions or lines listed at organization level).
pub async fn units_if_selected(
    ctx: &Context<'_>,
    org: &organization::Model,
    selection: &Lookahead<'_>,
    fields: &[&str],
) -> GqlResult<()> {
    if fields.iter().any(|f| selection.field(f).exists()) {
        let units = loader::<UnitsByOrganization>(ctx)?
            .load_one(org.id)
            .await?
            .unwrap_or_default();
        loader::<UnitById>(ctx)?
            .feed_many(units.into_iter().map(|u| (u.id, u)))
            .await;
    }
    Ok(())
}

/// Loads, for a whole page of organizations at once, what `node` (the selection below
/// each organization of the page) will ask per organization: their units, each
/// `kpiSeries` selected (as many as there are aliases), the snapshot behind
/// `collaborationModel`, `insights` and `chart`, `maturity`, `priorities`,
/// `stakeholders`, `relationships` and `kpis`. The keys of a page are then asked in one
/// pass, so each relation runs its statements once for the page, however long it is
/// and however the executor polls the list; the fields find the loads done. A field
/// whose arguments do not parse is left to itself, and reports the error.
pub async fn organization_page(
    ctx: &Context<'_>,
    organizations: &[organization::Model],
    node: &Lookahead<'_>,
) -> GqlResult<()> {
    let ids: Vec<Uuid> = organizations.iter().map(|o| o.id).collect();
    if node.field("units").exists() {
        loader::<UnitsByOrganization>(ctx)?
            .load_many(ids.clone())
            .await?;
    }
    for field in node.field("kpiSeries").selection_fields() {
        if let Some(request) = series_request_of(&field) {
            page::<SeriesOf>(ctx, &ids, request).await?;
        }
    }
    for name in ["collaborationModel", "insights", "chart"] {
        for field in node.field(name).selection_fields() {
            if let Some(as_of) = as_of_of(&field) {
                page::<SnapshotAsOf>(ctx, &ids, as_of).await?;
            }
        }
    }
    for field in node.field("maturity").selection_fields() {
        if let Some(as_of) = as_of_of(&field) {
            page::<StageHistoryAsOf>(ctx, &ids, as_of).await?;
            page::<CoreKpisAsOf>(ctx, &ids, as_of).await?;
        }
    }
    for field in node.field("kpis").selection_fields() {
        if let Some(stage) = arguments(&field).and_then(|a| argument(&a, "stage")) {
            page::<DefinitionsOf>(ctx, &ids, stage).await?;
        }
    }
    if node.field("priorities").exists() {
        page::<AssessmentsOf>(ctx, &ids, ()).await?;
    }
    if node.field("stakeholders").exists() {
        page::<StakeholdersOf>(ctx, &ids, ()).await?;
    }
    if node.field("relationships").exists() {
        page::<RelationshipsOf>(ctx, &ids, ()).await?;
    }
    Ok(())
}

/// Loads batch `B` with `param` for every organization of the page.
async fn page<B: OrganizationBatch>(
    ctx: &Context<'_>,
    organizations: &[Uuid],
    param: B::Param,
) -> GqlResult<()> {
    loader::<PerOrganization<B>>(ctx)?
        .load_many(organizations.iter().map(|id| (*id, param.clone())))
        .await?;
    Ok(())
}

/// A field's arguments by name, variables resolved; `None` when they cannot be.
fn arguments(field: &SelectionField<'_>) -> Option<HashMap<String, Value>> {
    Some(
        field
            .arguments()
            .ok()?
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect(),
    )
}

/// One argument, coerced as the field's own would be (absent: `T`'s null).
fn argument<T: InputType>(arguments: &HashMap<String, Value>, name: &str) -> Option<T> {
    T::parse(arguments.get(name).cloned()).ok()
}

/// The date an `asOf` argument asks for (today when absent).
fn as_of_of(field: &SelectionField<'_>) -> Option<NaiveDate> {
    let as_of = argument::<Option<Date>>(&arguments(field)?, "asOf")?;
    Date::as_of(as_of.as_ref()).ok()
}

/// The series a `kpiSeries` selection asks for; `None` when its arguments do not
/// parse.
fn series_request_of(field: &SelectionField<'_>) -> Option<SeriesRequest> {
    let arguments = arguments(field)?;
    let kpi: String = argument(&arguments, "kpi")?;
    let from: Date = argument(&arguments, "from")?;
    let to: Date = argument(&arguments, "to")?;
    crate::kpis::series_request(
        &kpi,
        argument(&arguments, "granularity")?,
        (&from, &to),
        argument(&arguments, "unitId")?,
        argument(&arguments, "dimensions")?,
    )
    .ok()
}
