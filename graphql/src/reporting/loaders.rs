//! Batched reporting-line lookups.

use std::{collections::HashMap, sync::Arc};

use chrono::NaiveDate;
use entity::reporting_line;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::loader::{KeyedLoader, LoadError, group, rows_by_id};

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

rows_by_id! {
    /// Every line each unit ever had to a superior, oldest first.
    LineHistoryByUnit: reporting_line::UnitId, group by unit_id, ordered by EffectiveFrom, Id
}

rows_by_id! {
    /// Every line of each organization, oldest first: primes [`LineHistoryByUnit`] for
    /// a whole organization at once.
    LinesByOrganization: reporting_line::OrganizationId,
        group by organization_id, ordered by EffectiveFrom, Id
}
