//! KPI queries and mutations.

use std::collections::BTreeMap;

use async_graphql::{Context, ID, Object};
use chrono::NaiveDate;
use entity::{kpi_definition, kpi_target};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::{
    ingest::{self, ParsedPoint},
    series,
    types::*,
};
use crate::{
    audit,
    catalog::KpiDefinition,
    domain::{Granularity, Line, Name, StageKey, parse_id, to_scaled},
    error::{Error, GqlResult, Result},
    graphql::context::{db, limits, request},
    organizations::service::{lock, now},
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

/// The KPIs `organization` can use (the built-in catalog and its own, not archived),
/// of one stage or all, stages in their order then by key.
pub(crate) async fn definitions(
    db: &sea_orm::DatabaseConnection,
    organization: Uuid,
    stage: Option<StageKey>,
) -> GqlResult<Vec<KpiDefinition>> {
    let mut query = kpi_definition::Entity::find()
        .filter(
            Condition::any()
                .add(kpi_definition::Column::OrganizationId.is_null())
                .add(kpi_definition::Column::OrganizationId.eq(organization)),
        )
        .filter(kpi_definition::Column::Archived.eq(false));
    if let Some(stage) = stage {
        query = query.filter(kpi_definition::Column::Stage.eq(stage.as_str()));
    }
    let mut rows = query
        .order_by_asc(kpi_definition::Column::Key)
        .all(db)
        .await?;
    // Stages in their order (traditional first), not alphabetically.
    rows.sort_by_key(|k| {
        StageKey::from_db(&k.stage)
            .map(|s| s as u8)
            .unwrap_or(u8::MAX)
    });
    Ok(rows.into_iter().map(KpiDefinition).collect())
}

/// One KPI series of `organization`, checked and rolled up (see `kpiSeries`).
pub(crate) async fn series_of(
    db: &sea_orm::DatabaseConnection,
    organization: Uuid,
    kpi: &str,
    granularity: Granularity,
    (from, to): (NaiveDate, NaiveDate),
    unit_id: Option<ID>,
    dimensions: Option<Vec<DimensionInput>>,
) -> GqlResult<Vec<KpiSeriesPoint>> {
    let (from, to) = series::check_range(from, to)?;
    let unit = unit_id.map(|u| parse_id("unitId", &u)).transpose()?;
    let dims = self::dimensions("dimensions", dimensions)?;
    let definition = series::definition(db, organization, kpi.trim()).await?;
    let points = series::series(
        db,
        organization,
        &definition,
        granularity,
        from,
        to,
        unit,
        &dims,
    )
    .await?;
    Ok(points.into_iter().map(KpiSeriesPoint).collect())
}

/// KPI queries. Every role may read the KPI data of the organizations it reaches,
/// integrations included.
#[derive(Default)]
pub struct KpiQuery;

#[Object]
impl KpiQuery {
    /// The KPIs an organization can use: the built-in catalog and its own, by stage.
    async fn kpis(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        stage: Option<StageKey>,
    ) -> GqlResult<Vec<KpiDefinition>> {
        let organization = request(ctx)?.kpi_reader_of("organizationId", &organization_id)?;
        definitions(db(ctx)?, organization, stage).await
    }

    /// One KPI series rolled up to `granularity` over `[from, to)`: the whole
    /// organization (or one unit), the points without dimensions (or with exactly the
    /// given ones), all sources together.
    #[allow(clippy::too_many_arguments)]
    async fn kpi_series(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        kpi: String,
        granularity: Granularity,
        from: NaiveDate,
        to: NaiveDate,
        unit_id: Option<ID>,
        dimensions: Option<Vec<DimensionInput>>,
    ) -> GqlResult<Vec<KpiSeriesPoint>> {
        let organization = request(ctx)?.kpi_reader_of("organizationId", &organization_id)?;
        series_of(
            db(ctx)?,
            organization,
            &kpi,
            granularity,
            (from, to),
            unit_id,
            dimensions,
        )
        .await
    }

    /// The demand waterfall (inquiries → MQLs → SALs → SQLs → SQOs → won deals) over
    /// `[from, to)`, with the conversion rate between each pair of steps.
    async fn funnel(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        from: NaiveDate,
        to: NaiveDate,
    ) -> GqlResult<Vec<KpiFunnelStep>> {
        let organization = request(ctx)?.kpi_reader_of("organizationId", &organization_id)?;
        let (from, to) = series::check_range(from, to)?;
        let steps = series::funnel(db(ctx)?, organization, from, to).await?;
        Ok(steps.into_iter().map(KpiFunnelStep).collect())
    }

    /// When each source last pushed each KPI: silent integrations show up here.
    async fn kpi_sources(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
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
    /// editors and admins; at most `max_points_per_push` points.
    async fn record_kpi_measurements(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        points: Vec<KpiPointInput>,
    ) -> GqlResult<RecordKpiMeasurementsPayload> {
        let context = request(ctx)?;
        let organization = parse_id("organizationId", &organization_id)?;
        context
            .principal()?
            .may_push_kpis(organization)
            .map_err(|e| e.on_field("organizationId"))?;
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
            let value = to_scaled(&at("value"), point.value)?;
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
                point.granularity,
                point.period_start,
                value,
                &point.source,
                dims,
            )?);
        }
        let mut kpi_keys: Vec<String> = parsed.iter().map(|p| p.kpi.clone()).collect();
        kpi_keys.sort_unstable();
        kpi_keys.dedup();
        let counts = ingest::record(db(ctx)?, context, organization, parsed).await?;
        if counts.inserted + counts.corrected > 0
            && let Ok(bus) = ctx.data::<crate::events::EventBus>()
        {
            bus.publish(crate::events::Event::KpiPointsRecorded {
                organization_id: organization,
                kpi_keys,
                inserted: counts.inserted,
                corrected: counts.corrected,
            })
            .await;
        }
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
        input: CreateKpiDefinitionInput,
    ) -> GqlResult<KpiDefinition> {
        let context = request(ctx)?;
        let (_, organization) =
            context.writer_of("input.organizationId", &input.organization_id)?;
        let key = input.key.trim().to_owned();
        if key.len() < 2
            || key.len() > 63
            || !key.starts_with(|c: char| c.is_ascii_lowercase())
            || !key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(Error::bad_input(
                "input.key",
                "2 to 63 lower-case letters, digits and underscores, starting with a letter",
            )
            .into());
        }
        let name = Name::parse("input.name", &input.name)?;
        let description =
            crate::domain::Description::parse_opt("input.description", Some(&input.description))?;
        let db = db(ctx)?;
        let tx = crate::db::begin_write(db).await?;
        let org = lock(&tx, organization)
            .await
            .map_err(|e| e.on_field("input.organizationId"))?;
        let clash = kpi_definition::Entity::find()
            .filter(kpi_definition::Column::Key.eq(key.as_str()))
            .filter(
                Condition::any()
                    .add(kpi_definition::Column::OrganizationId.is_null())
                    .add(kpi_definition::Column::OrganizationId.eq(org.id)),
            )
            .one(&tx)
            .await?;
        if clash.is_some() {
            return Err(Error::conflict(
                "input.key",
                "a KPI with this key already exists (built-in or the organization's own)",
            )
            .into());
        }
        let now = now();
        let row = kpi_definition::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(Some(org.id)),
            key: Set(key),
            name: Set(name.into_inner()),
            description: Set(description.map(|d| d.into_inner()).unwrap_or_default()),
            stage: Set(input.stage.as_str().to_owned()),
            unit: Set(input.unit.as_str().to_owned()),
            direction: Set(input.direction.as_str().to_owned()),
            rollup: Set(input.rollup.as_str().to_owned()),
            core: Set(input.core),
            archived: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
        .insert(&tx)
        .await?;
        audit::record(&tx, context, Some(org.id), "createKpiDefinition", &[row.id]).await?;
        tx.commit().await?;
        Ok(KpiDefinition(row))
    }

    /// Sets the target of one KPI period (replacing an earlier one). Editors and admins.
    async fn set_kpi_target(
        &self,
        ctx: &Context<'_>,
        input: SetKpiTargetInput,
    ) -> GqlResult<KpiTargetObject> {
        let context = request(ctx)?;
        let (_, organization) =
            context.writer_of("input.organizationId", &input.organization_id)?;
        let unit = input
            .unit_id
            .map(|u| parse_id("input.unitId", &u))
            .transpose()?;
        if !input.granularity.starts_period(input.period_start) {
            return Err(Error::bad_input(
                "input.periodStart",
                "does not start a period of the granularity",
            )
            .into());
        }
        let period_start =
            crate::reporting::service::parse_date("input.periodStart", input.period_start)?;
        let value = to_scaled("input.value", input.value)?;
        let db = db(ctx)?;
        let definition = series::definition(db, organization, input.kpi.trim())
            .await
            .map_err(|e| e.on_field("input.kpi"))?;
        let tx = crate::db::begin_write(db).await?;
        let org = lock(&tx, organization)
            .await
            .map_err(|e| e.on_field("input.organizationId"))?;
        if let Some(unit) = unit {
            crate::units::service::ensure_of_organization(&tx, org.id, unit, "input.unitId")
                .await?;
        }
        let mut existing = kpi_target::Entity::find()
            .filter(kpi_target::Column::OrganizationId.eq(org.id))
            .filter(kpi_target::Column::KpiId.eq(definition.id))
            .filter(kpi_target::Column::Granularity.eq(input.granularity.as_str()))
            .filter(kpi_target::Column::PeriodStart.eq(period_start));
        existing = match unit {
            Some(u) => existing.filter(kpi_target::Column::UnitId.eq(u)),
            None => existing.filter(kpi_target::Column::UnitId.is_null()),
        };
        let now = now();
        let row = match existing.one(&tx).await? {
            Some(current) => {
                let version = current.version;
                let mut row: kpi_target::ActiveModel = current.into();
                row.value_scaled = Set(value);
                row.version = Set(version + 1);
                row.updated_at = Set(now);
                row.update(&tx).await?
            }
            None => {
                kpi_target::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    organization_id: Set(org.id),
                    kpi_id: Set(definition.id),
                    unit_id: Set(unit),
                    granularity: Set(input.granularity.as_str().to_owned()),
                    period_start: Set(period_start),
                    value_scaled: Set(value),
                    created_at: Set(now),
                    updated_at: Set(now),
                    version: Set(1),
                }
                .insert(&tx)
                .await?
            }
        };
        audit::record(&tx, context, Some(org.id), "setKpiTarget", &[row.id]).await?;
        tx.commit().await?;
        Ok(KpiTargetObject(row))
    }
}
