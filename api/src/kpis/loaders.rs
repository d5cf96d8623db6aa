//! KPI data batched across the organizations of a list.

use std::collections::HashMap;

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::series::{self, SeriesPoint, SeriesSpec};
use crate::{
    catalog::KpiDefinition, domain::StageKey, error::Result, graphql::loader::OrganizationBatch,
};

/// Which series a field asks for, beside its organization: a KPI key and a spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeriesRequest {
    /// The KPI's key, as the field was given it (trimmed).
    pub kpi: String,
    pub spec: SeriesSpec,
}

/// `kpiSeries` of many organizations at once: one set of statements
/// ([`series::definitions_by_key`] and [`series::series_many`]) for every organization
/// of a request that asks for the same series. An organization without a KPI of that
/// key gets nothing (the field answers `NOT_FOUND`).
pub struct SeriesOf;

impl OrganizationBatch for SeriesOf {
    type Param = SeriesRequest;
    type Value = Vec<SeriesPoint>;

    async fn load(
        db: &DatabaseConnection,
        organizations: &[Uuid],
        request: &SeriesRequest,
    ) -> Result<HashMap<Uuid, Self::Value>> {
        let definitions = series::definitions_by_key(db, organizations, &request.kpi).await?;
        let pairs: Vec<_> = definitions.into_iter().collect();
        series::series_many(db, &pairs, &request.spec).await
    }
}

/// The KPIs each organization can use, of one stage or all (`kpis(stage)`).
pub struct DefinitionsOf;

impl OrganizationBatch for DefinitionsOf {
    type Param = Option<StageKey>;
    type Value = Vec<KpiDefinition>;

    async fn load(
        db: &DatabaseConnection,
        organizations: &[Uuid],
        stage: &Option<StageKey>,
    ) -> Result<HashMap<Uuid, Self::Value>> {
        let rows = super::service::definitions(db, organizations, *stage).await?;
        Ok(rows
            .into_iter()
            .map(|(org, defs)| (org, defs.into_iter().map(KpiDefinition).collect()))
            .collect())
    }
}
