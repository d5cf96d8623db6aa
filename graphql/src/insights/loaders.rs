//! The snapshots of a request, batched across the organizations of a list.

use std::sync::Arc;

use chrono::NaiveDate;
use orgdesign_domain::insights::{Snapshot, snapshots};

use crate::batch::loader;

loader! {
    /// The snapshots of the organizations of one request, by date: `collaborationModel`,
    /// `insights` and `chart` of one organization on one date share a single load, and the
    /// organizations of a list load together ([`snapshots`]). In a document with a
    /// mutation every snapshot is read afresh (see `crate::batch::Memo`).
    pub SnapshotAsOf: OrganizationBatch(db, organizations, as_of: NaiveDate) -> Arc<Snapshot> {
        Ok(snapshots(db, organizations, *as_of)
            .await?
            .into_iter()
            .map(|(org, snapshot)| (org, Arc::new(snapshot)))
            .collect())
    }
}
