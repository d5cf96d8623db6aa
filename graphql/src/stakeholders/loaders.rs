//! Stakeholders and relationships batched across the organizations of a list.

use std::collections::HashMap;

use entity::{relationship, stakeholder};
use orgdesign_domain::{error::Result, stakeholders::service};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::batch::OrganizationBatch;

/// The stakeholders of each organization, by name: [`service::stakeholders`].
pub struct StakeholdersOf;

impl OrganizationBatch for StakeholdersOf {
    type Param = ();
    type Value = Vec<stakeholder::Model>;

    async fn load(
        db: &DatabaseConnection,
        organizations: &[Uuid],
        _: &(),
    ) -> Result<HashMap<Uuid, Self::Value>> {
        service::stakeholders(db, organizations).await
    }
}

/// The relationships of each organization, oldest first: [`service::relationships`].
pub struct RelationshipsOf;

impl OrganizationBatch for RelationshipsOf {
    type Param = ();
    type Value = Vec<relationship::Model>;

    async fn load(
        db: &DatabaseConnection,
        organizations: &[Uuid],
        _: &(),
    ) -> Result<HashMap<Uuid, Self::Value>> {
        service::relationships(db, organizations).await
    }
}
