//! `POST` and `GET /api/v1/organizations/{slug}/kpi-measurements`.

use actix_web::{
    HttpMessage as _, HttpRequest, HttpResponse,
    http::{
        StatusCode,
        header::{self, Accept, HeaderValue, Quality},
    },
    web,
};
use chrono::{DateTime, NaiveDate, Utc};
use orgdesign_domain::{
    KpiKey, Line,
    auth::KpiPusher,
    error::Error,
    from_scaled,
    kpis::{self, series::StoredPointFilter},
    parse_date,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    Kpis, Reading, error_response, organization,
    wire::{self, CSV_COLUMNS, CsvLayout, WirePush},
};
use crate::http::{AppState, caller::Authenticated, error::HttpError};

/// What a push changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PushReply {
    pub inserted: u64,
    pub corrected: u64,
    pub unchanged: u64,
}

/// A page of exported points.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportPage {
    pub points: Vec<ExportedPoint>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// One stored point.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportedPoint {
    pub id: Uuid,
    pub kpi: String,
    pub granularity: String,
    pub period_start: NaiveDate,
    /// The exact value as a decimal string.
    pub value: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<Uuid>,
    pub dimensions: serde_json::Value,
    pub revision: i32,
    pub recorded_at: DateTime<Utc>,
}

/// Push KPI points, as JSON or CSV.
///
/// The body is JSON (`{"points": [...]}`) or CSV (a header row naming the columns kpi,
/// granularity, period_start, value, source and optionally unit_id and dimensions as
/// `name=value;...`, in any order and case, then one row per point), as `Content-Type`
/// says. One transaction, all or nothing; pushing a point again changes nothing, a new
/// value for it is a correction. With an `Idempotency-Key`, a retry gets the first
/// request's reply.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{slug}/kpi-measurements",
    operation_id = "pushKpiMeasurements",
    tag = "kpis",
    params(
        super::OrganizationSlug,
        super::IdempotencyHeader
    ),
    request_body(content(
        (WirePush = "application/json"),
        (String = "text/csv", example = "kpi,granularity,period_start,value,source\nmqls,DAY,2024-03-01,12,crm\n")
    )),
    responses(
        (status = 200, description = "Recorded; a retry with the same Idempotency-Key gets the stored reply", body = PushReply, headers(("Idempotent-Replayed" = String, description = "`true` when this reply is the stored one of an earlier request with the same Idempotency-Key"))),
        (status = 400, description = "A point, the body or the Idempotency-Key is wrong, or the slug is malformed; nothing was written (the error's field names the input at fault)", body = super::ErrorBody),
        (status = 403, description = "The token may not push KPI data", body = super::ErrorBody),
        (status = 404, description = "No such organization (or not the token's)", body = super::ErrorBody),
        (status = 408, description = "The body did not arrive within the body timeout; nothing was written", body = super::ErrorBody),
        (status = 409, description = "The first request with this Idempotency-Key is still running", body = super::ErrorBody),
        (status = 413, description = "Too large a body, or too many points", body = super::ErrorBody),
        (status = 415, description = "Neither JSON nor CSV", body = super::ErrorBody),
        super::Unauthenticated,
        (status = 422, description = "This Idempotency-Key was used for another request", body = super::ErrorBody),
        (status = 429, description = "Too many requests, or too many bytes of request bodies in flight from this client address", body = super::ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The database is unavailable or did not answer within the request's time limit, too many writes are waiting for this organization, or the server is reading too many request bodies (`UNAVAILABLE`); or the request took longer than the time limit by itself (`LIMIT_EXCEEDED`); nothing was written unless the message says a change may have been stored, retry later", body = super::ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait, when the server knows")))
    )
)]
pub async fn push(
    caller: Authenticated,
    req: HttpRequest,
    path: web::Path<super::OrganizationSlug>,
    mut payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    // A role that may never push is refused before the organization is looked up.
    let context = caller.context();
    let pusher = context.kpi_pusher()?;
    let organization = organization(&state, pusher.principal(), &path.slug)
        .await?
        .id;
    let content_type = super::media_type_in(&req, &["application/json", "text/csv"])?;
    // The JSON and the CSV alike are read whole (the Idempotency-Key's fingerprint is
    // over the whole body), under the same size limit, deadline and caps as GraphQL's.
    let body = state.bodies.read(&req, &mut payload).await?;

    let attempt = match super::idempotent(&state, &req, organization, &content_type, &body).await? {
        super::Idempotent::Run(attempt) => attempt,
        super::Idempotent::Answer(stored) => return Ok(stored),
    };

    let (status, reply, retry_after) =
        record(&state, pusher, organization, &content_type, &body).await;
    // Should keeping the reply fail, a retry is safe anyway: pushes are idempotent.
    super::keep_reply(attempt, status, &reply).await;
    let mut response = HttpResponse::build(status);
    if let Some(retry_after) = retry_after {
        response.insert_header((header::RETRY_AFTER, retry_after));
    }
    Ok(response.content_type("application/json").body(reply))
}

/// Parses and records a push: the status and JSON body of the reply, and the
/// `Retry-After` of an answer that asks for a retry (503).
async fn record(
    state: &AppState,
    pusher: KpiPusher<'_>,
    organization: Uuid,
    content_type: &str,
    body: &[u8],
) -> (StatusCode, String, Option<HeaderValue>) {
    let parsed = if content_type == "text/csv" {
        parse_csv(body, state.limits.max_points_per_push)
    } else {
        parse_json(body, state.limits.max_points_per_push)
    };
    let result = match parsed {
        Ok(points) => kpis::record(&state.store, pusher, organization, points).await,
        Err(err) => Err(err),
    };
    let response = match result {
        Ok(counts) => {
            return (
                StatusCode::OK,
                serde_json::to_string(&PushReply {
                    inserted: counts.inserted,
                    corrected: counts.corrected,
                    unchanged: counts.unchanged,
                })
                .unwrap_or_default(),
                None,
            );
        }
        Err(err) => error_response(err),
    };
    let status = response.status();
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    (status, body, retry_after)
}

/// The `BAD_USER_INPUT` of a JSON body that is not a push, in the user's terms: what
/// was expected and, when the body is not an object at all, what came instead.
fn not_a_push(body: &[u8], err: &serde_json::Error) -> Error {
    const EXPECTED: &str =
        r#"expected an object {"points": [{"kpi": …, "value": …, "periodStart": …}, …]}"#;
    let got = match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Some("an empty body"),
        Some(b'[') => Some("an array (put it in the object's \"points\")"),
        Some(b'"') => Some("a string"),
        Some(b'-' | b'0'..=b'9') => Some("a number"),
        Some(b't' | b'f') => Some("a boolean"),
        Some(b'n') => Some("null"),
        Some(_) => None,
    };
    match got {
        Some(got) => Error::bad_input("body", format!("{EXPECTED}, got {got}")),
        None => Error::bad_input("body", format!("{EXPECTED}: {err}")),
    }
}

fn parse_json(body: &[u8], max: usize) -> orgdesign_domain::error::Result<Vec<kpis::ParsedPoint>> {
    let push: WirePush = serde_json::from_slice(body).map_err(|e| not_a_push(body, &e))?;
    if push.points.len() > max {
        return Err(Error::LimitExceeded(format!(
            "a push carries at most {max} points"
        )));
    }
    push.points
        .into_iter()
        .enumerate()
        .map(|(i, p)| p.parse(i, "points"))
        .collect()
}

fn parse_csv(body: &[u8], max: usize) -> orgdesign_domain::error::Result<Vec<kpis::ParsedPoint>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| Error::bad_input("header", format!("unreadable CSV: {e}")))?
        .clone();
    let layout = CsvLayout::from_headers(&headers)?;
    let mut points = Vec::new();
    for (i, record) in reader.records().enumerate() {
        // Line 1 is the header.
        let line = i + 2;
        let record = record.map_err(|e| {
            Error::bad_input(format!("line[{line}]"), format!("unreadable CSV: {e}"))
        })?;
        if points.len() == max {
            return Err(Error::LimitExceeded(format!(
                "a push carries at most {max} points"
            )));
        }
        points.push(layout.point(&record, line)?);
    }
    Ok(points)
}

/// Filters of an export. Each is read on its own, so an error names the one at fault.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only this KPI (key); one the organization does not have is a 404 on `kpi`.
    #[param(value_type = super::texts::KpiKey, required = false)]
    kpi: Option<String>,
    /// Only this source.
    #[param(value_type = super::texts::Source, required = false)]
    source: Option<String>,
    /// Only points of this granularity.
    #[param(value_type = super::texts::GranularityName, required = false)]
    granularity: Option<String>,
    /// Periods starting on or after this date (exactly YYYY-MM-DD).
    #[param(value_type = super::texts::CalendarDate, required = false)]
    from: Option<String>,
    /// Periods starting before this date (exactly YYYY-MM-DD).
    #[param(value_type = super::texts::CalendarDate, required = false)]
    to: Option<String>,
    /// The `next` of the previous page.
    after: Option<Uuid>,
    /// Points per page, 1 to 10,000 (default 1,000).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<u64>,
}

impl ExportQuery {
    /// Reads the query string: the text filters as the texts they name (a KPI key, a
    /// source: one line without control characters), dates exactly `YYYY-MM-DD`.
    fn parse(raw: &str) -> Result<StoredPointFilter, Error> {
        let query = web::Query::<ExportQuery>::from_query(raw)
            .map_err(|_| {
                Error::bad_input(
                    "query",
                    "unreadable filters (after is an id, limit a whole number)",
                )
            })?
            .into_inner();
        let limit = query.limit.unwrap_or(1_000);
        if !(1..=10_000).contains(&limit) {
            return Err(Error::bad_input("limit", "must be between 1 and 10000"));
        }
        let granularity = query
            .granularity
            .map(|g| wire::granularity("granularity", &g))
            .transpose()?;
        Ok(StoredPointFilter {
            kpi: query.kpi.map(|k| KpiKey::parse("kpi", &k)).transpose()?,
            source: query
                .source
                .map(|s| Line::<100>::parse("source", &s).map(Line::into_inner))
                .transpose()?,
            granularity,
            from: query.from.map(|d| parse_date("from", &d)).transpose()?,
            to: query.to.map(|d| parse_date("to", &d)).transpose()?,
            after: query.after,
            limit,
        })
    }
}

/// Export stored KPI points, a page at a time.
///
/// Points come oldest recorded first, as JSON (default) or CSV (`Accept: text/csv`;
/// the same columns a push takes, plus id, revision and recorded_at).
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{slug}/kpi-measurements",
    operation_id = "exportKpiMeasurements",
    tag = "kpis",
    params(super::OrganizationSlug, ExportQuery),
    responses(
        (status = 200, description = "A page of points: JSON, or CSV with `Accept: text/csv` (then the next page's cursor is in `X-Next-Page`)",
            content((ExportPage = "application/json"), (String = "text/csv"))),
        (status = 400, description = "A filter is wrong or the slug is malformed (the error's field names it)", body = super::ErrorBody),
        (status = 404, description = "No such organization (or not the token's)", body = super::ErrorBody),
        super::Unauthenticated,
        super::ReadLimits
    )
)]
pub async fn export(reading: Reading<Kpis>) -> Result<HttpResponse, HttpError> {
    let query = ExportQuery::parse(reading.req.query_string())?;
    let (rows, more) =
        kpis::series::stored_points(reading.db(), reading.organization.id, &query).await?;
    let points: Vec<ExportedPoint> = rows
        .into_iter()
        .map(|(m, kpi)| ExportedPoint {
            id: m.id,
            kpi,
            granularity: m.granularity,
            period_start: m.period_start,
            value: from_scaled(m.value_scaled).to_string(),
            source: m.source,
            unit_id: m.unit_id,
            dimensions: m.dimensions,
            revision: m.revision,
            recorded_at: m.recorded_at,
        })
        .collect();
    let next = more
        .then(|| points.last().map(|p| p.id.to_string()))
        .flatten();
    // CSV when `Accept` names it (with a quality above 0), as actix parses the header.
    let wants_csv = reading.req.get_header::<Accept>().is_some_and(|accept| {
        accept
            .iter()
            .any(|item| item.quality > Quality::ZERO && item.item.essence_str() == "text/csv")
    });
    if wants_csv {
        let mut writer = csv::Writer::from_writer(Vec::new());
        // The columns a push reads, between the point's id and its revision.
        let header_row = ["id"]
            .into_iter()
            .chain(CSV_COLUMNS)
            .chain(["revision", "recorded_at"]);
        let mut ok = writer.write_record(header_row).is_ok();
        for p in &points {
            let dimensions = p
                .dimensions
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(";")
                })
                .unwrap_or_default();
            ok &= writer
                .write_record([
                    p.id.to_string(),
                    p.kpi.clone(),
                    p.granularity.clone(),
                    p.period_start.to_string(),
                    p.value.clone(),
                    p.source.clone(),
                    p.unit_id.map(|u| u.to_string()).unwrap_or_default(),
                    dimensions,
                    p.revision.to_string(),
                    p.recorded_at
                        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                ])
                .is_ok();
        }
        let bytes = writer.into_inner().unwrap_or_default();
        if !ok {
            return Err(Error::Internal(anyhow::anyhow!("writing CSV failed")).into());
        }
        let mut response = HttpResponse::Ok();
        response.content_type("text/csv; charset=utf-8");
        if let Some(next) = &next {
            response.insert_header(("x-next-page", next.as_str()));
        }
        return Ok(response.body(bytes));
    }
    Ok(HttpResponse::Ok().json(ExportPage { points, next }))
}
