//! Positions with their histories, read by unit and by organization, for the
//! request's loaders: one read serves every day a request asks about. Each history is
//! shared (`Arc`), so an organization's positions feed the per-unit loader uncopied.

use std::{collections::HashMap, sync::Arc};

use entity::position;
use orgdesign_domain::{dated::History, error::Result, positions::service, query::group};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::batch::Read;

/// Every position each unit ever had, with its history: [`service::of_units`].
pub struct PositionsByUnit;

impl Read for PositionsByUnit {
    type Key = Uuid;
    type Value = Vec<Arc<History<position::Model>>>;

    async fn read(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        let rows = service::of_units(db, ids).await?.into_iter().map(Arc::new);
        Ok(group(rows, |h| h.row.unit_id))
    }
}

/// Every position each organization ever had, with its history:
/// [`service::of_organizations`].
pub struct PositionsByOrganization;

impl Read for PositionsByOrganization {
    type Key = Uuid;
    type Value = Vec<Arc<History<position::Model>>>;

    async fn read(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        let rows = service::of_organizations(db, ids)
            .await?
            .into_iter()
            .map(Arc::new);
        Ok(group(rows, |h| h.row.organization_id))
    }
}
