//! `GET /api/v1/organizations/{slug}/chart.svg` and
//! `GET /api/v1/organizations/{slug}/kpis/{key}/chart.svg`: pictures for pages that
//! cannot draw the data themselves.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Months, NaiveDate};
use orgdesign_domain::{
    DateRange, Granularity, KpiKey, MIN_DATE, StorableDate,
    charts::{org, trend::Trend},
    error::Error,
    kpis::series,
    parse_date,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{Reading, Structure, reader_of};
use crate::http::{AppState, caller::Authenticated, error::HttpError};

/// Most periods one trend chart draws.
pub const MAX_PERIODS: i64 = 1_000;

/// Filters of the org chart.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OrgChartQuery {
    /// The date the chart shows (exactly YYYY-MM-DD; default: today).
    #[param(value_type = super::texts::StorableDate, required = false)]
    pub as_of: Option<String>,
    /// Draw this unit and its SOLID subordinates only (with the insights about them).
    pub root_unit_id: Option<Uuid>,
    /// Stop this many levels below the root (or the top); 0 to 1000.
    #[param(minimum = 0, maximum = 1000)]
    pub depth: Option<u32>,
}

/// Filters of a scenario's chart, as its path documents them: those of the org chart
/// but `asOf` (a draft is drawn against the live structure on its own date), which it
/// ignores, as it ignores any other parameter. [`org_chart_query`] reads them.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ScenarioChartQuery {
    /// Draw this unit and its SOLID subordinates only.
    pub root_unit_id: Option<Uuid>,
    /// Stop this many levels below the root (or the top); 0 to 1000.
    #[param(minimum = 0, maximum = 1000)]
    pub depth: Option<u32>,
}

/// Filters of the KPI trend chart.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    /// DAY, WEEK, MONTH (default), QUARTER or YEAR.
    #[param(value_type = super::texts::GranularityName, required = false)]
    pub granularity: Option<String>,
    /// First day of the range, exactly YYYY-MM-DD (default: two years before `to` for
    /// months; 90 days for days, a year for weeks, four years for quarters, ten for
    /// years).
    #[param(value_type = super::texts::StorableDate, required = false)]
    pub from: Option<String>,
    /// Day after the range, exactly YYYY-MM-DD (exclusive; default: tomorrow).
    #[param(value_type = super::texts::StorableDate, required = false, example = "2024-06-01")]
    pub to: Option<String>,
    /// One unit's series instead of the organization-wide one.
    pub unit_id: Option<Uuid>,
}

/// An SVG with an `ETag`: a client that holds the same picture gets `304`.
fn svg(req: &HttpRequest, body: String) -> HttpResponse {
    crate::http::cache::respond(
        req,
        "image/svg+xml; charset=utf-8",
        "private, no-cache",
        body,
    )
}

/// The org chart on a date, as SVG.
///
/// The same picture as `chart(format: SVG)` in GraphQL, cut to `rootUnitId` and
/// `depth` when given. Revalidated by its `ETag`.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{slug}/chart.svg",
    operation_id = "getOrgChart",
    tag = "charts",
    params(super::OrganizationSlug, OrgChartQuery),
    responses(
        (status = 200, description = "The org chart: units coloured by function, SOLID lines as the tree, DOTTED lines dashed, numbered insight markers and the list of insights", content_type = "image/svg+xml", body = String),
        (status = 400, description = "A malformed slug, asOf, rootUnitId or depth (the error's field names it)", body = super::ErrorBody),
        (status = 403, description = "Integration tokens may not read the structure", body = super::ErrorBody),
        (status = 404, description = "No such organization (or not the token's), or no such unit of it as rootUnitId (field rootUnitId)", body = super::ErrorBody),
        super::Unauthenticated,
        super::ReadLimits
    )
)]
pub async fn org_chart(reading: Reading<Structure>) -> Result<HttpResponse, HttpError> {
    let query = org_chart_query(reading.req.query_string())?;
    let as_of = orgdesign_domain::clock::as_of(query.as_of.as_deref())?;
    let chart = org::load(reading.db(), &reading.organization, as_of).await?;
    drawn(&reading.req, chart, &query)
}

/// A draft scenario's org chart, as SVG.
///
/// The structure as the scenario would make it, with what it changes marked (the same
/// picture as `Scenario.chart(format: SVG)`). Revalidated by its `ETag`.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{slug}/scenarios/{id}/chart.svg",
    operation_id = "getScenarioChart",
    tag = "charts",
    params(
        super::OrganizationSlug,
        ("id" = Uuid, Path, description = "The scenario's id"),
        ScenarioChartQuery
    ),
    responses(
        (status = 200, description = "The scenario's org chart: added units and lines in green, moved units in cyan, removed units and ended lines grey and dashed, with a legend", content_type = "image/svg+xml", body = String),
        (status = 400, description = "A malformed slug, id, rootUnitId or depth (the error's field names it)", body = super::ErrorBody),
        (status = 403, description = "Integration tokens may not read the structure", body = super::ErrorBody),
        (status = 404, description = "No such organization or scenario of it (or not the token's)", body = super::ErrorBody),
        (status = 409, description = "The scenario is promoted or discarded (only drafts are drawn against the live structure), or the live structure moved so that one of its changes no longer applies", body = super::ErrorBody),
        super::Unauthenticated,
        super::ReadLimits
    )
)]
pub async fn scenario_chart(
    reading: Reading<Structure>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, HttpError> {
    let (_, id) = path.into_inner();
    let id = Uuid::parse_str(&id).map_err(|_| Error::bad_input("id", "a scenario id"))?;
    let query = org_chart_query(reading.req.query_string())?;
    let scenario = orgdesign_domain::scenarios::evaluation::find(reading.db(), id)
        .await?
        .filter(|s| s.organization_id == reading.organization.id)
        .ok_or_else(|| Error::not_found_at("scenario", "id"))?;
    let limits = orgdesign_domain::scenarios::service::limits(&reading.state.limits);
    let evaluation =
        orgdesign_domain::scenarios::evaluation::evaluate(reading.db(), &[&scenario], limits)
            .await?
            .pop()
            .ok_or_else(|| Error::not_found_at("scenario", "id"))?;
    let chart = orgdesign_graphql::scenarios::types::chart(&scenario, &evaluation)?;
    drawn(&reading.req, chart, &query)
}

/// An org chart as SVG, cut to the root unit and depth the query asks for.
fn drawn(
    req: &HttpRequest,
    chart: org::OrgChart,
    query: &OrgChartQuery,
) -> Result<HttpResponse, HttpError> {
    let chart = chart.restrict(query.root_unit_id, query.depth, "rootUnitId")?;
    Ok(svg(req, chart.svg()))
}

/// Reads the org chart's parameters one by one, so an error names the one at fault
/// (`asOf` is read by [`orgdesign_domain::clock::as_of`]).
fn org_chart_query(raw: &str) -> Result<OrgChartQuery, Error> {
    let mut query = OrgChartQuery {
        as_of: None,
        root_unit_id: None,
        depth: None,
    };
    for (name, value) in super::query_pairs(raw)? {
        match name.as_str() {
            "asOf" => query.as_of = Some(value),
            "rootUnitId" => {
                let id = Uuid::parse_str(&value)
                    .map_err(|_| Error::bad_input("rootUnitId", "a unit id"))?;
                query.root_unit_id = Some(id);
            }
            "depth" => {
                let depth = value
                    .parse::<u32>()
                    .ok()
                    .filter(|d| *d <= 1000)
                    .ok_or_else(|| Error::bad_input("depth", "a count from 0 to 1000"))?;
                query.depth = Some(depth);
            }
            _ => {}
        }
    }
    Ok(query)
}

/// The default start of a trend chart ending before `to`: the start of the period
/// holding the day so many periods back, so the first period is whole.
fn default_from(granularity: Granularity, to: NaiveDate) -> NaiveDate {
    let back = |months| to.checked_sub_months(Months::new(months)).unwrap_or(to);
    let day = match granularity {
        Granularity::Day => to.checked_sub_days(chrono::Days::new(90)).unwrap_or(to),
        Granularity::Week => back(12),
        Granularity::Month => back(24),
        Granularity::Quarter => back(48),
        Granularity::Year => back(120),
    };
    // Not before the first storable date (1900-01-01 starts every period).
    granularity.period_start(day).max(MIN_DATE)
}

/// A KPI's trend against its target, as SVG.
///
/// The rolled-up value per period (the same figures as `kpiSeries`) and the target as
/// a dashed line, over `[from, to)`: `to` must be after `from`, and the range may hold
/// at most 1,000 periods of `granularity` (else a 400 on `to` or `from`). Revalidated
/// by its `ETag`.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{slug}/kpis/{key}/chart.svg",
    operation_id = "getKpiTrendChart",
    tag = "charts",
    params(
        super::OrganizationSlug,
        ("key" = super::texts::KpiKey, Path, description = "The KPI's key, e.g. mqls"),
        TrendQuery
    ),
    responses(
        (status = 200, description = "The trend chart (a chart saying there is no data when the range has none)", content_type = "image/svg+xml", body = String),
        (status = 400, description = "A malformed slug, KPI key or filter, or a range of more than 1,000 periods (the error's field names it)", body = super::ErrorBody),
        (status = 404, description = "No such organization, KPI or unit (or not the token's)", body = super::ErrorBody),
        super::Unauthenticated,
        super::ReadLimits
    )
)]
pub async fn kpi_chart(
    caller: Authenticated,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    // Not a `Reading`: the key, like the slug, is read before the organization is
    // looked up, so a key that could name nothing is a 400 whatever the organization.
    let (slug, key) = path.into_inner();
    let key = KpiKey::parse("key", &key)?;
    let organization = reader_of(&state, &caller, &slug, |p, org| p.may_read_kpis(org)).await?;
    let query = web::Query::<TrendQuery>::from_query(req.query_string())
        .map_err(|_| Error::bad_input("query", "unreadable filters (unitId is an id)"))?;
    let granularity = match query.granularity.as_deref() {
        None => Granularity::Month,
        Some(raw) => super::wire::granularity("granularity", raw)?,
    };
    let to = match &query.to {
        Some(to) => StorableDate::parse_text("to", to)?.get(),
        None => orgdesign_domain::clock::today() + chrono::Duration::days(1),
    };
    let from = match &query.from {
        Some(from) => parse_date("from", from)?,
        None => default_from(granularity, to),
    };
    let DateRange { from, to } = DateRange::parse(from, to)?;
    if (to - from).num_days() / granularity.min_days() > MAX_PERIODS {
        return Err(Error::bad_input(
            "from",
            format!(
                "the range holds more than {MAX_PERIODS} {} periods; narrow it or pick a coarser granularity",
                granularity.as_str().to_ascii_lowercase()
            ),
        )
        .into());
    }
    let definition = series::definition(&state.store.db, organization.id, &key)
        .await
        .map_err(|err| err.on_field("key"))?;
    if let Some(unit) = query.unit_id {
        orgdesign_domain::units::service::ensure_of_organization(
            &state.store.db,
            organization.id,
            unit,
            "unitId",
        )
        .await?;
    }
    let points = series::series(
        &state.store.db,
        organization.id,
        &definition,
        granularity,
        from,
        to,
        query.unit_id,
        &Default::default(),
    )
    .await?;
    Ok(svg(
        &req,
        Trend {
            organization: &organization.name,
            kpi: &definition,
            granularity,
            from,
            to,
            points: &points,
        }
        .svg(),
    ))
}
