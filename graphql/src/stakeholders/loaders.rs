//! Stakeholders and relationships batched across the organizations of a list.

use entity::{relationship, stakeholder};

use crate::loader::organization_batch;

organization_batch! {
    /// The stakeholders of each organization, by name.
    StakeholdersOf(_all: ()) -> Vec<stakeholder::Model> =
        |db, organizations| orgdesign_domain::stakeholders::service::stakeholders(db, organizations).await
}

organization_batch! {
    /// The relationships of each organization, oldest first.
    RelationshipsOf(_all: ()) -> Vec<relationship::Model> =
        |db, organizations| orgdesign_domain::stakeholders::service::relationships(db, organizations).await
}
