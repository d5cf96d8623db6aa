//! A leadership priority of the built-in catalog.

use sea_orm::entity::prelude::*;

/// A leadership priority of the built-in catalog.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leadership_priority")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub ordinal: i32,
    pub name: String,
    pub description: String,
}

plain_entity!();
