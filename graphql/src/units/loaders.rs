//! Units with their histories, read by id and by organization, for the request's
//! loaders: one read serves every day a request asks about. Each history is shared
//! (`Arc`): the loaders hand the same one to every field that asks, and an
//! organization's list feeds the by-id loader without copying a unit.

use std::{collections::HashMap, sync::Arc};

use entity::org_unit;
use orgdesign_domain::{
    dated::History,
    error::Result,
    query::{group, index},
    units::service,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::batch::Read;

/// Units by id, each with its history: [`service::by_ids`].
pub struct UnitById;

impl Read for UnitById {
    type Key = Uuid;
    type Value = Arc<History<org_unit::Model>>;

    async fn read(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        let rows = service::by_ids(db, ids).await?.into_iter().map(Arc::new);
        Ok(index(rows, |h| h.row.id))
    }
}

/// Every unit each organization ever had, with its history (callers pick a day):
/// [`service::of_organizations`].
pub struct UnitsByOrganization;

impl Read for UnitsByOrganization {
    type Key = Uuid;
    type Value = Vec<Arc<History<org_unit::Model>>>;

    async fn read(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        let rows = service::of_organizations(db, ids)
            .await?
            .into_iter()
            .map(Arc::new);
        Ok(group(rows, |h| h.row.organization_id))
    }
}
