//! A unit's attributes from a day on: one row per day they changed.

use sea_orm::entity::prelude::*;

/// A unit's name, function, sourcing and description from `effective_from` until the
/// next version's day (or for good).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_unit_version")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub unit_id: Uuid,
    pub effective_from: Date,
    pub name: String,
    pub function: String,
    pub sourcing: String,
    pub description: Option<String>,
    pub created_at: DateTimeUtc,
}

plain_entity!();
