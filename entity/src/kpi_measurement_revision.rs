//! A superseded value of a measurement, kept when a correction replaces it.

use sea_orm::entity::prelude::*;

/// A superseded value of a measurement, kept when a correction replaces it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kpi_measurement_revision")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub measurement_id: Uuid,
    pub revision: i32,
    pub value_scaled: i64,
    pub recorded_at: DateTimeUtc,
    pub recorded_by: Option<String>,
}

plain_entity!();
