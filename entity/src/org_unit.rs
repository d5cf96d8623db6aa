//! A department, team, business unit or outside agency.

use sea_orm::entity::prelude::*;

/// A department, team, business unit or outside agency.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_unit")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    /// EXECUTIVE, MARKETING, SALES, ... (the API's `UnitFunction`).
    pub function: String,
    /// IN_HOUSE, SUBSIDIARY or OUTSOURCED.
    pub sourcing: String,
    pub description: Option<String>,
    pub archived: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version: +1 on every update.
    pub version: i32,
}

plain_entity!();
