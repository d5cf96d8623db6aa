//! A KPI: built-in (`organization_id` null, loaded by a migration) or an organization's own.

use sea_orm::entity::prelude::*;

/// A KPI: built-in (`organization_id` null, loaded by a migration) or an organization's own.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kpi_definition")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `None` for the built-in catalog.
    pub organization_id: Option<Uuid>,
    pub key: String,
    pub name: String,
    pub description: String,
    /// The maturity stage whose accountability this KPI measures.
    pub stage: String,
    /// CURRENCY, COUNT, PERCENT, RATIO or DAYS.
    pub unit: String,
    /// HIGHER_IS_BETTER or LOWER_IS_BETTER.
    pub direction: String,
    /// SUM, AVERAGE or LAST: how periods roll up.
    pub rollup: String,
    /// A core KPI of its stage: evidence of that stage when it has recent data.
    pub core: bool,
    pub archived: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version: +1 on every update.
    pub version: i32,
}

plain_entity!();
