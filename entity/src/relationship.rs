//! A relationship an owner unit keeps with a stakeholder.

use sea_orm::entity::prelude::*;

/// A relationship an owner unit keeps with a stakeholder.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "relationship")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub owner_unit_id: Uuid,
    pub stakeholder_id: Uuid,
    /// 0 to 100.
    pub trust_score: i32,
    /// WEAK, MODERATE or STRONG.
    pub strength: String,
    pub last_reviewed_at: Option<DateTimeUtc>,
    pub notes: Option<String>,
    pub archived: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version: +1 on every update.
    pub version: i32,
}

plain_entity!();
