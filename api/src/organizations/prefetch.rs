//! Priming per-unit loaders from organization-level reads.
//!
//! DataLoader batches the keys that arrive within a short delay. A list of many units
//! is resolved in chunks (the executor yields every few dozen items), so per-unit keys
//! can straddle that delay and split into several statements. When an organization's
//! units are read, the data below them (positions, lines) is loaded here once per
//! organization, with only organization ids as keys, and fed into the per-unit
//! loaders' caches: a nested query then runs one statement per relation level for the
//! whole page, however many units it walks.

use async_graphql::{Context, Lookahead};
use entity::{org_unit, organization};

use crate::{
    graphql::{
        error::GqlResult,
        {context::loader, loader::group},
    },
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
