//! An internal stakeholder (a unit) or an external group.

use sea_orm::entity::prelude::*;

/// An internal stakeholder (a unit) or an external group.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stakeholder")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    /// INTERNAL or EXTERNAL.
    pub kind: String,
    /// Set for internal stakeholders.
    pub unit_id: Option<Uuid>,
    /// Set for external stakeholders: CUSTOMERS, EMPLOYEES, INVESTORS, BOARD, ...
    #[sea_orm(column_name = "group_name")]
    pub group: Option<String>,
    pub archived: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version: +1 on every update.
    pub version: i32,
}

plain_entity!();
