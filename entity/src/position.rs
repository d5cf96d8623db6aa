//! A leadership role heading a unit. Holds no personal data beyond a display name.

use sea_orm::entity::prelude::*;

/// A leadership role heading a unit. Holds no personal data beyond a display name.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "position")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub unit_id: Uuid,
    pub title: String,
    /// CEO, CMO, CCO, ... (the API's `PositionRole`).
    pub role: String,
    /// Display name only.
    pub holder_name: Option<String>,
    /// JSON array of responsibility keys (BRAND, DEMAND, REVENUE, ...).
    pub responsibilities: Json,
    pub archived: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version: +1 on every update.
    pub version: i32,
}

plain_entity!();
