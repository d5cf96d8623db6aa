//! KPI definitions and data read for the request's loaders: the built-in KPIs of a
//! stage, and series and definitions batched across the organizations of a list.

use entity::kpi_definition;
use orgdesign_domain::{
    KpiKey, catalog,
    kpis::{
        series::{self, SeriesPoint, SeriesSpec},
        service,
    },
};

use crate::{batch::loader, catalog::KpiDefinition, enums::StageKey};

/// Which series a field asks for, beside its organization: a KPI key and a spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeriesRequest {
    /// The KPI's key.
    pub kpi: KpiKey,
    pub spec: SeriesSpec,
}

loader! {
    /// `kpiSeries` of many organizations at once: one set of statements
    /// ([`series::definitions_by_key`] and [`series::series_many`]) for every organization
    /// of a request that asks for the same series. An organization without a KPI of that
    /// key gets nothing (the field answers `NOT_FOUND`).
    pub SeriesOf: OrganizationBatch(db, organizations, request: SeriesRequest) -> Vec<SeriesPoint> {
        let definitions = series::definitions_by_key(db, organizations, &request.kpi).await?;
        let pairs: Vec<_> = definitions.into_iter().collect();
        series::series_many(db, &pairs, &request.spec).await
    }
}

loader! {
    /// The KPIs each organization can use, of one stage or all (`kpis(stage)`):
    /// [`service::definitions`].
    pub DefinitionsOf: OrganizationBatch(db, organizations, stage: Option<StageKey>)
        -> Vec<KpiDefinition> {
        let rows = service::definitions(db, organizations, stage.map(Into::into)).await?;
        Ok(rows
            .into_iter()
            .map(|(org, defs)| (org, defs.into_iter().map(KpiDefinition).collect()))
            .collect())
    }
}

loader! {
    /// Built-in KPIs by stage key, core ones first, then by name:
    /// [`catalog::built_in_kpis_by_stage`].
    pub BuiltInKpisByStage: Read(db, stages: String) -> Vec<kpi_definition::Model> {
        Ok(catalog::built_in_kpis_by_stage(db, stages).await?)
    }
}
