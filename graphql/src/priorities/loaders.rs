//! Leadership-priority assessments batched across the organizations of a list.

use entity::priority_assessment;
use orgdesign_domain::priorities::service;

use crate::batch::loader;

loader! {
    /// Every assessment of each organization, newest first: [`service::assessments`].
    pub AssessmentsOf: OrganizationBatch(db, organizations, _: ())
        -> Vec<priority_assessment::Model> {
        service::assessments(db, organizations).await
    }
}
