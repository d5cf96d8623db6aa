//! One KPI data point, identified by its natural key; a new value for the same key is a correction.

use sea_orm::entity::prelude::*;

/// One KPI data point, identified by its natural key; a new value for the same key is a correction.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kpi_measurement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kpi_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub granularity: String,
    pub period_start: Date,
    /// The integration that pushed the point.
    pub source: String,
    /// Up to four name/value pairs (channel, campaign, region ...).
    pub dimensions: Json,
    /// Unit and dimensions in one canonical, non-null string, so the natural key holds where the unit is absent.
    pub series_key: String,
    /// The exact value times 10^6 (see `VALUE_SCALE`).
    pub value_scaled: i64,
    /// 1 on insert, +1 per correction.
    pub revision: i32,
    pub recorded_at: DateTimeUtc,
    pub recorded_by: Option<String>,
}

plain_entity!();
