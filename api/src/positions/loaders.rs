//! Batched position lookups.

use std::collections::HashMap;

use entity::position;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::graphql::loader::{KeyedLoader, LoadError, group};

/// Positions of each unit, by title (archived included; callers filter).
pub struct PositionsByUnit(pub DatabaseConnection);

impl KeyedLoader for PositionsByUnit {
    type Key = Uuid;
}

impl async_graphql::dataloader::Loader<Uuid> for PositionsByUnit {
    type Value = Vec<position::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = position::Entity::find()
            .filter(position::Column::UnitId.is_in(keys.iter().copied()))
            .order_by_asc(position::Column::Title)
            .order_by_asc(position::Column::Id)
            .all(&self.0)
            .await?;
        Ok(group(rows, |row| row.unit_id))
    }
}

/// Positions of each organization, by title.
pub struct PositionsByOrganization(pub DatabaseConnection);

impl KeyedLoader for PositionsByOrganization {
    type Key = Uuid;
}

impl async_graphql::dataloader::Loader<Uuid> for PositionsByOrganization {
    type Value = Vec<position::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = position::Entity::find()
            .filter(position::Column::OrganizationId.is_in(keys.iter().copied()))
            .order_by_asc(position::Column::Title)
            .order_by_asc(position::Column::Id)
            .all(&self.0)
            .await?;
        Ok(group(rows, |row| row.organization_id))
    }
}
