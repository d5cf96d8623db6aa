//! KPI data batched across the organizations of a list.

use orgdesign_domain::{
    KpiKey,
    kpis::series::{self, SeriesPoint, SeriesSpec},
};

use crate::{catalog::KpiDefinition, enums::StageKey, loader::organization_batch};

/// Which series a field asks for, beside its organization: a KPI key and a spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeriesRequest {
    /// The KPI's key.
    pub kpi: KpiKey,
    pub spec: SeriesSpec,
}

organization_batch! {
    /// `kpiSeries` of many organizations at once: one set of statements
    /// ([`series::definitions_by_key`] and [`series::series_many`]) for every
    /// organization of a request that asks for the same series. An organization without
    /// a KPI of that key gets nothing (the field answers `NOT_FOUND`).
    SeriesOf(request: SeriesRequest) -> Vec<SeriesPoint> = |db, organizations| {
        let definitions = series::definitions_by_key(db, organizations, &request.kpi).await?;
        let pairs: Vec<_> = definitions.into_iter().collect();
        series::series_many(db, &pairs, &request.spec).await
    }
}

organization_batch! {
    /// The KPIs each organization can use, of one stage or all (`kpis(stage)`).
    DefinitionsOf(stage: Option<StageKey>) -> Vec<KpiDefinition> = |db, organizations| {
        let rows = orgdesign_domain::kpis::service::definitions(db, organizations, stage.map(Into::into)).await?;
        Ok(rows
            .into_iter()
            .map(|(org, defs)| (org, defs.into_iter().map(KpiDefinition).collect()))
            .collect())
    }
}
