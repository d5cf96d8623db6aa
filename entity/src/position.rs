//! A leadership role heading a unit. Holds no personal data beyond a display name.
//!
//! The position exists over `[effective_from, effective_to)`. Its title, role, holder
//! and responsibilities here are those of its latest version
//! ([`crate::position_version`]); what held on a given day is read through the
//! domain's dated reader, which overlays the version in effect that day.

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
    /// The first day the position exists.
    pub effective_from: Date,
    /// The first day it no longer exists (archiving sets it); `None` while it lasts.
    pub effective_to: Option<Date>,
    /// Whether the position had ended on the day it was read for: never stored, set by
    /// the domain's dated reader (`orgdesign_domain::dated`) from `effective_to`.
    #[sea_orm(ignore)]
    pub archived: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version: +1 on every update.
    pub version: i32,
}

plain_entity!();
