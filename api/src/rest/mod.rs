//! REST beside GraphQL, for integrations that cannot speak GraphQL: KPI points in and
//! out as JSON or CSV under `/api/v1`, described by the OpenAPI document at
//! `/api/openapi.json` (committed as `openapi.json`).

mod charts;
mod idempotency;
mod kpis;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::{
    auth::Principal,
    domain::Slug,
    error::Error,
    http::{AppState, guard},
    organizations::service as organizations,
};

/// Registers the REST routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/openapi.json", web::get().to(openapi))
        .route(
            "/api/v1/organizations/{slug}/kpi-measurements",
            web::post().to(kpis::push),
        )
        .route(
            "/api/v1/organizations/{slug}/kpi-measurements",
            web::get().to(kpis::export),
        )
        .route(
            "/api/v1/organizations/{slug}/chart.svg",
            web::get().to(charts::org_chart),
        )
        .route(
            "/api/v1/organizations/{slug}/kpis/{key}/chart.svg",
            web::get().to(charts::kpi_chart),
        );
}

/// The body of every REST error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: the same stable codes as GraphQL's `extensions.code`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, BAD_USER_INPUT, CONFLICT, LIMIT_EXCEEDED,
    /// UNAVAILABLE or INTERNAL.
    pub code: String,
    pub message: String,
    /// The input at fault, e.g. `points[3].value` or `line[12].periodStart`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error as a REST response (internal causes are logged, never sent).
pub fn error_response(err: Error) -> HttpResponse {
    let status = match &err {
        Error::Unauthenticated => StatusCode::UNAUTHORIZED,
        Error::Forbidden => StatusCode::FORBIDDEN,
        Error::NotFound { .. } => StatusCode::NOT_FOUND,
        Error::BadInput { .. } => StatusCode::BAD_REQUEST,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::LimitExceeded(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    respond(status, err)
}

/// An error with an explicit status.
pub fn respond(status: StatusCode, err: Error) -> HttpResponse {
    match &err {
        Error::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
        Error::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
        _ => {}
    }
    let field = match &err {
        Error::BadInput { field, .. } => Some(field.clone()),
        Error::Conflict { field, .. } | Error::NotFound { field, .. } => field.clone(),
        _ => None,
    };
    HttpResponse::build(status).json(ErrorBody {
        error: ErrorDetail {
            code: err.code().to_owned(),
            message: err.to_string(),
            field,
        },
    })
}

/// Authenticates and rate-limits a REST request: the 401 / 429 responses on refusal.
pub(super) async fn principal(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Principal, HttpResponse> {
    let principal = guard::authenticate(state, req).await?;
    if let Err(wait) = state
        .rate_limit
        .check(&guard::rate_key(req, principal.as_ref()))
    {
        return Err(guard::too_many_requests(wait));
    }
    principal.ok_or_else(|| error_response(Error::Unauthenticated))
}

/// The organization of `slug`, if the principal reaches it (else the same 404 as for
/// an unknown slug).
pub(super) async fn organization(
    state: &AppState,
    principal: &Principal,
    slug: &str,
) -> Result<entity::organization::Model, HttpResponse> {
    let not_found = || error_response(Error::not_found("organization"));
    let slug = Slug::parse("slug", slug).map_err(|_| not_found())?;
    let org = organizations::find_by_slug(&state.store.db, &slug)
        .await
        .map_err(error_response)?
        .ok_or_else(not_found)?;
    if !principal.reaches(org.id) {
        return Err(not_found());
    }
    Ok(org)
}

/// What a reading endpoint starts with: the caller (authenticated and rate-limited),
/// the organization of `slug` within its reach, and `check` passed for it — or the
/// response that refuses the request.
pub(super) async fn reader_of(
    state: &AppState,
    req: &HttpRequest,
    slug: &str,
    check: impl FnOnce(&Principal, uuid::Uuid) -> crate::error::Result<()>,
) -> Result<entity::organization::Model, HttpResponse> {
    let principal = principal(state, req).await?;
    let org = organization(state, &principal, slug).await?;
    check(&principal, org.id).map_err(error_response)?;
    Ok(org)
}

/// The OpenAPI document of the REST part.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "orgdesign REST",
        description = "KPI points in and out as JSON or CSV, for integrations that cannot speak GraphQL. \
                       Authenticate with `Authorization: Bearer <token>` (an integration token from \
                       `issueIntegrationToken`, or an editor's or admin's)."
    ),
    paths(kpis::push, kpis::export, charts::org_chart, charts::kpi_chart),
    components(schemas(
        crate::kpis::wire::WirePoint,
        crate::kpis::wire::WirePush,
        kpis::PushReply,
        kpis::ExportPage,
        kpis::ExportedPoint,
        ErrorBody,
        ErrorDetail
    ))
)]
pub struct ApiDoc;

/// The fingerprint an `Idempotency-Key` is checked against, for tests that stage a
/// request in flight.
pub fn fingerprint_for_tests(content_type: &str, body: &[u8]) -> String {
    idempotency::fingerprint(content_type, body)
}

/// The document as served and committed.
pub fn openapi_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned())
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi_json())
}
