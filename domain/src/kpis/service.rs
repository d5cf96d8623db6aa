//! KPI definitions (an organization's own, beside the built-in catalog) and targets.
//! Measurements are recorded by `kpis/ingest.rs` ([`super::record`]).

use std::collections::HashMap;

use entity::{kpi_definition, kpi_target};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use crate::{
    Description, Granularity, KpiDirection, KpiKey, KpiUnit, Name, Rollup, StageKey, StorableDate,
    audit::Operation,
    auth::Writer,
    clock,
    error::{Error, Result},
    store::Store,
    units::service::ensure_of_organization,
    write::{self, Versioned},
};

/// An organization's own KPI, parsed.
#[derive(Debug)]
pub struct NewDefinition {
    pub organization_id: Uuid,
    pub key: KpiKey,
    pub name: Name,
    pub description: Option<Description>,
    pub stage: StageKey,
    pub unit: KpiUnit,
    pub direction: KpiDirection,
    pub rollup: Rollup,
    /// Whether it counts as evidence of its stage.
    pub core: bool,
}

/// A target for one KPI period, parsed.
#[derive(Debug)]
pub struct NewTarget {
    pub organization_id: Uuid,
    /// The KPI's key, built-in or the organization's own.
    pub kpi: KpiKey,
    /// One of the organization's units, or the whole organization.
    pub unit_id: Option<Uuid>,
    pub granularity: Granularity,
    /// The first day of a period of `granularity`.
    pub period_start: StorableDate,
    pub value_scaled: i64,
}

/// Adds an organization's own KPI; its key may clash neither with the built-in
/// catalog nor with the organization's other KPIs. Editors and admins.
pub async fn create_definition(
    store: &Store,
    writer: Writer<'_>,
    new: NewDefinition,
) -> Result<kpi_definition::Model> {
    let write = write::begin_in(store, writer, new.organization_id).await?;
    let (tx, org) = (&write.tx, &write.organization);
    let clash = kpi_definition::Entity::find()
        .filter(kpi_definition::Column::Key.eq(new.key.as_str()))
        .filter(
            Condition::any()
                .add(kpi_definition::Column::OrganizationId.is_null())
                .add(kpi_definition::Column::OrganizationId.eq(org.id)),
        )
        .one(tx)
        .await?;
    if clash.is_some() {
        return Err(Error::conflict(
            "key",
            "a KPI with this key already exists (built-in or the organization's own)",
        ));
    }
    let now = clock::now();
    let row = kpi_definition::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(Some(org.id)),
        key: Set(new.key.into_inner()),
        name: Set(new.name.into_inner()),
        description: Set(new
            .description
            .map(Description::into_inner)
            .unwrap_or_default()),
        stage: Set(new.stage.as_str().to_owned()),
        unit: Set(new.unit.as_str().to_owned()),
        direction: Set(new.direction.as_str().to_owned()),
        rollup: Set(new.rollup.as_str().to_owned()),
        core: Set(new.core),
        archived: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(tx)
    .await?;
    write
        .commit(Operation::CreateKpiDefinition, vec![row.id])
        .await?;
    Ok(row)
}

/// Sets the target of one KPI period, replacing an earlier one. Editors and admins.
pub async fn set_target(
    store: &Store,
    writer: Writer<'_>,
    new: NewTarget,
) -> Result<kpi_target::Model> {
    if !new.granularity.starts_period(new.period_start.get()) {
        return Err(Error::bad_input(
            "periodStart",
            "does not start a period of the granularity",
        ));
    }
    let write = write::begin_in(store, writer, new.organization_id).await?;
    let (tx, org) = (&write.tx, &write.organization);
    let definition = super::series::definition(tx, org.id, &new.kpi)
        .await
        .map_err(|e| e.on_field("kpi"))?;
    if let Some(unit) = new.unit_id {
        ensure_of_organization(tx, org.id, unit, "unitId").await?;
    }
    let period_start = new.period_start.get();
    let existing = kpi_target::Entity::find()
        .filter(kpi_target::Column::OrganizationId.eq(org.id))
        .filter(kpi_target::Column::KpiId.eq(definition.id))
        .filter(kpi_target::Column::Granularity.eq(new.granularity.as_str()))
        .filter(kpi_target::Column::PeriodStart.eq(period_start))
        .filter(match new.unit_id {
            Some(u) => kpi_target::Column::UnitId.eq(u),
            None => kpi_target::Column::UnitId.is_null(),
        });
    let now = clock::now();
    let row = match existing.one(tx).await? {
        Some(current) => {
            let mut row = current.next_version(now);
            row.value_scaled = Set(new.value_scaled);
            row.update(tx).await?
        }
        None => {
            kpi_target::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(org.id),
                kpi_id: Set(definition.id),
                unit_id: Set(new.unit_id),
                granularity: Set(new.granularity.as_str().to_owned()),
                period_start: Set(period_start),
                value_scaled: Set(new.value_scaled),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
            }
            .insert(tx)
            .await?
        }
    };
    write.commit(Operation::SetKpiTarget, vec![row.id]).await?;
    Ok(row)
}

/// The KPIs each of `organizations` can use (the built-in catalog and its own, not
/// archived), of one stage or all, stages in their order then by key: one statement.
pub async fn definitions(
    db: &DatabaseConnection,
    organizations: &[Uuid],
    stage: Option<StageKey>,
) -> Result<HashMap<Uuid, Vec<kpi_definition::Model>>> {
    let mut query = kpi_definition::Entity::find()
        .filter(
            Condition::any()
                .add(kpi_definition::Column::OrganizationId.is_null())
                .add(kpi_definition::Column::OrganizationId.is_in(organizations.iter().copied())),
        )
        .filter(kpi_definition::Column::Archived.eq(false));
    if let Some(stage) = stage {
        query = query.filter(kpi_definition::Column::Stage.eq(stage.as_str()));
    }
    let mut rows = query
        .order_by_asc(kpi_definition::Column::Key)
        .all(db)
        .await?;
    // Stages in their order (traditional first), not alphabetically.
    rows.sort_by_key(|k| {
        StageKey::from_db(&k.stage)
            .map(|s| s as u8)
            .unwrap_or(u8::MAX)
    });
    Ok(organizations
        .iter()
        .map(|org| {
            let usable = rows
                .iter()
                .filter(|k| k.organization_id.is_none_or(|own| own == *org))
                .cloned()
                .collect();
            (*org, usable)
        })
        .collect())
}
