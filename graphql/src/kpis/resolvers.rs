//! KPI queries and mutations.

use std::collections::BTreeMap;

use async_graphql::{Context, ID, Object};
use orgdesign_domain::{
    DateRange, Description, KpiKey, Line, Name,
    error::{Error, Result},
    kpis::{
        self as ingest, ParsedPoint,
        series::{self, SeriesSpec},
        service::{self, NewDefinition, NewTarget},
    },
    parse_id, to_scaled,
};
use uuid::Uuid;

use super::{
    loaders::{SeriesOf, SeriesRequest},
    types::*,
};
use crate::{
    batch::OrganizationBatch,
    catalog::KpiDefinition,
    context::{db, limits, loaders, request, store, writer_of},
    enums::{Granularity, StageKey},
    error::{AtInput, GqlResult},
    scalars::Date,
};

fn dimensions(field: &str, list: Option<Vec<DimensionInput>>) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (i, d) in list.unwrap_or_default().into_iter().enumerate() {
        let name = Line::<40>::parse(&format!("{field}[{i}].name"), &d.name)?.into_inner();
        let value = Line::<100>::parse(&format!("{field}[{i}].value"), &d.value)?.into_inner();
        out.insert(name, value);
    }
    Ok(out)
}

/// The KPIs `organization` can use, through the request's batch (see
/// [`service::definitions`]).
pub(crate) async fn definitions(
    ctx: &Context<'_>,
    organization: Uuid,
    stage: Option<StageKey>,
) -> GqlResult<Vec<KpiDefinition>> {
    Ok(loaders(ctx)?
        .definitions
        .load_or_default((organization, stage))
        .await?)
}

/// What a `kpiSeries` field asks for, checked: the key is a KPI key, the range runs
/// forwards within storable dates, the unit is an id, the dimensions are well formed.
pub(crate) fn series_request(
    kpi: &str,
    granularity: Granularity,
    (from, to): (&Date, &Date),
    unit_id: Option<ID>,
    dimensions: Option<Vec<DimensionInput>>,
) -> Result<SeriesRequest> {
    let kpi = KpiKey::parse("kpi", kpi)?;
    let DateRange { from, to } = date_range(from, to)?;
    Ok(SeriesRequest {
        kpi,
        spec: SeriesSpec {
            granularity: granularity.into(),
            from,
            to,
            unit_id: unit_id.map(|u| parse_id("unitId", &u)).transpose()?,
            dimensions: self::dimensions("dimensions", dimensions)?,
        },
    })
}

/// The `[from, to)` of a KPI query: both exactly `YYYY-MM-DD`, storable, and running
/// forwards (errors on `from` or `to`).
pub(crate) fn date_range(from: &Date, to: &Date) -> Result<DateRange> {
    DateRange::parse(from.parse("from")?, to.parse("to")?)
}

/// One KPI series of `organization` (see `kpiSeries`), through the request's
/// [`SeriesOf`] batch: the series of every organization of a list that asks for the
/// same one roll up together.
pub(crate) async fn series_of(
    ctx: &Context<'_>,
    organization: Uuid,
    request: SeriesRequest,
) -> GqlResult<Vec<KpiSeriesPoint>> {
    let points = loaders(ctx)?
        .series
        .load_one((organization, request))
        .await?
        .ok_or_else(|| Error::not_found_at("KPI", "kpi"))?;
    Ok(points.into_iter().map(KpiSeriesPoint).collect())
}

/// KPI queries. Every role may read the KPI data of the organizations it reaches,
/// integrations included.
#[derive(Default)]
pub struct KpiQuery;

#[Object]
impl KpiQuery {
    /// The KPIs an organization can use: the built-in catalog and its own, by stage.
    /// Every role, in its organizations.
    async fn kpis(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization.")] organization_id: ID,
        #[graphql(desc = "Only the KPIs of this stage; null for all.")] stage: Option<StageKey>,
    ) -> GqlResult<Vec<KpiDefinition>> {
        let organization = request(ctx)?.kpi_reader_of("organizationId", &organization_id)?;
        definitions(ctx, organization, stage).await
    }

    /// One KPI series rolled up to `granularity` over `[from, to)`: the whole
    /// organization (or one unit), the points without dimensions (or with exactly the
    /// given ones), all sources together.
    #[allow(clippy::too_many_arguments)]
    async fn kpi_series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization.")] organization_id: ID,
        #[graphql(desc = "The KPI's key, e.g. `mqls`.")] kpi: String,
        #[graphql(desc = "The period length to roll up to.")] granularity: Granularity,
        #[graphql(desc = "The first day of the range, `YYYY-MM-DD` (included).")] from: Date,
        #[graphql(desc = "The day after the range, `YYYY-MM-DD` (excluded).")] to: Date,
        #[graphql(desc = "One unit's points; null for those of the whole organization.")]
        unit_id: Option<ID>,
        #[graphql(
            desc = "Only points with exactly these dimensions; null for points without any."
        )]
        dimensions: Option<Vec<DimensionInput>>,
    ) -> GqlResult<Vec<KpiSeriesPoint>> {
        let organization = request(ctx)?.kpi_reader_of("organizationId", &organization_id)?;
        let request = series_request(&kpi, granularity, (&from, &to), unit_id, dimensions)?;
        // One organization at the root: read it at once, without a loader (a list's
        // `Organization.kpiSeries` batches through `series_of`).
        let mut read =
            <SeriesOf as OrganizationBatch>::load(db(ctx)?, &[organization], &request).await?;
        let points = read
            .remove(&organization)
            .ok_or_else(|| Error::not_found_at("KPI", "kpi"))?;
        Ok(points.into_iter().map(KpiSeriesPoint).collect())
    }

    /// The demand waterfall (inquiries → MQLs → SALs → SQLs → SQOs → won deals) over
    /// `[from, to)`, with the conversion rate between each pair of steps.
    async fn funnel(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization.")] organization_id: ID,
        #[graphql(desc = "The first day of the range, `YYYY-MM-DD` (included).")] from: Date,
        #[graphql(desc = "The day after the range, `YYYY-MM-DD` (excluded).")] to: Date,
    ) -> GqlResult<Vec<KpiFunnelStep>> {
        let organization = request(ctx)?.kpi_reader_of("organizationId", &organization_id)?;
        let DateRange { from, to } = date_range(&from, &to)?;
        let steps = series::funnel(db(ctx)?, organization, from, to).await?;
        Ok(steps.into_iter().map(KpiFunnelStep).collect())
    }

    /// One stored point, named by its natural key, with every value it has had (each
    /// correction keeps the value it replaced, who recorded it and when); `null` when
    /// no such point is stored.
    #[allow(clippy::too_many_arguments)]
    async fn kpi_point(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization.")] organization_id: ID,
        #[graphql(desc = "The KPI's key.")] kpi: String,
        #[graphql(desc = "The length of the point's period.")] granularity: Granularity,
        #[graphql(desc = "The first day of its period, `YYYY-MM-DD`.")] period_start: Date,
        #[graphql(desc = "The integration that pushed it, e.g. `crm`.")] source: String,
        #[graphql(desc = "Its unit; null for a point of the whole organization.")] unit_id: Option<
            ID,
        >,
        #[graphql(desc = "Its dimensions, exactly; null for none.")] dimensions: Option<
            Vec<DimensionInput>,
        >,
    ) -> GqlResult<Option<KpiPoint>> {
        let organization = request(ctx)?.kpi_reader_of("organizationId", &organization_id)?;
        let key = series::PointKey {
            kpi: KpiKey::parse("kpi", &kpi)?,
            granularity: granularity.into(),
            period_start: period_start.parse("periodStart")?,
            source: Line::<100>::parse("source", &source)?.into_inner(),
            unit_id: unit_id.map(|u| parse_id("unitId", &u)).transpose()?,
            dimensions: self::dimensions("dimensions", dimensions)?,
        };
        Ok(series::point_history(db(ctx)?, organization, &key)
            .await?
            .map(KpiPoint))
    }

    /// When each source last pushed each KPI: silent integrations show up here.
    async fn kpi_sources(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization.")] organization_id: ID,
    ) -> GqlResult<Vec<KpiSource>> {
        let organization = request(ctx)?.kpi_reader_of("organizationId", &organization_id)?;
        Ok(series::sources(db(ctx)?, organization)
            .await?
            .into_iter()
            .map(KpiSource)
            .collect())
    }
}

/// KPI mutations.
#[derive(Default)]
pub struct KpiMutation;

#[Object]
impl KpiMutation {
    /// Records KPI points in one transaction: all of them or none. Pushing a point
    /// again changes nothing; a new value for it is a correction. Integrations,
    /// editors and admins; at most `max_points_per_push` points (5,000 unless
    /// configured), else `LIMIT_EXCEEDED`.
    async fn record_kpi_measurements(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization the points belong to.")] organization_id: ID,
        #[graphql(desc = "The points; a point that breaks a rule fails the push on `points[n]`.")]
        points: Vec<KpiPointInput>,
    ) -> GqlResult<RecordKpiMeasurementsPayload> {
        let pusher = request(ctx)?.kpi_pusher()?;
        let organization = parse_id("organizationId", &organization_id)?;
        pusher.reach(organization, "organization", "organizationId")?;
        let max = limits(ctx)?.max_points_per_push;
        if points.len() > max {
            return Err(Error::LimitExceeded(format!(
                "a push carries at most {max} points; split it into several"
            ))
            .into());
        }
        let mut parsed = Vec::with_capacity(points.len());
        for (index, point) in points.into_iter().enumerate() {
            let at = |field: &str| format!("points[{index}].{field}");
            let unit = point
                .unit_id
                .map(|u| parse_id(&at("unitId"), &u))
                .transpose()?;
            let value = to_scaled(&at("value"), point.value.0)?;
            let dims = point
                .dimensions
                .into_iter()
                .map(|d| (d.name, d.value))
                .collect();
            parsed.push(ParsedPoint::parse(
                index,
                "points",
                &point.kpi,
                unit,
                point.granularity.into(),
                point.period_start.parse(&at("periodStart"))?,
                value,
                &point.source,
                dims,
            )?);
        }
        // The push's arguments are `organizationId` and `points`, not an `input`: the
        // service's fields name them as they are.
        let counts = ingest::record(store(ctx)?, pusher, organization, parsed).await?;
        Ok(RecordKpiMeasurementsPayload {
            inserted: counts.inserted,
            corrected: counts.corrected,
            unchanged: counts.unchanged,
        })
    }

    /// Adds an organization's own KPI. Editors and admins.
    async fn create_kpi_definition(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new KPI.")] input: CreateKpiDefinitionInput,
    ) -> GqlResult<KpiDefinition> {
        let (writer, organization_id) =
            writer_of(ctx, "input.organizationId", &input.organization_id)?;
        let new = NewDefinition {
            organization_id,
            key: KpiKey::parse("input.key", &input.key)?,
            name: Name::parse("input.name", &input.name)?,
            description: Description::parse_opt("input.description", Some(&input.description))?,
            stage: input.stage.into(),
            unit: input.unit.into(),
            direction: input.direction.into(),
            rollup: input.rollup.into(),
            core: input.core,
        };
        let row = service::create_definition(store(ctx)?, writer, new)
            .await
            .at_input()?;
        Ok(KpiDefinition(row))
    }

    /// Sets the target of one KPI period (replacing an earlier one). Editors and admins.
    async fn set_kpi_target(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period and its target.")] input: SetKpiTargetInput,
    ) -> GqlResult<KpiTargetObject> {
        let (writer, organization_id) =
            writer_of(ctx, "input.organizationId", &input.organization_id)?;
        let new = NewTarget {
            organization_id,
            unit_id: input
                .unit_id
                .map(|u| parse_id("input.unitId", &u))
                .transpose()?,
            granularity: input.granularity.into(),
            period_start: input.period_start.storable("input.periodStart")?,
            value_scaled: to_scaled("input.value", input.value.0)?,
            kpi: KpiKey::parse("input.kpi", &input.kpi)?,
        };
        let row = service::set_target(store(ctx)?, writer, new)
            .await
            .at_input()?;
        Ok(KpiTargetObject(row))
    }
}
