//! A position's attributes from a day on: one row per day they changed.

use sea_orm::entity::prelude::*;

/// A position's title, role, holder and responsibilities from `effective_from` until
/// the next version's day (or for good).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "position_version")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub position_id: Uuid,
    pub effective_from: Date,
    pub title: String,
    pub role: String,
    pub holder_name: Option<String>,
    pub responsibilities: Json,
    pub created_at: DateTimeUtc,
}

plain_entity!();
