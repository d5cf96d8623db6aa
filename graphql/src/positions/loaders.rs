//! Positions read by unit and by organization, for the request's loaders.

use std::collections::HashMap;

use entity::position;
use orgdesign_domain::{error::Result, positions::service, query::group};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::batch::Read;

/// Positions of each unit, by title (archived included; callers filter):
/// [`service::of_units`].
pub struct PositionsByUnit;

impl Read for PositionsByUnit {
    type Key = Uuid;
    type Value = Vec<position::Model>;

    async fn read(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        Ok(group(service::of_units(db, ids).await?, |row| row.unit_id))
    }
}

/// Positions of each organization, by title: [`service::of_organizations`].
pub struct PositionsByOrganization;

impl Read for PositionsByOrganization {
    type Key = Uuid;
    type Value = Vec<position::Model>;

    async fn read(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        let rows = service::of_organizations(db, ids).await?;
        Ok(group(rows, |row| row.organization_id))
    }
}
