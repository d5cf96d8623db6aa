//! An organization's declared maturity stage at a date; rows are never updated, so history is kept.

use sea_orm::entity::prelude::*;

/// An organization's declared maturity stage at a date; rows are never updated, so history is kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stage_assessment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub stage: String,
    pub assessed_on: Date,
    pub rationale: Option<String>,
    pub assessed_by: Option<String>,
    pub created_at: DateTimeUtc,
}

plain_entity!();
