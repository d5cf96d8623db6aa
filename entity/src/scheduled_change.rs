//! A structure change dated in the future: announced once, on its day.

use sea_orm::entity::prelude::*;

/// A structure change written now that takes effect on `effective_on`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scheduled_change")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// The day the change takes effect.
    pub effective_on: Date,
    /// The audit operation, e.g. `updateUnit`.
    pub operation: String,
    /// The objects it changed (a JSON array of ids).
    pub object_ids: Json,
    pub created_at: DateTimeUtc,
    /// When a replica announced it; `None` until its day comes.
    pub announced_at: Option<DateTimeUtc>,
}

plain_entity!();
