//! Loading the snapshot the rules read, once per organization and date in a request.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use chrono::NaiveDate;
use entity::{org_unit, position, reporting_line};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::Snapshot;
use crate::{
    domain::StageKey, error::Result, graphql::loader::DocumentWrites, maturity, priorities,
    stakeholders,
};

/// Loads the snapshot the rules read.
pub async fn snapshot(
    db: &DatabaseConnection,
    organization: Uuid,
    as_of: NaiveDate,
) -> Result<Snapshot> {
    let units = org_unit::Entity::find()
        .filter(org_unit::Column::OrganizationId.eq(organization))
        .all(db)
        .await?;
    let positions = position::Entity::find()
        .filter(position::Column::OrganizationId.eq(organization))
        .all(db)
        .await?;
    let lines = reporting_line::Entity::find()
        .filter(reporting_line::Column::OrganizationId.eq(organization))
        .filter(reporting_line::Column::EffectiveFrom.lte(as_of))
        .filter(
            Condition::any()
                .add(reporting_line::Column::EffectiveTo.is_null())
                .add(reporting_line::Column::EffectiveTo.gt(as_of)),
        )
        .all(db)
        .await?;
    let model = super::model::infer(&units, &positions, &lines);
    let declared_stage = maturity::service::latest_stage(db, organization, as_of)
        .await?
        .map(|a| StageKey::from_db(&a.stage).map(|s| (a.id, s)))
        .transpose()?;
    let core_kpis = maturity::service::core_kpis(db, organization, as_of).await?;
    let end_of_day = as_of
        .and_hms_opt(23, 59, 59)
        .map(|t| t.and_utc())
        .unwrap_or_else(chrono::Utc::now);
    let priorities = priorities::service::assessments(db, organization)
        .await?
        .into_iter()
        .filter(|a| a.assessed_at <= end_of_day)
        .collect();
    let stakeholders_of = stakeholders::service::stakeholders(db, organization).await?;
    let relationships = stakeholders::service::relationships(db, organization).await?;
    Ok(Snapshot {
        units,
        positions,
        lines,
        model,
        as_of,
        declared_stage,
        core_kpis,
        priorities,
        stakeholders: stakeholders_of,
        relationships,
    })
}

/// The snapshots one GraphQL request has loaded, by organization and date:
/// `collaborationModel`, `insights` and `chart` of one organization on one date share
/// a single load (each key is loaded once even when the fields resolve concurrently).
/// In a document with a mutation every snapshot is loaded afresh
/// ([`DocumentWrites`]): its fields run one after another with
/// writes in between.
pub struct SnapshotCache {
    snapshots: Mutex<HashMap<(Uuid, NaiveDate), SnapshotCell>>,
    writes: DocumentWrites,
}

/// One key's snapshot, filled by the first resolver that asks.
type SnapshotCell = Arc<OnceCell<Arc<Snapshot>>>;

impl SnapshotCache {
    /// An empty cache for one request.
    pub fn new(writes: DocumentWrites) -> Self {
        Self {
            snapshots: Mutex::default(),
            writes,
        }
    }

    /// The snapshot of `organization` on `as_of`, loaded on first use.
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        organization: Uuid,
        as_of: NaiveDate,
    ) -> Result<Arc<Snapshot>> {
        if self.writes.set() {
            return snapshot(db, organization, as_of).await.map(Arc::new);
        }
        let cell = {
            let mut map = self
                .snapshots
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            map.entry((organization, as_of)).or_default().clone()
        };
        cell.get_or_try_init(|| async { snapshot(db, organization, as_of).await.map(Arc::new) })
            .await
            .cloned()
    }
}
