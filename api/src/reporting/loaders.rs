//! Batched reporting-line lookups.

use std::{collections::HashMap, sync::Arc};

use chrono::NaiveDate;
use entity::reporting_line;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::graphql::loader::{KeyedLoader, LoadError, group};

/// The lines of each organization in effect on a date: one query per distinct date,
/// however many organizations and units a query walks.
pub struct LinesAsOf(pub DatabaseConnection);

impl KeyedLoader for LinesAsOf {
    type Key = (Uuid, NaiveDate);
}

impl async_graphql::dataloader::Loader<(Uuid, NaiveDate)> for LinesAsOf {
    type Value = Arc<Vec<reporting_line::Model>>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, NaiveDate)],
    ) -> Result<HashMap<(Uuid, NaiveDate), Self::Value>, Self::Error> {
        let by_date = group(keys.to_vec(), |(_, date)| *date);
        let mut out = HashMap::with_capacity(keys.len());
        for (date, keys) in by_date {
            let rows = reporting_line::Entity::find()
                .filter(
                    reporting_line::Column::OrganizationId.is_in(keys.iter().map(|(org, _)| *org)),
                )
                .filter(reporting_line::Column::EffectiveFrom.lte(date))
                .filter(
                    Condition::any()
                        .add(reporting_line::Column::EffectiveTo.is_null())
                        .add(reporting_line::Column::EffectiveTo.gt(date)),
                )
                .order_by_asc(reporting_line::Column::EffectiveFrom)
                .order_by_asc(reporting_line::Column::Id)
                .all(&self.0)
                .await?;
            let mut rows = group(rows, |row| row.organization_id);
            for (org, _) in keys {
                out.insert((org, date), Arc::new(rows.remove(&org).unwrap_or_default()));
            }
        }
        Ok(out)
    }
}

/// Every line each unit ever had to a superior, oldest first.
pub struct LineHistoryByUnit(pub DatabaseConnection);

impl KeyedLoader for LineHistoryByUnit {
    type Key = Uuid;
}

impl async_graphql::dataloader::Loader<Uuid> for LineHistoryByUnit {
    type Value = Vec<reporting_line::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = reporting_line::Entity::find()
            .filter(reporting_line::Column::UnitId.is_in(keys.iter().copied()))
            .order_by_asc(reporting_line::Column::EffectiveFrom)
            .order_by_asc(reporting_line::Column::Id)
            .all(&self.0)
            .await?;
        Ok(group(rows, |row| row.unit_id))
    }
}

/// Every line of each organization, oldest first: primes [`LineHistoryByUnit`] for a
/// whole organization at once.
pub struct LinesByOrganization(pub DatabaseConnection);

impl KeyedLoader for LinesByOrganization {
    type Key = Uuid;
}

impl async_graphql::dataloader::Loader<Uuid> for LinesByOrganization {
    type Value = Vec<reporting_line::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = reporting_line::Entity::find()
            .filter(reporting_line::Column::OrganizationId.is_in(keys.iter().copied()))
            .order_by_asc(reporting_line::Column::EffectiveFrom)
            .order_by_asc(reporting_line::Column::Id)
            .all(&self.0)
            .await?;
        Ok(group(rows, |row| row.organization_id))
    }
}
