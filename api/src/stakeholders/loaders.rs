//! Stakeholders and relationships batched across the organizations of a list.

use std::collections::HashMap;

use entity::{relationship, stakeholder};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{error::Result, graphql::loader::OrganizationBatch};

/// The stakeholders of each organization, by name.
pub struct StakeholdersOf;

impl OrganizationBatch for StakeholdersOf {
    type Param = ();
    type Value = Vec<stakeholder::Model>;

    async fn load(
        db: &DatabaseConnection,
        organizations: &[Uuid],
        (): &(),
    ) -> Result<HashMap<Uuid, Self::Value>> {
        super::service::stakeholders(db, organizations).await
    }
}

/// The relationships of each organization, oldest first.
pub struct RelationshipsOf;

impl OrganizationBatch for RelationshipsOf {
    type Param = ();
    type Value = Vec<relationship::Model>;

    async fn load(
        db: &DatabaseConnection,
        organizations: &[Uuid],
        (): &(),
    ) -> Result<HashMap<Uuid, Self::Value>> {
        super::service::relationships(db, organizations).await
    }
}
