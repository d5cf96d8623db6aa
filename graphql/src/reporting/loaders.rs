//! Reporting lines read for the request's loaders: in effect on a date, and whole
//! histories by unit and by organization.

use std::{collections::HashMap, sync::Arc};

use chrono::NaiveDate;
use entity::reporting_line;
use orgdesign_domain::{error::Result, query::group, reporting::service};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::batch::Read;

/// The lines of each organization in effect on a date ([`service::in_effect`]): one
/// statement per distinct date, however many organizations and units a query walks.
pub struct LinesAsOf;

impl Read for LinesAsOf {
    type Key = (Uuid, NaiveDate);
    type Value = Arc<Vec<reporting_line::Model>>;

    async fn read(
        db: &DatabaseConnection,
        keys: &[(Uuid, NaiveDate)],
    ) -> Result<HashMap<(Uuid, NaiveDate), Self::Value>> {
        let mut out = HashMap::with_capacity(keys.len());
        for (date, keys) in group(keys.to_vec(), |(_, date)| *date) {
            let organizations: Vec<Uuid> = keys.iter().map(|(org, _)| *org).collect();
            let lines = service::in_effect(db, &organizations, date).await?;
            let mut lines = group(lines, |row| row.organization_id);
            for org in organizations {
                let of_org = lines.remove(&org).unwrap_or_default();
                out.insert((org, date), Arc::new(of_org));
            }
        }
        Ok(out)
    }
}

/// Every line each unit ever had to a superior, oldest first: [`service::of_units`].
pub struct LineHistoryByUnit;

impl Read for LineHistoryByUnit {
    type Key = Uuid;
    type Value = Vec<reporting_line::Model>;

    async fn read(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        Ok(group(service::of_units(db, ids).await?, |row| row.unit_id))
    }
}

/// Every line of each organization, oldest first ([`service::of_organizations`]):
/// primes [`LineHistoryByUnit`] for a whole organization at once.
pub struct LinesByOrganization;

impl Read for LinesByOrganization {
    type Key = Uuid;
    type Value = Vec<reporting_line::Model>;

    async fn read(db: &DatabaseConnection, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        let rows = service::of_organizations(db, ids).await?;
        Ok(group(rows, |row| row.organization_id))
    }
}
