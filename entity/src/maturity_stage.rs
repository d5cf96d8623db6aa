//! A maturity stage of the built-in catalog (TRADITIONAL, LEAD_GENERATION, OPPORTUNITY, REVENUE).

use sea_orm::entity::prelude::*;

/// A maturity stage of the built-in catalog (TRADITIONAL, LEAD_GENERATION, OPPORTUNITY, REVENUE).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "maturity_stage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// 1 to 4.
    pub ordinal: i32,
    pub name: String,
    pub accountable_for: String,
    pub description: String,
}

plain_entity!();
