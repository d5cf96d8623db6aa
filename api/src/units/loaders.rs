//! Batched unit lookups.

use std::collections::HashMap;

use entity::org_unit;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::graphql::loader::{KeyedLoader, LoadError, group, index};

/// Units by id.
pub struct UnitById(pub DatabaseConnection);

impl KeyedLoader for UnitById {
    type Key = Uuid;
}

impl async_graphql::dataloader::Loader<Uuid> for UnitById {
    type Value = org_unit::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = org_unit::Entity::find()
            .filter(org_unit::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0)
            .await?;
        Ok(index(rows, |row| row.id))
    }
}

/// All units of each organization, by name (archived included; callers filter).
pub struct UnitsByOrganization(pub DatabaseConnection);

impl KeyedLoader for UnitsByOrganization {
    type Key = Uuid;
}

impl async_graphql::dataloader::Loader<Uuid> for UnitsByOrganization {
    type Value = Vec<org_unit::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = org_unit::Entity::find()
            .filter(org_unit::Column::OrganizationId.is_in(keys.iter().copied()))
            .order_by_asc(org_unit::Column::Name)
            .order_by_asc(org_unit::Column::Id)
            .all(&self.0)
            .await?;
        Ok(group(rows, |row| row.organization_id))
    }
}
