//! Leadership-priority assessments batched across the organizations of a list.

use entity::priority_assessment;

use crate::loader::organization_batch;

organization_batch! {
    /// Every assessment of each organization, newest first.
    AssessmentsOf(_all: ()) -> Vec<priority_assessment::Model> =
        |db, organizations| orgdesign_domain::priorities::service::assessments(db, organizations).await
}
