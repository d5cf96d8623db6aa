//! A target value for a KPI over one period, optionally for one unit.

use sea_orm::entity::prelude::*;

/// A target value for a KPI over one period, optionally for one unit.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kpi_target")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kpi_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub granularity: String,
    pub period_start: Date,
    /// The exact value times 10^6 (see `VALUE_SCALE`): exact on SQLite and PostgreSQL alike.
    pub value_scaled: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version: +1 on every update.
    pub version: i32,
}

plain_entity!();
