//! KPI series batched across the organizations of a list.

use std::collections::HashMap;

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::series::{self, SeriesPoint, SeriesSpec};
use crate::graphql::loader::{KeyedLoader, LoadError, group};

/// Which series a field asks for, beside its organization: a KPI key and a spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeriesRequest {
    /// The KPI's key, as the field was given it (trimmed).
    pub kpi: String,
    pub spec: SeriesSpec,
}

/// `kpiSeries` of many organizations at once: the keys of one request that ask for the
/// same series of different organizations run one set of statements
/// ([`series::definitions_by_key`] and [`series::series_many`]), however many
/// organizations the list holds. `None` for an organization that has no KPI of that
/// key.
pub struct KpiSeriesBatch(pub DatabaseConnection);

impl KeyedLoader for KpiSeriesBatch {
    type Key = (Uuid, SeriesRequest);
}

impl async_graphql::dataloader::Loader<(Uuid, SeriesRequest)> for KpiSeriesBatch {
    type Value = Option<Vec<SeriesPoint>>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, SeriesRequest)],
    ) -> Result<HashMap<(Uuid, SeriesRequest), Self::Value>, Self::Error> {
        let mut out = HashMap::with_capacity(keys.len());
        let by_request = group(keys.to_vec(), |(_, request)| request.clone());
        for (request, keys) in by_request {
            let organizations: Vec<Uuid> = keys.iter().map(|(org, _)| *org).collect();
            let definitions =
                series::definitions_by_key(&self.0, &organizations, &request.kpi).await?;
            let pairs: Vec<_> = definitions.into_iter().collect();
            let mut points = series::series_many(&self.0, &pairs, &request.spec).await?;
            for org in organizations {
                let found = points.remove(&org);
                out.insert((org, request.clone()), found);
            }
        }
        Ok(out)
    }
}
