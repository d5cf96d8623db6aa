//! A scored assessment of one leadership priority; rows are appended, so history is kept.

use sea_orm::entity::prelude::*;

/// A scored assessment of one leadership priority; rows are appended, so history is kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "priority_assessment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// One of the four leadership priority keys.
    pub priority: String,
    /// 0 to 100.
    pub score: i32,
    pub weight: i32,
    pub owner_unit_id: Option<Uuid>,
    pub notes: Option<String>,
    pub assessed_at: DateTimeUtc,
    pub assessed_by: Option<String>,
    pub created_at: DateTimeUtc,
}

plain_entity!();
