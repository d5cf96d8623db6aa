//! Organizations read by id, for the request's loaders.

use std::collections::HashMap;

use entity::organization;
use orgdesign_domain::{error::Result, organizations::service, query::index};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::batch::Read;

/// Organizations by id: [`service::by_ids`].
pub struct OrganizationById;

impl Read for OrganizationById {
    type Key = Uuid;
    type Value = organization::Model;

    async fn read(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        Ok(index(service::by_ids(db, ids).await?, |row| row.id))
    }
}
