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
use entity::{org_unit, organization};

use crate::{
    graphql::{context::loader, error::GqlResult, loader::group},
    kpis::{KpiSeriesBatch, SeriesRequest},
    organizations::OrganizationById,
    positions::{PositionsByOrganization, PositionsByUnit},
    reporting::{LineHistoryByUnit, LinesAsOf, LinesByOrganization},
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
            .load_one((org.id, crate::clock::today()))
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
/// each organization of the page) will ask per organization: their units, and each
/// `kpiSeries` selected (as many as there are aliases). The keys of a page are then
/// asked in one pass, so each relation runs its statements once for the page, however
/// long it is and however the executor polls the list; the fields themselves find
/// the loads done. A `kpiSeries` whose arguments do not parse is left to its field,
/// which reports the error.
pub async fn organization_page(
    ctx: &Context<'_>,
    organizations: &[organization::Model],
    node: &Lookahead<'_>,
) -> GqlResult<()> {
    let ids = || organizations.iter().map(|o| o.id);
    if node.field("units").exists() {
        loader::<UnitsByOrganization>(ctx)?.load_many(ids()).await?;
    }
    for field in node.field("kpiSeries").selection_fields() {
        let Some(request) = series_request_of(&field) else {
            continue;
        };
        loader::<KpiSeriesBatch>(ctx)?
            .load_many(ids().map(|id| (id, request.clone())))
            .await?;
    }
    Ok(())
}

/// The series a `kpiSeries` selection asks for, its arguments coerced as the field's
/// own would be; `None` when they do not parse.
fn series_request_of(field: &SelectionField<'_>) -> Option<SeriesRequest> {
    let arguments: HashMap<String, Value> = field
        .arguments()
        .ok()?
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect();
    fn arg<T: InputType>(arguments: &HashMap<String, Value>, name: &str) -> Option<T> {
        T::parse(arguments.get(name).cloned()).ok()
    }
    let kpi: String = arg(&arguments, "kpi")?;
    crate::kpis::series_request(
        &kpi,
        arg(&arguments, "granularity")?,
        (arg(&arguments, "from")?, arg(&arguments, "to")?),
        arg(&arguments, "unitId")?,
        arg(&arguments, "dimensions")?,
    )
    .ok()
}
