//! KPI GraphQL types and inputs.

use async_graphql::{ID, InputObject, Object, SimpleObject};
use entity::kpi_target;
use orgdesign_domain::{
    from_scaled,
    kpis::series::{FunnelStep, SeriesPoint, SourceFreshness},
};

use crate::{
    enums::{Granularity, KpiDirection, KpiUnit, Rollup, StageKey},
    scalars::{Date, Decimal, Timestamp},
};

/// A dimension of a KPI point (e.g. channel = email).
#[derive(InputObject, Debug, Clone)]
pub struct DimensionInput {
    pub name: String,
    pub value: String,
}

/// One KPI data point.
#[derive(InputObject, Debug, Clone)]
pub struct KpiPointInput {
    /// The KPI's key, e.g. `mqls` (built-in) or one of the organization's own.
    pub kpi: String,
    /// The unit the point is about; leave out for the whole organization.
    pub unit_id: Option<ID>,
    pub granularity: Granularity,
    /// The first day of the period (a Monday for weeks, the 1st for months ...).
    pub period_start: Date,
    /// The exact value, as a decimal string: at most six decimal places.
    pub value: Decimal,
    /// The integration that measured it, e.g. `crm`.
    pub source: String,
    /// Up to four dimensions; part of the point's identity.
    #[graphql(default)]
    pub dimensions: Vec<DimensionInput>,
}

/// What `recordKpiMeasurements` changed.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct RecordKpiMeasurementsPayload {
    /// New points.
    pub inserted: u64,
    /// Points whose value changed (the previous value is kept in their history).
    pub corrected: u64,
    /// Points pushed again with the value already stored.
    pub unchanged: u64,
}

/// One period of a KPI series.
pub struct KpiSeriesPoint(pub SeriesPoint);

#[Object]
impl KpiSeriesPoint {
    async fn period_start(&self) -> Date {
        self.0.period_start.into()
    }

    /// The period's value by the KPI's roll-up rule.
    async fn value(&self) -> Decimal {
        self.0.value.into()
    }

    /// How many stored points the value rests on.
    async fn points(&self) -> i64 {
        self.0.points
    }

    /// The target set for this period, if any.
    async fn target(&self) -> Option<Decimal> {
        self.0.target.map(Decimal)
    }
}

/// One step of the demand waterfall.
pub struct KpiFunnelStep(pub FunnelStep);

#[Object(name = "FunnelStep")]
impl KpiFunnelStep {
    /// The KPI key of the step: inquiries, mqls, sals, sqls, sqos, won_deals.
    async fn kpi(&self) -> &str {
        self.0.kpi
    }

    async fn count(&self) -> Decimal {
        self.0.count.into()
    }

    /// This step's count over the previous step's (0.25 = 25 %).
    async fn conversion_from_previous(&self) -> Option<Decimal> {
        self.0.conversion_from_previous.map(Decimal)
    }
}

/// When a source last pushed a KPI.
pub struct KpiSource(pub SourceFreshness);

#[Object]
impl KpiSource {
    async fn kpi(&self) -> &str {
        &self.0.kpi
    }

    async fn source(&self) -> &str {
        &self.0.source
    }

    /// When the source last pushed a point of this KPI.
    async fn last_reported_at(&self) -> Timestamp {
        self.0.last_reported_at.into()
    }

    async fn points(&self) -> i64 {
        self.0.points
    }
}

/// Input of `createKpiDefinition`: an organization's own KPI.
#[derive(InputObject, Debug)]
pub struct CreateKpiDefinitionInput {
    pub organization_id: ID,
    /// Lower-case letters, digits and underscores; not a built-in key.
    pub key: String,
    pub name: String,
    #[graphql(default)]
    pub description: String,
    pub stage: StageKey,
    pub unit: KpiUnit,
    pub direction: KpiDirection,
    pub rollup: Rollup,
    /// Recent data for it evidences its stage.
    #[graphql(default = false)]
    pub core: bool,
}

/// Input of `setKpiTarget`: sets (or replaces) the target of one period.
#[derive(InputObject, Debug)]
pub struct SetKpiTargetInput {
    pub organization_id: ID,
    pub kpi: String,
    pub unit_id: Option<ID>,
    pub granularity: Granularity,
    pub period_start: Date,
    pub value: Decimal,
}

/// A target for one KPI period.
pub struct KpiTargetObject(pub kpi_target::Model);

#[Object(name = "KpiTarget")]
impl KpiTargetObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn unit_id(&self) -> Option<ID> {
        self.0.unit_id.map(|u| ID(u.to_string()))
    }

    async fn granularity(&self) -> crate::error::GqlResult<Granularity> {
        Ok(Granularity::from_db(&self.0.granularity)?)
    }

    async fn period_start(&self) -> Date {
        self.0.period_start.into()
    }

    async fn value(&self) -> Decimal {
        from_scaled(self.0.value_scaled).into()
    }

    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// One stored KPI point with every value it has had.
pub struct KpiPoint(pub orgdesign_domain::kpis::series::PointHistory);

#[Object]
impl KpiPoint {
    async fn id(&self) -> ID {
        ID(self.0.point.id.to_string())
    }

    async fn kpi(&self) -> &str {
        &self.0.kpi
    }

    async fn granularity(&self) -> &str {
        &self.0.point.granularity
    }

    async fn period_start(&self) -> Date {
        self.0.point.period_start.into()
    }

    async fn source(&self) -> &str {
        &self.0.point.source
    }

    async fn unit_id(&self) -> Option<ID> {
        self.0.point.unit_id.map(|u| ID(u.to_string()))
    }

    /// The current value.
    async fn value(&self) -> Decimal {
        from_scaled(self.0.point.value_scaled).into()
    }

    /// 1 when first recorded, one more per correction.
    async fn revision(&self) -> i32 {
        self.0.point.revision
    }

    async fn recorded_at(&self) -> Timestamp {
        self.0.point.recorded_at.into()
    }

    /// Who recorded the current value (a token's subject).
    async fn recorded_by(&self) -> Option<&str> {
        self.0.point.recorded_by.as_deref()
    }

    /// Every value the point has had, oldest first, the current one last.
    async fn history(&self) -> Vec<KpiPointValue> {
        let point = &self.0.point;
        self.0
            .earlier
            .iter()
            .map(|r| KpiPointValue {
                revision: r.revision,
                value: from_scaled(r.value_scaled).into(),
                recorded_at: r.recorded_at.into(),
                recorded_by: r.recorded_by.clone(),
                current: false,
            })
            .chain(std::iter::once(KpiPointValue {
                revision: point.revision,
                value: from_scaled(point.value_scaled).into(),
                recorded_at: point.recorded_at.into(),
                recorded_by: point.recorded_by.clone(),
                current: true,
            }))
            .collect()
    }
}

/// One value a KPI point had.
#[derive(SimpleObject)]
pub struct KpiPointValue {
    pub revision: i32,
    pub value: Decimal,
    pub recorded_at: Timestamp,
    /// Who recorded it (a token's subject).
    pub recorded_by: Option<String>,
    /// Whether this is the point's value now.
    pub current: bool,
}
