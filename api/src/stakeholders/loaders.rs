//! Stakeholders and relationships batched across the organizations of a list.

use entity::{relationship, stakeholder};

use crate::graphql::loader::organization_batch;

organization_batch! {
    /// The stakeholders of each organization, by name.
    StakeholdersOf(_all: ()) -> Vec<stakeholder::Model> =
        |db, organizations| super::service::stakeholders(db, organizations).await
}

organization_batch! {
    /// The relationships of each organization, oldest first.
    RelationshipsOf(_all: ()) -> Vec<relationship::Model> =
        |db, organizations| super::service::relationships(db, organizations).await
}
