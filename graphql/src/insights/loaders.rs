//! The snapshots of a request, batched across the organizations of a list.

use std::{collections::HashMap, sync::Arc};

use chrono::NaiveDate;
use orgdesign_domain::{
    error::Result,
    insights::{Snapshot, snapshots},
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::batch::OrganizationBatch;

/// The snapshots of the organizations of one request, by date: `collaborationModel`,
/// `insights` and `chart` of one organization on one date share a single load, and the
/// organizations of a list load together ([`snapshots`]). In a document with a
/// mutation every snapshot is read afresh (see `crate::batch::Memo`).
pub struct SnapshotAsOf;

impl OrganizationBatch for SnapshotAsOf {
    type Param = NaiveDate;
    type Value = Arc<Snapshot>;

    async fn load(
        db: &DatabaseConnection,
        organizations: &[Uuid],
        as_of: &NaiveDate,
    ) -> Result<HashMap<Uuid, Self::Value>> {
        Ok(snapshots(db, organizations, *as_of)
            .await?
            .into_iter()
            .map(|(org, snapshot)| (org, Arc::new(snapshot)))
            .collect())
    }
}
