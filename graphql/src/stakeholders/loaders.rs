//! Stakeholders and relationships batched across the organizations of a list.

use entity::{relationship, stakeholder};
use orgdesign_domain::stakeholders::service;

use crate::batch::loader;

loader! {
    /// The stakeholders of each organization, by name: [`service::stakeholders`].
    pub StakeholdersOf: OrganizationBatch(db, organizations, _: ()) -> Vec<stakeholder::Model> {
        service::stakeholders(db, organizations).await
    }
}

loader! {
    /// The relationships of each organization, oldest first: [`service::relationships`].
    pub RelationshipsOf: OrganizationBatch(db, organizations, _: ()) -> Vec<relationship::Model> {
        service::relationships(db, organizations).await
    }
}
