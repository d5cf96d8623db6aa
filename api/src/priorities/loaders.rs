//! Leadership-priority assessments batched across the organizations of a list.

use std::collections::HashMap;

use entity::priority_assessment;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{error::Result, graphql::loader::OrganizationBatch};

/// Every assessment of each organization, newest first.
pub struct AssessmentsOf;

impl OrganizationBatch for AssessmentsOf {
    type Param = ();
    type Value = Vec<priority_assessment::Model>;

    async fn load(
        db: &DatabaseConnection,
        organizations: &[Uuid],
        (): &(),
    ) -> Result<HashMap<Uuid, Self::Value>> {
        super::service::assessments(db, organizations).await
    }
}
