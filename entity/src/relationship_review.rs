//! One review of a relationship; appended, so its history is kept.

use sea_orm::entity::prelude::*;

/// One review of a relationship; appended, so its history is kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "relationship_review")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub relationship_id: Uuid,
    pub trust_score: i32,
    pub strength: String,
    pub notes: Option<String>,
    pub reviewed_at: DateTimeUtc,
    pub reviewed_by: Option<String>,
}

plain_entity!();
