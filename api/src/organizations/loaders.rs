//! Batched organization lookups.

use std::collections::HashMap;

use entity::organization;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::graphql::loader::{KeyedLoader, LoadError, index};

/// Organizations by id.
pub struct OrganizationById(pub DatabaseConnection);

impl KeyedLoader for OrganizationById {
    type Key = Uuid;
}

impl async_graphql::dataloader::Loader<Uuid> for OrganizationById {
    type Value = organization::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = organization::Entity::find()
            .filter(organization::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0)
            .await?;
        Ok(index(rows, |row| row.id))
    }
}
