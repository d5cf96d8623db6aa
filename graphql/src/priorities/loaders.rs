//! Leadership-priority assessments batched across the organizations of a list.

use std::collections::HashMap;

use entity::priority_assessment;
use orgdesign_domain::{error::Result, priorities::service};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::batch::OrganizationBatch;

/// Every assessment of each organization, newest first: [`service::assessments`].
pub struct AssessmentsOf;

impl OrganizationBatch for AssessmentsOf {
    type Param = ();
    type Value = Vec<priority_assessment::Model>;

    async fn load(
        db: &DatabaseConnection,
        organizations: &[Uuid],
        _: &(),
    ) -> Result<HashMap<Uuid, Self::Value>> {
        service::assessments(db, organizations).await
    }
}
