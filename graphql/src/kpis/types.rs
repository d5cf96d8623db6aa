//! KPI GraphQL types and inputs.

use async_graphql::{Description, ID, InputObject, Object, SimpleObject};
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
    /// The dimension's name, e.g. `channel`: one line, up to 40 characters.
    pub name: String,
    /// Its value, e.g. `email`: one line, up to 100 characters.
    pub value: String,
}

/// One KPI data point.
#[derive(InputObject, Debug, Clone)]
pub struct KpiPointInput {
    /// The KPI's key, e.g. `mqls` (built-in) or one of the organization's own.
    pub kpi: String,
    /// The unit the point is about; leave out for the whole organization.
    pub unit_id: Option<ID>,
    /// The length of the period the value covers.
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
#[derive(Description)]
pub struct KpiSeriesPoint(pub SeriesPoint);

#[Object(use_type_description)]
impl KpiSeriesPoint {
    /// The first day of the period, `YYYY-MM-DD`.
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
#[derive(Description)]
pub struct KpiFunnelStep(pub FunnelStep);

#[Object(name = "FunnelStep", use_type_description)]
impl KpiFunnelStep {
    /// The KPI key of the step: inquiries, mqls, sals, sqls, sqos, won_deals.
    async fn kpi(&self) -> &str {
        self.0.kpi
    }

    /// The step's organization-wide total over the range, from its points of the
    /// finest granularity stored (0 when none).
    async fn count(&self) -> Decimal {
        self.0.count.into()
    }

    /// This step's count over the previous step's (0.25 = 25 %); null for the first
    /// step and when the previous count is 0.
    async fn conversion_from_previous(&self) -> Option<Decimal> {
        self.0.conversion_from_previous.map(Decimal)
    }
}

/// When a source last pushed a KPI.
#[derive(Description)]
pub struct KpiSource(pub SourceFreshness);

#[Object(use_type_description)]
impl KpiSource {
    /// The KPI's key.
    async fn kpi(&self) -> &str {
        &self.0.kpi
    }

    /// The source, as its pushes name it (e.g. `crm`).
    async fn source(&self) -> &str {
        &self.0.source
    }

    /// When the source last pushed a point of this KPI.
    async fn last_reported_at(&self) -> Timestamp {
        self.0.last_reported_at.into()
    }

    /// How many points of this KPI from this source are stored.
    async fn points(&self) -> i64 {
        self.0.points
    }
}

/// Input of `createKpiDefinition`: an organization's own KPI.
#[derive(InputObject, Debug)]
pub struct CreateKpiDefinitionInput {
    /// The organization the KPI is for.
    pub organization_id: ID,
    /// Lower-case letters, digits and underscores; not a built-in key.
    pub key: String,
    /// Display name: one line, up to 200 characters.
    pub name: String,
    /// What it measures, up to 2,000 characters (default: none).
    #[graphql(default)]
    pub description: String,
    /// The maturity stage it belongs to.
    pub stage: StageKey,
    /// What its values count.
    pub unit: KpiUnit,
    /// Which way is better.
    pub direction: KpiDirection,
    /// How its periods add up into coarser ones.
    pub rollup: Rollup,
    /// Recent data for it evidences its stage.
    #[graphql(default = false)]
    pub core: bool,
}

/// Input of `setKpiTarget`: sets (or replaces) the target of one period.
#[derive(InputObject, Debug)]
pub struct SetKpiTargetInput {
    /// The organization.
    pub organization_id: ID,
    /// The KPI's key (built-in or the organization's own).
    pub kpi: String,
    /// The unit the target is for; null for the whole organization.
    pub unit_id: Option<ID>,
    /// The length of the period.
    pub granularity: Granularity,
    /// The first day of the period (`YYYY-MM-DD`; a Monday for weeks, the 1st for
    /// months ...).
    pub period_start: Date,
    /// The target value, a decimal string with at most six decimal places.
    pub value: Decimal,
}

/// A target for one KPI period.
#[derive(Description)]
pub struct KpiTargetObject(pub kpi_target::Model);

#[Object(name = "KpiTarget", use_type_description)]
impl KpiTargetObject {
    /// The target's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The unit it is for; null for the whole organization.
    async fn unit_id(&self) -> Option<ID> {
        self.0.unit_id.map(|u| ID(u.to_string()))
    }

    /// The length of the period.
    async fn granularity(&self) -> crate::error::GqlResult<Granularity> {
        Ok(Granularity::from_db(&self.0.granularity)?)
    }

    /// The first day of the period, `YYYY-MM-DD`.
    async fn period_start(&self) -> Date {
        self.0.period_start.into()
    }

    /// The target value, a decimal string.
    async fn value(&self) -> Decimal {
        from_scaled(self.0.value_scaled).into()
    }

    /// 1 when first set, one more each time `setKpiTarget` replaces it.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// One stored KPI point with every value it has had.
#[derive(Description)]
pub struct KpiPoint(pub orgdesign_domain::kpis::series::PointHistory);

#[Object(use_type_description)]
impl KpiPoint {
    /// The point's id.
    async fn id(&self) -> ID {
        ID(self.0.point.id.to_string())
    }

    /// The KPI's key.
    async fn kpi(&self) -> &str {
        &self.0.kpi
    }

    /// The length of its period, as a `Granularity` value (e.g. `MONTH`).
    async fn granularity(&self) -> &str {
        &self.0.point.granularity
    }

    /// The first day of its period, `YYYY-MM-DD`.
    async fn period_start(&self) -> Date {
        self.0.point.period_start.into()
    }

    /// The integration that measured it, e.g. `crm`.
    async fn source(&self) -> &str {
        &self.0.point.source
    }

    /// The unit it is about; null for the whole organization.
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

    /// When the current value was recorded.
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
    /// 1 for the first value, one more per correction.
    pub revision: i32,
    /// The value, a decimal string.
    pub value: Decimal,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it (a token's subject).
    pub recorded_by: Option<String>,
    /// Whether this is the point's value now.
    pub current: bool,
}
