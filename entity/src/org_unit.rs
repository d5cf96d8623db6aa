//! A department, team, business unit or outside agency.
//!
//! The unit exists over `[effective_from, effective_to)`. Its name, function,
//! sourcing and description here are those of its latest version
//! ([`crate::org_unit_version`]); what held on a given day is read through the
//! domain's dated reader, which overlays the version in effect that day.

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
    /// The first day the unit exists.
    pub effective_from: Date,
    /// The first day it no longer exists (archiving sets it); `None` while it lasts.
    pub effective_to: Option<Date>,
    /// Whether the unit had ended on the day it was read for: never stored, set by
    /// the domain's dated reader (`orgdesign_domain::dated`) from `effective_to`.
    #[sea_orm(ignore)]
    pub archived: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version: +1 on every update.
    pub version: i32,
}

plain_entity!();
