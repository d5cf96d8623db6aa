//! The built-in catalogs: maturity stages with their KPIs, and leadership priorities.
//! Loaded by a migration; read-only.

use std::collections::HashMap;

use entity::{kpi_definition, leadership_priority, maturity_stage};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::query::group;

/// The four maturity stages, in order.
pub async fn stages(db: &DatabaseConnection) -> Result<Vec<maturity_stage::Model>, DbErr> {
    maturity_stage::Entity::find()
        .order_by_asc(maturity_stage::Column::Ordinal)
        .all(db)
        .await
}

/// The four leadership priorities, in order.
pub async fn priorities(db: &DatabaseConnection) -> Result<Vec<leadership_priority::Model>, DbErr> {
    leadership_priority::Entity::find()
        .order_by_asc(leadership_priority::Column::Ordinal)
        .all(db)
        .await
}

/// The built-in KPIs of each stage key, core ones first, then by name.
pub async fn built_in_kpis_by_stage(
    db: &DatabaseConnection,
    stages: &[String],
) -> Result<HashMap<String, Vec<kpi_definition::Model>>, DbErr> {
    let rows = kpi_definition::Entity::find()
        .filter(kpi_definition::Column::OrganizationId.is_null())
        .filter(kpi_definition::Column::Stage.is_in(stages.iter().cloned()))
        .order_by_desc(kpi_definition::Column::Core)
        .order_by_asc(kpi_definition::Column::Name)
        .all(db)
        .await?;
    Ok(group(rows, |row| row.stage.clone()))
}
