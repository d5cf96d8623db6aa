//! REST beside GraphQL, for integrations that cannot speak GraphQL: KPI points in and
//! out as JSON or CSV, charts as SVG, and the structure as a CSV file out and back in
//! as a draft scenario, under `/api/v1`, described by the OpenAPI document at
//! `/api/openapi.json` (committed as `openapi.json`).

mod charts;
mod kpis;
mod structure;
pub mod texts;
mod webhook_events;
pub mod wire;

use std::marker::PhantomData;

use actix_web::{
    FromRequest, HttpRequest, HttpResponse, Resource, ResponseError as _, Route,
    dev::Payload,
    http::StatusCode,
    middleware::from_fn,
    web::{self, get, post},
};
use futures_util::future::LocalBoxFuture;
use orgdesign_domain::{
    Slug, auth::Principal, error::Error, idempotency::service::Attempt,
    organizations::service as organizations,
};
use serde::Deserialize;
use utoipa::OpenApi;
use webhook_events::Payloads as WebhookPayloads;

pub use crate::http::error::{ErrorBody, ErrorCode, ErrorExtensions, ErrorItem};
use crate::http::{AppState, caller::Authenticated, deadline, error::HttpError, resource};

/// Registers the REST routes (each answers other methods with 405 and `Allow`). Every
/// `/api/v1` request runs within the request's deadline (`http::deadline::rest`), its
/// authentication included.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/openapi.json", "GET").route(web::get().to(openapi)));
    // Below `/api/v1/organizations/{slug}`: the path's rest, the methods, their routes.
    let organization_routes: [(&str, &'static str, Vec<Route>); 7] = [
        (
            "/kpi-measurements",
            "GET, POST",
            vec![post().to(kpis::push), get().to(kpis::export)],
        ),
        ("/chart.svg", "GET", vec![get().to(charts::org_chart)]),
        (
            "/scenarios/{id}/chart.svg",
            "GET",
            vec![get().to(charts::scenario_chart)],
        ),
        (
            "/kpis/{key}/chart.svg",
            "GET",
            vec![get().to(charts::kpi_chart)],
        ),
        ("/structure.csv", "GET", vec![get().to(structure::export)]),
        (
            "/structure-changes.csv",
            "GET",
            vec![get().to(structure::structure_changes)],
        ),
        ("/scenarios", "POST", vec![post().to(structure::import)]),
    ];
    for (path, allow, methods) in organization_routes {
        let path = format!("/api/v1/organizations/{{slug}}{path}");
        let resource = methods
            .into_iter()
            .fold(resource(&path, allow), Resource::route);
        cfg.service(resource.wrap(from_fn(deadline::rest)));
    }
}

/// An error as a REST response, through [`HttpError`]'s `ResponseError` (internal
/// causes are logged, never sent). Handlers returning `Result<_, HttpError>` use `?`.
pub fn error_response(err: Error) -> HttpResponse {
    HttpError::from(err).error_response()
}

/// The organization of `slug`, if the principal reaches it (else the same 404 as for
/// an unknown slug). A path segment that is no slug at all is a 400 on `slug`, as a
/// malformed id or key is anywhere: it could name nothing, in reach or not.
pub(super) async fn organization(
    state: &AppState,
    principal: &Principal,
    slug: &str,
) -> Result<entity::organization::Model, HttpError> {
    let not_found = || HttpError::from(Error::not_found_at("organization", "slug"));
    let slug = Slug::parse("slug", slug)?;
    let org = organizations::find_by_slug(&state.store.db, &slug)
        .await?
        .ok_or_else(not_found)?;
    if !principal.reaches(org.id) {
        return Err(not_found());
    }
    Ok(org)
}

/// What a reading endpoint starts with, once the [`Authenticated`] extractor has let
/// the caller in: the organization of `slug` within its reach, and `check` passed for
/// it.
pub(super) async fn reader_of(
    state: &AppState,
    caller: &Authenticated,
    slug: &str,
    check: impl FnOnce(&Principal, uuid::Uuid) -> orgdesign_domain::error::Result<()>,
) -> Result<entity::organization::Model, HttpError> {
    let org = organization(state, &caller.principal, slug).await?;
    check(&caller.principal, org.id)?;
    Ok(org)
}

/// A query string's parameters as sent, in order, so that each is parsed on its own and
/// an error names the one at fault.
pub(super) fn query_pairs(raw: &str) -> Result<Vec<(String, String)>, Error> {
    web::Query::<Vec<(String, String)>>::from_query(raw)
        .map(web::Query::into_inner)
        .map_err(|_| Error::bad_input("query", "an unreadable query string"))
}

/// What a reading endpoint works with: the organization its path's `{slug}` names,
/// within the caller's reach and readable as `R` decides ([`reader_of`]), with the
/// request and the server's state. Extracted after [`Authenticated`] has let the caller
/// in, so a handler starts from an organization it may read.
pub(super) struct Reading<R> {
    pub organization: entity::organization::Model,
    pub req: HttpRequest,
    pub state: web::Data<AppState>,
    reads: PhantomData<R>,
}

impl<R> Reading<R> {
    /// The database, for the endpoint's reads.
    pub fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.state.store.db
    }
}

/// What of an organization an endpoint reads: the check a principal passes to read it.
pub(super) trait Reads {
    /// Refuses a principal that may not read it in an organization.
    const CHECK: fn(&Principal, uuid::Uuid) -> orgdesign_domain::error::Result<()>;
}

/// The structure (units, lines, positions): not for integration tokens.
pub(super) struct Structure;

impl Reads for Structure {
    const CHECK: fn(&Principal, uuid::Uuid) -> orgdesign_domain::error::Result<()> =
        |principal, organization| principal.may_read(organization, "organization");
}

/// KPI data: every role within reach.
pub(super) struct Kpis;

impl Reads for Kpis {
    const CHECK: fn(&Principal, uuid::Uuid) -> orgdesign_domain::error::Result<()> =
        Principal::may_read_kpis;
}

/// The `{slug}` of every path below `/api/v1/organizations/{slug}`: what a handler
/// extracts (decoded as `web::Path` decodes every segment) and its paths' `params`
/// document.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct OrganizationSlug {
    /// The organization's slug
    #[param(value_type = texts::Slug)]
    pub slug: String,
}

/// The `Idempotency-Key` header a writing endpoint takes (read by [`idempotent`]), as
/// its paths' `params` document it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub(super) struct IdempotencyHeader {
    /// Makes a retry safe: a request with the key of an earlier one with the same
    /// `Content-Type` and body gets that one's stored reply (`Idempotent-Replayed:
    /// true`) instead of running again; with another body it is a 422, while the first
    /// still runs a 409. Kept 24 hours, per organization.
    #[param(rename = "Idempotency-Key", value_type = texts::IdempotencyKey, required = false)]
    idempotency_key: Option<String>,
}

impl<R: Reads> FromRequest for Reading<R> {
    type Error = HttpError;
    type Future = LocalBoxFuture<'static, Result<Self, HttpError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = Authenticated::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let caller = caller.await?;
            let state = web::Data::<AppState>::extract(&req)
                .await
                .map_err(|_| Error::Internal(anyhow::anyhow!("no AppState")))?;
            let path = web::Path::<OrganizationSlug>::extract(&req)
                .await
                .map_err(|_| Error::Internal(anyhow::anyhow!("no {{slug}} in the path")))?;
            let organization = reader_of(&state, &caller, &path.slug, R::CHECK).await?;
            Ok(Self {
                organization,
                req,
                state,
                reads: PhantomData,
            })
        })
    }
}

/// The answer of every endpoint to a request without a token that checks out (401).
/// Its paths list it among their `responses`, as the reading ones list [`ReadLimits`].
#[derive(utoipa::IntoResponses)]
#[response(
    status = 401,
    description = "No token, or one that does not check out",
    headers(("WWW-Authenticate" = String, description = "`Bearer`"))
)]
#[allow(dead_code)]
struct Unauthenticated(ErrorBody);

/// What an endpoint reading an organization's structure answers for a caller who may
/// not: an integration token (403), an organization that is not there or not the
/// token's (404).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum StructureRefusals {
    #[response(
        status = 403,
        description = "Integration tokens may not read the structure"
    )]
    Forbidden(ErrorBody),
    #[response(
        status = 404,
        description = "No such organization (or not the token's)"
    )]
    NotFound(ErrorBody),
}

/// What every reading endpoint answers when the server is busy: too many requests
/// (429), a database that did not answer in time (503).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum ReadLimits {
    #[response(
        status = 429,
        description = "Too many requests",
        headers(("Retry-After" = u64, description = "Seconds to wait"))
    )]
    TooManyRequests(ErrorBody),
    #[response(
        status = 503,
        description = "The database did not answer within the request's time limit (`UNAVAILABLE`, with Retry-After), or the request took longer than the time limit by itself (`LIMIT_EXCEEDED`); nothing was sent before",
        headers(("Retry-After" = u64, description = "Seconds to wait, when the database did not answer"))
    )]
    Unavailable(ErrorBody),
}

/// The OpenAPI document of the REST part.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "orgdesign REST",
        description = "KPI points in and out as JSON or CSV, charts as SVG, and the structure as a CSV file \
                       out and back in as a draft scenario, for integrations that cannot speak GraphQL. \
                       Authenticate with `Authorization: Bearer <token>` (an integration token from \
                       `issueIntegrationToken`, or an editor's or admin's). Every error answers \
                       `{\"errors\": [{\"message\": ..., \"extensions\": {\"code\": ..., \"field\": ...}}]}` \
                       (ErrorBody), as GraphQL does; a 401 carries `WWW-Authenticate: Bearer`, a 429 \
                       `Retry-After`, a 405 `Allow`. Every request keeps to the server's time limit \
                       (`request_timeout_ms`): one still running then is a 503, `UNAVAILABLE` with \
                       `Retry-After` when the database did not answer. Every constraint the server \
                       checks on a parameter, header or body is stated in this document (lengths, \
                       patterns, enumerations, ranges); the few that span several values (a range's \
                       ends, a period's first day) are stated in words. The events the server sends \
                       to webhook endpoints are described under `webhooks`.",
        contact(name = "orgdesign")
    ),
    tags(
        (name = "kpis", description = "KPI points in (JSON or CSV) and out (JSON or CSV, a page at a time)"),
        (name = "charts", description = "Org charts and KPI trend charts as SVG, for pages that cannot draw the data themselves"),
        (name = "structure", description = "The structure as an HRIS-style CSV file: out, as a delta report between two days, and back in as a draft scenario")
    ),
    servers((url = "/", description = "The server that serves this document")),
    paths(
        kpis::push,
        kpis::export,
        charts::org_chart,
        charts::scenario_chart,
        charts::kpi_chart,
        structure::export,
        structure::structure_changes,
        structure::import
    ),
    modifiers(&BearerAuth, &Texts, &WebhookPayloads),
    security(("bearer" = [])),
    components(schemas(
        wire::WirePoint,
        wire::WirePush,
        kpis::PushReply,
        kpis::ExportPage,
        kpis::ExportedPoint,
        structure::ImportedScenario,
        ErrorBody,
        ErrorItem,
        ErrorExtensions,
        ErrorCode
    ))
)]
pub struct ApiDoc;

/// Adds the schemas of the texts the endpoints take ([`texts`]) to the components.
struct Texts;

impl utoipa::Modify for Texts {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, schema) in texts::schemas() {
            components.schemas.insert(name.into_owned(), schema);
        }
    }
}

/// Declares the bearer token every endpoint takes, so generated clients send it.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .description(Some(
                            "An integration token (`issueIntegrationToken`), or an editor's or admin's token",
                        ))
                        .build(),
                ),
            );
    }
}

/// The fingerprint an `Idempotency-Key` is checked against, for tests that stage a
/// request in flight.
pub fn fingerprint_for_tests(content_type: &str, body: &[u8]) -> String {
    orgdesign_domain::idempotency::service::fingerprint(content_type, body)
}

/// The document as served and committed: [`ApiDoc`] with the `webhooks` section, which
/// utoipa cannot express ([`webhook_events::add`]).
pub fn openapi_json() -> String {
    let Ok(mut document) = serde_json::to_value(ApiDoc::openapi()) else {
        return "{}".to_owned();
    };
    webhook_events::add(&mut document);
    serde_json::to_string_pretty(&document).unwrap_or_else(|_| "{}".to_owned())
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi_json())
}

/// The request's media type when it is one of `accepted`, else 415 naming them.
pub(crate) fn media_type_in(req: &HttpRequest, accepted: &[&str]) -> Result<String, HttpError> {
    let media_type = crate::http::media_type(req);
    if accepted.contains(&media_type.as_str()) {
        return Ok(media_type);
    }
    let message = format!("send {}", accepted.join(" or "));
    Err(HttpError::from(Error::bad_input("Content-Type", message))
        .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE))
}

/// What a request's `Idempotency-Key` header decides.
pub(crate) enum Idempotent {
    /// Run the request; with a key, its reply is kept through the attempt.
    Run(Option<orgdesign_domain::idempotency::service::Attempt>),
    /// The stored reply of an earlier request with the same key and body.
    Answer(HttpResponse),
}

/// Reads the `Idempotency-Key` header of a request into `organization` whose body is
/// `body`: without one, run; with one, claim it — a retry of a finished request gets
/// its stored reply (`Idempotent-Replayed: true`), one still running is `409`, a key
/// used for another request `422`, a malformed key `400`.
pub(crate) async fn idempotent(
    state: &AppState,
    req: &actix_web::HttpRequest,
    organization: uuid::Uuid,
    content_type: &str,
    body: &[u8],
) -> Result<Idempotent, HttpError> {
    use orgdesign_domain::idempotency::service as idempotency;
    let Some(raw) = req.headers().get("idempotency-key") else {
        return Ok(Idempotent::Run(None));
    };
    let key = raw
        .to_str()
        .map_err(|_| ())
        .and_then(|s| idempotency::parse_key(s).map_err(|_| ()))
        .map_err(|()| Error::bad_input("Idempotency-Key", "1 to 255 visible ASCII characters"))?;
    let hash = idempotency::fingerprint(content_type, body);
    match idempotency::claim(&state.store, organization, &key, &hash).await? {
        idempotency::Claim::Run(claimed) => Ok(Idempotent::Run(Some(claimed))),
        idempotency::Claim::Replay { status, body } => Ok(Idempotent::Answer(
            HttpResponse::build(
                actix_web::http::StatusCode::from_u16(status)
                    .unwrap_or(actix_web::http::StatusCode::OK),
            )
            .content_type("application/json")
            .insert_header(("idempotent-replayed", "true"))
            .body(body),
        )),
        idempotency::Claim::InFlight => Err(HttpError::from(Error::conflict(
            "Idempotency-Key",
            "the first request with this key is still being processed; retry later",
        ))),
        idempotency::Claim::Mismatch => Err(HttpError::from(Error::conflict(
            "Idempotency-Key",
            "this key was used for a different request",
        ))
        .with_status(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)),
    }
}

/// Keeps the reply of a request run under an `Idempotency-Key` (`attempt`; none
/// without a key) for its retries. A failure is logged and otherwise ignored: what the
/// request did stands, only the replay is lost.
pub(crate) async fn keep_reply(attempt: Option<Attempt>, status: StatusCode, reply: &str) {
    if let Some(attempt) = attempt
        && let Err(err) = attempt.complete(status.as_u16(), reply).await
    {
        tracing::warn!(error = %err, "storing an idempotent reply failed");
    }
}
