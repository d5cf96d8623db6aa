//! Units with their histories, read by id and by organization, for the request's
//! loaders: one read serves every day a request asks about.

use std::collections::HashMap;

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
    type Value = History<org_unit::Model>;

    async fn read(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        Ok(index(service::by_ids(db, ids).await?, |h| h.row.id))
    }
}

/// Every unit each organization ever had, with its history (callers pick a day):
/// [`service::of_organizations`].
pub struct UnitsByOrganization;

impl Read for UnitsByOrganization {
    type Key = Uuid;
    type Value = Vec<History<org_unit::Model>>;

    async fn read(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        let rows = service::of_organizations(db, ids).await?;
        Ok(group(rows, |h| h.row.organization_id))
    }
}
