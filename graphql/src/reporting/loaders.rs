//! Reporting lines read for the request's loaders: in effect on a date, and whole
//! histories by unit and by organization.

use std::{collections::HashMap, sync::Arc};

use chrono::NaiveDate;
use entity::reporting_line;
use orgdesign_domain::{query::group, reporting::service};
use uuid::Uuid;

use crate::batch::loader;

loader! {
    /// The lines of each organization in effect on a date ([`service::in_effect`]): one
    /// statement per distinct date, however many organizations and units a query walks.
    pub LinesAsOf: Read(db, keys: (Uuid, NaiveDate)) -> Arc<Vec<reporting_line::Model>> {
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

loader! {
    /// Every line each unit ever had to a superior, oldest first: [`service::of_units`].
    pub LineHistoryByUnit: Read(db, ids: Uuid) -> Vec<reporting_line::Model> {
        Ok(group(service::of_units(db, ids).await?, |row| row.unit_id))
    }
}

loader! {
    /// Every line of each organization, oldest first ([`service::of_organizations`]):
    /// primes [`LineHistoryByUnit`] for a whole organization at once.
    pub LinesByOrganization: Read(db, ids: Uuid) -> Vec<reporting_line::Model> {
        let rows = service::of_organizations(db, ids).await?;
        Ok(group(rows, |row| row.organization_id))
    }
}
