//! A draft reorganization of one organization: an ordered list of structure changes
//! dated `effective_from`, evaluated in memory and, once promoted, applied.

use sea_orm::entity::prelude::*;

/// A draft reorganization of one organization.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scenario")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// The day the changes would take effect.
    pub effective_from: Date,
    /// DRAFT, PROMOTED or DISCARDED.
    pub status: String,
    /// The subject of the token that created it.
    pub created_by: String,
    /// The organization's `structure_version` the changes were last validated on.
    pub base_structure_version: i32,
    /// When they were (creation or the last rebase).
    pub based_at: DateTimeUtc,
    /// The changes, in order: a JSON array of the API's change objects.
    pub changes: Json,
    /// When it was promoted or discarded.
    pub closed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version: +1 on every update.
    pub version: i32,
}

plain_entity!();
