//! `GET /api/v1/organizations/{slug}/structure.csv`,
//! `GET /api/v1/organizations/{slug}/structure-changes.csv` (the delta report) and
//! `POST /api/v1/organizations/{slug}/scenarios`: the structure as an HRIS-style CSV
//! file, out and back in as a draft scenario (see [`orgdesign_domain::scenarios::structure_csv`]).

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use chrono::NaiveDate;
use orgdesign_domain::{
    Description, Name, StorableDate,
    error::Error,
    scenarios::{
        service::{self as scenarios, NewScenario},
        structure_csv,
    },
};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Reading, Structure, organization};
use crate::http::{AppState, caller::Authenticated, error::HttpError};

/// The date of an export.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ExportQuery {
    /// The date whose structure is written (exactly YYYY-MM-DD; default: today).
    #[param(value_type = super::texts::StorableDate, required = false)]
    pub as_of: Option<String>,
}

/// The two days a delta report compares.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ChangesQuery {
    /// The first day (exactly YYYY-MM-DD).
    #[param(value_type = super::texts::StorableDate, required = true)]
    pub from: Option<String>,
    /// The second day, after `from` (exactly YYYY-MM-DD).
    #[param(value_type = super::texts::StorableDate, required = true, example = "2024-06-01")]
    pub to: Option<String>,
}

impl ChangesQuery {
    fn read(raw: &str) -> Result<Self, Error> {
        let mut pairs = pairs(raw)?;
        Ok(Self {
            from: pairs.remove("from"),
            to: pairs.remove("to"),
        })
    }

    /// The two days, each required and storable (the error names the one at fault).
    fn days(&self) -> Result<(NaiveDate, NaiveDate), Error> {
        let day = |field: &str, value: &Option<String>| {
            let value = value
                .as_deref()
                .ok_or_else(|| Error::bad_input(field, "required (YYYY-MM-DD)"))?;
            StorableDate::parse_text(field, value).map(StorableDate::get)
        };
        Ok((day("from", &self.from)?, day("to", &self.to)?))
    }
}

/// The draft an upload makes.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ImportQuery {
    /// The scenario's name.
    #[param(value_type = super::texts::Name)]
    pub name: String,
    /// The day its changes would take effect, and the date of the live structure the
    /// file is compared with (exactly YYYY-MM-DD; default: today).
    #[param(value_type = super::texts::StorableDate, required = false)]
    pub effective_from: Option<String>,
    /// The scenario's description.
    #[param(value_type = super::texts::Description, required = false)]
    pub description: Option<String>,
}

/// The draft scenario an upload made.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportedScenario {
    pub id: Uuid,
    pub name: String,
    /// Always `DRAFT`.
    pub status: String,
    pub effective_from: NaiveDate,
    /// Its optimistic-concurrency version, for `addScenarioChanges` and `promoteScenario`.
    pub version: i32,
    /// How many changes turn the live structure into the file's (0: the same).
    pub changes: usize,
}

/// The query's parameters as sent (the last of a repeated one wins), so that each is
/// parsed on its own and an error names the one at fault.
fn pairs(raw: &str) -> Result<std::collections::HashMap<String, String>, Error> {
    Ok(super::query_pairs(raw)?.into_iter().collect())
}

impl ExportQuery {
    fn read(raw: &str) -> Result<Self, Error> {
        Ok(Self {
            as_of: pairs(raw)?.remove("asOf"),
        })
    }
}

impl ImportQuery {
    fn read(raw: &str) -> Result<Self, Error> {
        let mut pairs = pairs(raw)?;
        Ok(Self {
            name: pairs.remove("name").unwrap_or_default(),
            effective_from: pairs.remove("effectiveFrom"),
            description: pairs.remove("description"),
        })
    }
}

/// Export the live structure on a date, as CSV.
///
/// One row per active unit, top-down, in the columns an upload takes. Edit it and
/// `POST` it back to draft a reorganization. Revalidated by its `ETag`.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{slug}/structure.csv",
    operation_id = "exportStructure",
    tag = "structure",
    params(super::OrganizationSlug, ExportQuery),
    responses(
        (status = 200, description = "The structure: the header row `id,unit,function,sourcing,solid_superior,dotted_superiors,head_position,head_role`, then one row per active unit", content_type = "text/csv", body = String,
            example = "id,unit,function,sourcing,solid_superior,dotted_superiors,head_position,head_role\n0190...,Executive board,EXECUTIVE,IN_HOUSE,,,Chief Executive Officer,CEO\n"),
        (status = 400, description = "A malformed slug or asOf (the error's field names it)", body = super::ErrorBody),
        super::StructureRefusals,
        super::Unauthenticated,
        super::ReadLimits
    )
)]
pub async fn export(reading: Reading<Structure>) -> Result<HttpResponse, HttpError> {
    let query = ExportQuery::read(reading.req.query_string())?;
    let as_of = orgdesign_domain::clock::as_of(query.as_of.as_deref())?;
    let organization = &reading.organization;
    let snapshot =
        orgdesign_domain::insights::snapshot(reading.db(), organization.id, as_of).await?;
    let body = structure_csv::export(&snapshot)?;
    let file = format!("{}-structure-{as_of}.csv", organization.slug);
    Ok(csv_file(&reading.req, body, &file))
}

/// A CSV answer, revalidated by its ETag, that browsers save as `file`.
fn csv_file(req: &HttpRequest, body: String, file: &str) -> HttpResponse {
    let mut response =
        crate::http::cache::respond(req, "text/csv; charset=utf-8", "private, no-cache", body);
    if let Ok(value) = header::HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// Export what changed in the structure between two days, as CSV.
///
/// The delta report, one row per change of one value (units added, ended, moved,
/// renamed, re-sourced; positions added, ended, given another holder, title, role or
/// responsibilities; lines added and ended). The same comparison as
/// `Organization.structureChanges(from, to)`; `to` must be after `from`.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{slug}/structure-changes.csv",
    operation_id = "exportStructureChanges",
    tag = "structure",
    params(super::OrganizationSlug, ChangesQuery),
    responses(
        (status = 200, description = "The changes: the header row `change,id,name,field,before,after`, then one row per change", content_type = "text/csv", body = String,
            example = "change,id,name,field,before,after\nunit_changed,0190...,Brandwerk agency,sourcing,IN_HOUSE,OUTSOURCED\n"),
        (status = 400, description = "A malformed slug, a missing or malformed from or to, or a to not after from (the error's field names it)", body = super::ErrorBody),
        super::StructureRefusals,
        super::Unauthenticated,
        super::ReadLimits
    )
)]
pub async fn structure_changes(reading: Reading<Structure>) -> Result<HttpResponse, HttpError> {
    let (from, to) = ChangesQuery::read(reading.req.query_string())?.days()?;
    let organization = &reading.organization;
    let between =
        orgdesign_domain::scenarios::evaluation::between(reading.db(), organization.id, from, to)
            .await?;
    let body = orgdesign_domain::scenarios::delta::csv(&between)?;
    let file = format!("{}-structure-changes-{from}-{to}.csv", organization.slug);
    Ok(csv_file(&reading.req, body, &file))
}

/// Draft a scenario from a structure CSV file.
///
/// The file has the columns of the export; the draft holds the changes that turn the
/// live structure on `effectiveFrom` into the file's. Units with an id
/// are the live ones, units without are created, live units the file leaves out are
/// archived. The file is checked whole before anything is stored: a refused file
/// leaves nothing behind, and its error's field names the line and column
/// (`line[12].function`). Uploading the export unchanged makes a draft whose diff is
/// empty.
#[utoipa::path(
    post,
    path = "/api/v1/organizations/{slug}/scenarios",
    operation_id = "importStructureAsScenario",
    tag = "structure",
    params(
        super::OrganizationSlug,
        ImportQuery,
        super::IdempotencyHeader
    ),
    request_body(content(
        (String = "text/csv", example = "id,unit,function,sourcing,solid_superior,dotted_superiors,head_position,head_role\n,Marketing center,MARKETING,IN_HOUSE,,,Chief Marketing Officer,CMO\n")
    )),
    responses(
        (status = 201, description = "The draft scenario, with the number of its changes; its diff is `Scenario.diff` in GraphQL; a retry with the same Idempotency-Key gets the stored reply", body = ImportedScenario, headers(("Idempotent-Replayed" = String, description = "`true` when this reply is the stored one of an earlier upload with the same Idempotency-Key"))),
        (status = 400, description = "A line of the file, the name or effectiveFrom is wrong, or the slug is malformed; nothing was stored (the error's field names the input at fault: `line[12].solid_superior`, `header`, `name`)", body = super::ErrorBody),
        (status = 403, description = "Only admins and the organization's editors draft scenarios", body = super::ErrorBody),
        (status = 404, description = "No such organization (or not the token's)", body = super::ErrorBody),
        (status = 408, description = "The body did not arrive within the body timeout; nothing was stored", body = super::ErrorBody),
        (status = 409, description = "The organization is archived, its structure changed while the file was compared with it (send it again), or the first upload with this Idempotency-Key is still running", body = super::ErrorBody),
        (status = 413, description = "Too large a body, more units than an organization holds, more changes than a scenario holds, or too many drafts", body = super::ErrorBody),
        (status = 415, description = "Not text/csv", body = super::ErrorBody),
        super::Unauthenticated,
        (status = 422, description = "This Idempotency-Key was used for another request", body = super::ErrorBody),
        (status = 429, description = "Too many requests, or too many bytes of request bodies in flight from this client address", body = super::ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The database is unavailable or did not answer within the request's time limit, or too many writes are waiting for this organization (`UNAVAILABLE`); or the request took longer than the time limit by itself (`LIMIT_EXCEEDED`); nothing was stored unless the message says a change may have been, retry later", body = super::ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait, when the server knows")))
    )
)]
pub async fn import(
    caller: Authenticated,
    req: HttpRequest,
    path: web::Path<super::OrganizationSlug>,
    mut payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    // Roles that may never draft are refused before the organization is looked up,
    // and everything is checked before the body is read.
    let context = caller.context();
    let writer = context.writer()?;
    let org = organization(&state, writer.principal(), &path.slug).await?;
    let content_type = super::media_type_in(&req, &["text/csv"])?;
    let query = ImportQuery::read(req.query_string())?;
    let new = NewScenario {
        organization_id: org.id,
        name: Name::parse("name", &query.name)?,
        description: Description::parse_opt("description", query.description.as_deref())?,
        effective_from: StorableDate::parse_text_or(
            "effectiveFrom",
            query.effective_from.as_deref(),
            orgdesign_domain::clock::today(),
        )?,
    };
    let body = state.bodies.read(&req, &mut payload).await?;
    let attempt = match super::idempotent(&state, &req, org.id, &content_type, &body).await? {
        super::Idempotent::Run(attempt) => attempt,
        super::Idempotent::Answer(stored) => return Ok(stored),
    };
    let rows = structure_csv::parse(
        &body[..],
        usize::try_from(state.limits.max_units_per_organization).unwrap_or(usize::MAX),
    )?;
    let limits = scenarios::limits(&state.limits);
    let row = scenarios::import_structure(&state.store, writer, new, &rows, limits).await?;
    let changes = orgdesign_domain::scenarios::change::from_json(&row.changes)?.len();
    let reply = serde_json::to_string(&ImportedScenario {
        id: row.id,
        name: row.name,
        status: row.status,
        effective_from: row.effective_from,
        version: row.version,
        changes,
    })
    .map_err(|err| Error::from(anyhow::Error::from(err)))?;
    // A refused upload stores no reply: its claim is released with the attempt, so a
    // corrected retry with the same key runs. Should keeping the reply fail, the draft
    // is made all the same, and a retry makes a second one.
    super::keep_reply(attempt, StatusCode::CREATED, &reply).await;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .content_type("application/json")
        .body(reply))
}
