//! Priming per-unit loaders from organization-level reads.
//!
//! When an organization's units are read, the data below them (positions, lines) is
//! loaded here once per organization, with only organization ids as keys, and fed into
//! the per-unit loaders' memos: a nested query then runs one statement per relation
//! level for the whole page however many units it walks, and the per-unit keys (which
//! would otherwise wait for the units' level to resolve) cost no round trip of their
//! own.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{Context, InputType, Lookahead, SelectionField, Value, dataloader::Loader};
use chrono::NaiveDate;
use entity::{org_unit, organization};
use orgdesign_domain::{dated::History, query::group};
use uuid::Uuid;

use super::prefetched as organization_fields;
use crate::{
    batch::{KeyedLoader, Memo, OrganizationBatch, PerOrganization},
    context::loaders,
    error::GqlResult,
    kpis::SeriesRequest,
    scalars::Date,
    units::prefetched as unit_fields,
};

/// Feeds the units of `org`, and whatever `selection` (the selection below a list of
/// units) will read from them, into the per-unit loaders.
pub async fn unit_subtree(
    ctx: &Context<'_>,
    org: &organization::Model,
    units: &[Arc<History<org_unit::Model>>],
    day: NaiveDate,
    selection: &Lookahead<'_>,
) -> GqlResult<()> {
    let loaders = loaders(ctx)?;
    loaders
        .organization_by_id
        .feed_many([(org.id, org.clone())])
        .await;
    loaders
        .unit_by_id
        .feed_many(units.iter().map(|u| (u.row.id, Arc::clone(u))))
        .await;
    let units: Vec<Uuid> = units.iter().map(|u| u.row.id).collect();
    if selection.field(unit_fields::POSITIONS).exists() {
        let positions = &loaders.positions_by_organization;
        feed_by_unit(positions, &loaders.positions_by_unit, org.id, &units, |p| {
            p.row.unit_id
        })
        .await?;
    }
    if unit_fields::STRUCTURE
        .iter()
        .any(|f| selection.field(f).exists())
    {
        loaders.lines_as_of.load_one((org.id, day)).await?;
    }
    if selection.field(unit_fields::LINE_HISTORY).exists() {
        let lines = &loaders.lines_by_organization;
        feed_by_unit(lines, &loaders.line_history_by_unit, org.id, &units, |l| {
            l.unit_id
        })
        .await?;
    }
    Ok(())
}

/// Loads the rows of organization `org` through `whole` and feeds them, split by the
/// unit `unit_of` names, into `per_unit` for each of `units` (an empty list for a unit
/// without any), so a list of units reads them with one statement.
async fn feed_by_unit<Whole, PerUnit, Row>(
    whole: &Memo<Whole>,
    per_unit: &Memo<PerUnit>,
    org: Uuid,
    units: &[Uuid],
    unit_of: impl Fn(&Row) -> Uuid,
) -> GqlResult<()>
where
    Whole: KeyedLoader<Key = Uuid> + Loader<Uuid, Value = Vec<Row>>,
    PerUnit: KeyedLoader<Key = Uuid> + Loader<Uuid, Value = Vec<Row>>,
{
    let mut by_unit = group(whole.load_or_default(org).await?, unit_of);
    per_unit
        .feed_many(
            units
                .iter()
                .map(|u| (*u, by_unit.remove(u).unwrap_or_default())),
        )
        .await;
    Ok(())
}

/// Feeds the units of `org` into `unit_by_id` when the selection below the field
/// `ctx` resolves reads any of `fields` (the unit edges of positions or lines listed at
/// organization level).
pub async fn units_if_selected(
    ctx: &Context<'_>,
    org: &organization::Model,
    fields: &[&str],
) -> GqlResult<()> {
    let selection = ctx.look_ahead();
    if fields.iter().any(|f| selection.field(f).exists()) {
        let loaders = loaders(ctx)?;
        let units = loaders
            .units_by_organization
            .load_or_default(org.id)
            .await?;
        loaders
            .unit_by_id
            .feed_many(units.into_iter().map(|u| (u.row.id, u)))
            .await;
    }
    Ok(())
}

/// Loads, for a whole page of organizations at once, what `node` (the selection below
/// each organization of the page) will ask per organization: the fields of
/// [`organization_fields`] (each `kpiSeries`, `maturity` or `kpis` alias with its own
/// arguments). The keys of a page are then asked in one pass, so each relation runs
/// its statements once for the page, however long it is and however the executor
/// polls the list; the fields find the loads done. A field whose arguments do not
/// parse is left to itself, and reports the error.
pub async fn organization_page(
    ctx: &Context<'_>,
    organizations: &[organization::Model],
    node: &Lookahead<'_>,
) -> GqlResult<()> {
    let ids: Vec<Uuid> = organizations.iter().map(|o| o.id).collect();
    let loaders = loaders(ctx)?;
    if node.field(organization_fields::UNITS).exists() {
        loaders.units_by_organization.load_many(ids.clone()).await?;
    }
    for field in node
        .field(organization_fields::KPI_SERIES)
        .selection_fields()
    {
        if let Some(request) = series_request_of(&field) {
            page(&loaders.series, &ids, request).await?;
        }
    }
    for name in organization_fields::SNAPSHOT {
        for field in node.field(name).selection_fields() {
            if let Some(as_of) = as_of_of(&field) {
                page(&loaders.snapshots, &ids, as_of).await?;
            }
        }
    }
    for field in node.field(organization_fields::MATURITY).selection_fields() {
        if let Some(as_of) = as_of_of(&field) {
            page(&loaders.stage_histories, &ids, as_of).await?;
            page(&loaders.core_kpis, &ids, as_of).await?;
        }
    }
    for field in node.field(organization_fields::KPIS).selection_fields() {
        if let Some(stage) = arguments(&field).and_then(|a| argument(&a, "stage")) {
            page(&loaders.definitions, &ids, stage).await?;
        }
    }
    if node.field(organization_fields::PRIORITIES).exists() {
        page(&loaders.assessments, &ids, ()).await?;
    }
    if node.field(organization_fields::STAKEHOLDERS).exists() {
        page(&loaders.stakeholders, &ids, ()).await?;
    }
    if node.field(organization_fields::RELATIONSHIPS).exists() {
        page(&loaders.relationships, &ids, ()).await?;
    }
    Ok(())
}

/// Loads `batch` with `param` for every organization of the page.
async fn page<B: OrganizationBatch>(
    batch: &Memo<PerOrganization<B>>,
    organizations: &[Uuid],
    param: B::Param,
) -> GqlResult<()> {
    batch
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields of `type_name` in the SDL.
    fn fields_of(sdl: &str, type_name: &str) -> Vec<String> {
        let opening = format!("type {type_name} ");
        let Some(start) = sdl.find(&opening) else {
            return Vec::new();
        };
        sdl[start..]
            .lines()
            .skip(1)
            .take_while(|line| !line.starts_with('}'))
            .filter(|line| line.starts_with('\t') || line.starts_with("  "))
            .map(str::trim)
            .filter(|line| !line.starts_with('"') && !line.starts_with('@'))
            .filter_map(|line| line.split(['(', ':']).next())
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .collect()
    }

    #[test]
    fn every_prefetched_field_name_is_a_field_of_its_type() {
        let sdl = crate::schema::sdl();
        let organization: Vec<&str> = [
            organization_fields::UNITS,
            organization_fields::KPI_SERIES,
            organization_fields::MATURITY,
            organization_fields::KPIS,
            organization_fields::PRIORITIES,
            organization_fields::STAKEHOLDERS,
            organization_fields::RELATIONSHIPS,
        ]
        .into_iter()
        .chain(organization_fields::SNAPSHOT)
        .collect();
        let unit: Vec<&str> = [unit_fields::POSITIONS, unit_fields::LINE_HISTORY]
            .into_iter()
            .chain(unit_fields::STRUCTURE)
            .collect();
        let position = vec![crate::positions::prefetched::UNIT];
        let line = crate::reporting::prefetched::UNITS.to_vec();
        for (type_name, names) in [
            ("Organization", organization),
            ("OrgUnit", unit),
            ("Position", position),
            ("ReportingLine", line),
        ] {
            let fields = fields_of(&sdl, type_name);
            assert!(
                fields.contains(&"id".to_owned()),
                "{type_name} was not read"
            );
            for name in names {
                assert!(
                    fields.iter().any(|f| f == name),
                    "{type_name} has no field {name}: the prefetch would never see it"
                );
            }
        }
    }
}
