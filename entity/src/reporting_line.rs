//! A line from a unit to its superior unit, valid over `[effective_from, effective_to)`.

use sea_orm::entity::prelude::*;

/// A line from a unit to its superior unit, valid over `[effective_from, effective_to)`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reporting_line")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub unit_id: Uuid,
    pub superior_unit_id: Uuid,
    /// SOLID or DOTTED.
    pub kind: String,
    pub effective_from: Date,
    /// Exclusive end; `None` while the line is current.
    pub effective_to: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version: +1 on every update.
    pub version: i32,
}

plain_entity!();
