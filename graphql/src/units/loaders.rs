//! Units read by id and by organization, for the request's loaders.

use std::collections::HashMap;

use entity::org_unit;
use orgdesign_domain::{
    error::Result,
    query::{group, index},
    units::service,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::batch::Read;

/// Units by id: [`service::by_ids`].
pub struct UnitById;

impl Read for UnitById {
    type Key = Uuid;
    type Value = org_unit::Model;

    async fn read(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        Ok(index(service::by_ids(db, ids).await?, |row| row.id))
    }
}

/// All units of each organization, by name (archived included; callers filter):
/// [`service::of_organizations`].
pub struct UnitsByOrganization;

impl Read for UnitsByOrganization {
    type Key = Uuid;
    type Value = Vec<org_unit::Model>;

    async fn read(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        let rows = service::of_organizations(db, ids).await?;
        Ok(group(rows, |row| row.organization_id))
    }
}
