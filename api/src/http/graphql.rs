//! GraphQL over HTTP, following the GraphQL-over-HTTP specification:
//!
//! - `POST /graphql` with `Content-Type: application/json` (else 415); a body that is
//!   not JSON, or not a GraphQL request, is 400; one over the size limit is 413, one
//!   that does not arrive in time 408, and one past the caps on bytes in flight 429 or
//!   503 (see [`super::body`]). A multipart body (`multipart/form-data`, as uploads
//!   would use) is 415 before anything of it is read.
//! - `GET /graphql?query=...` runs queries only: a mutation is 405 with `Allow: POST`.
//! - The response media type follows `Accept`: `application/graphql-response+json`
//!   when asked for, `application/json` when asked for or when `Accept` is absent or
//!   `*/*`, and 406 otherwise.
//! - With `application/graphql-response+json`, a request that fails before execution
//!   (parse or validation error) is 400 and has no `data`; with `application/json`
//!   every well-formed request is 200, as the specification asks for legacy clients.
//! - Batches (a JSON array of requests) are accepted up to the configured maximum.
//!
//! - `POST` needs a bearer token: without one the answer is 401 before the body is read.
//!   `GET` has no body and may come without one (then every field but `__typename`, and
//!   introspection where the policy lets everyone, answers `UNAUTHENTICATED`).
//!
//! Refusals come in this order: 406 (the [`MediaType`] extractor), then 401, 503 and
//! 429 (the [`Authenticated`] and [`Caller`] extractors: authentication, then the rate
//! limit), then 415, 413 and 400 from reading the request. Every one has the shape of
//! [`super::error`].

use std::time::Instant;

use actix_web::{
    FromRequest, HttpMessage as _, HttpRequest, HttpResponse, ResponseError as _,
    dev::Payload,
    http::{
        StatusCode,
        header::{self, Accept, Quality},
    },
    web,
};
use async_graphql::{BatchRequest, Request, Response, Variables, parser::types::OperationType};
use orgdesign_domain::auth::RequestContext;
use orgdesign_graphql::{
    limits::Access,
    schema::{code_of, ensure_codes, prepare},
};
use serde_json::{Value, value::RawValue};
use tracing::Instrument;

use super::{
    AppState,
    caller::{Authenticated, Caller},
    error::{ErrorCode, HttpError},
    guard,
    operation::Operation,
    persisted::{Lookup, PersistedQueries},
};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type the client accepts for the response: an extractor, refusing with 406
/// before anything else is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    GraphqlResponse,
    Json,
}

impl MediaType {
    fn as_str(self) -> &'static str {
        match self {
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }

    /// Picks from `Accept` as actix parses it: the acceptable type (`q` above 0) with
    /// the highest quality, `application/graphql-response+json` on a tie; wildcards and
    /// an absent header mean `application/json`, for legacy clients. `None` when
    /// nothing acceptable is offered (or the header cannot be read).
    fn negotiate(req: &HttpRequest) -> Option<Self> {
        if !req.headers().contains_key(header::ACCEPT) {
            return Some(Self::Json);
        }
        let accept = req.get_header::<Accept>()?;
        accept
            .iter()
            .filter(|item| item.quality > Quality::ZERO)
            .filter_map(|item| {
                let media = match item.item.essence_str() {
                    GRAPHQL_RESPONSE => Self::GraphqlResponse,
                    JSON | "application/*" | "*/*" => Self::Json,
                    _ => return None,
                };
                Some((item.quality, media == Self::GraphqlResponse, media))
            })
            .max_by_key(|(quality, preferred, _)| (*quality, *preferred))
            .map(|(_, _, media)| media)
    }

    /// A request-level error (the request never reached execution), in this media type.
    fn error(self, status: StatusCode, code: ErrorCode, message: impl Into<String>) -> HttpError {
        HttpError::new(status, code, message).with_content_type(self.as_str())
    }

    fn bad_request(self, message: impl Into<String>) -> HttpError {
        self.error(StatusCode::BAD_REQUEST, ErrorCode::BadUserInput, message)
    }
}

impl FromRequest for MediaType {
    type Error = HttpError;
    type Future = std::future::Ready<Result<Self, HttpError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Self::negotiate(req).ok_or_else(|| {
            Self::Json.error(
                StatusCode::NOT_ACCEPTABLE,
                ErrorCode::BadUserInput,
                format!("this endpoint answers {GRAPHQL_RESPONSE} or {JSON}; send an Accept header with one of them"),
            )
        }))
    }
}

/// Why a request item cannot run.
enum Refusal {
    /// Its shape is wrong: a message for the client.
    Bad(String),
    /// It names a persisted document this process does not know.
    NotPersisted,
}

impl From<String> for Refusal {
    fn from(message: String) -> Self {
        Self::Bad(message)
    }
}

impl MediaType {
    fn refuse(self, refusal: Refusal) -> HttpError {
        match refusal {
            Refusal::Bad(message) => self.bad_request(message),
            // Apollo Client sends the document again on this code (or message).
            Refusal::NotPersisted => self.error(
                if self == Self::GraphqlResponse {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::OK
                },
                ErrorCode::PersistedQueryNotFound,
                "PersistedQueryNotFound",
            ),
        }
    }
}

/// The document of a request: sent as `query`, or named by an automatic persisted
/// query's hash.
fn document(
    persisted: &PersistedQueries,
    query: Option<Value>,
    extensions: Option<&Value>,
) -> Result<String, Refusal> {
    let query = match query {
        None | Some(Value::Null) => None,
        Some(Value::String(q)) => Some(q),
        Some(_) => return Err(Refusal::Bad("`query` must be a string".to_owned())),
    };
    match extensions {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(_) => return Err(Refusal::Bad("`extensions` must be an object".to_owned())),
    }
    match persisted.resolve(query, extensions)? {
        Lookup::Sent(query) => Ok(query),
        Lookup::Found(query) => Ok(query.to_string()),
        Lookup::NotFound => Err(Refusal::NotPersisted),
    }
}

/// Turns one JSON object into a GraphQL request, checking the shape the spec requires.
fn parse_request(value: Value, persisted: &PersistedQueries) -> Result<Request, Refusal> {
    let Value::Object(mut map) = value else {
        return Err(Refusal::Bad(
            "a GraphQL request is a JSON object".to_owned(),
        ));
    };
    let extensions = map.remove("extensions");
    let mut request = Request::new(document(
        persisted,
        map.remove("query"),
        extensions.as_ref(),
    )?);
    match map.remove("operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name),
        Some(_) => return Err(Refusal::Bad("`operationName` must be a string".to_owned())),
    }
    match map.remove("variables") {
        None | Some(Value::Null) => {}
        Some(value @ Value::Object(_)) => {
            request = request.variables(Variables::from_json(value));
        }
        Some(_) => return Err(Refusal::Bad("`variables` must be an object".to_owned())),
    }
    Ok(request)
}

/// A POST request as sent; `variables` stays raw so it is read once, straight into
/// GraphQL values (a push of 5,000 KPI points is most of the body).
#[derive(serde::Deserialize)]
struct WireRequest {
    query: Option<Value>,
    #[serde(rename = "operationName")]
    operation_name: Option<Value>,
    variables: Option<Box<RawValue>>,
    extensions: Option<Value>,
}

/// Turns one raw JSON item of a POST body into a GraphQL request.
fn parse_wire(raw: &RawValue, persisted: &PersistedQueries) -> Result<Request, Refusal> {
    let wire: WireRequest = serde_json::from_str(raw.get())
        .map_err(|_| Refusal::Bad("a GraphQL request is a JSON object".to_owned()))?;
    let mut request = Request::new(document(persisted, wire.query, wire.extensions.as_ref())?);
    match wire.operation_name {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name),
        Some(_) => return Err(Refusal::Bad("`operationName` must be a string".to_owned())),
    }
    if let Some(variables) = wire.variables {
        let text = variables.get().trim_start();
        if text.starts_with('{') {
            let parsed: Variables = serde_json::from_str(variables.get())
                .map_err(|_| Refusal::Bad("`variables` must be an object".to_owned()))?;
            request = request.variables(parsed);
        } else if text != "null" {
            return Err(Refusal::Bad("`variables` must be an object".to_owned()));
        }
    }
    Ok(request)
}

/// Whether a response failed before execution: no data and no error with a path.
fn is_request_error(response: &Response) -> bool {
    !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// A response as the body writes it: the GraphQL response, without `data` for a
/// request error. Serialized straight from async-graphql's values, without building a
/// `serde_json::Value` first (for a list of a thousand units that tree cost as much as
/// writing it).
#[derive(serde::Serialize)]
struct ResponseBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a async_graphql::Value>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [async_graphql::ServerError],
}

fn response_json(response: &Response) -> ResponseBody<'_> {
    ResponseBody {
        data: (!is_request_error(response)).then_some(&response.data),
        extensions: &response.extensions,
        errors: &response.errors,
    }
}

async fn execute(
    state: &AppState,
    context: RequestContext,
    batch: BatchRequest,
    media: MediaType,
) -> HttpResponse {
    let introspect = guard::may_introspect(state.introspection, context.principal.as_ref());
    let access = Access {
        authenticated: context.principal.is_some(),
        may_introspect: introspect,
    };
    let batch = if introspect {
        batch
    } else {
        batch.disable_introspection()
    };
    let (requests, is_batch) = match batch {
        BatchRequest::Single(request) => (vec![request], false),
        BatchRequest::Batch(requests) => (requests, true),
    };
    // The documents' length, all of them together, before any is parsed.
    let length = requests.iter().map(|request| request.query.len()).sum();
    if let Err(error) =
        orgdesign_graphql::limits::check_length(length, state.limits.max_document_bytes)
    {
        let status = if media == MediaType::GraphqlResponse {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        return media
            .error(status, ErrorCode::LimitExceeded, error.message)
            .error_response();
    }
    // Each document is parsed here once for what must be known before it runs.
    let requests: Vec<(Request, Operation)> = requests
        .into_iter()
        .map(|mut request| {
            let operation = Operation::of(&mut request);
            (request, operation)
        })
        .collect();
    let run = async {
        let mut responses = Vec::with_capacity(requests.len());
        for (request, operation) in requests {
            responses.push(execute_one(state, &context, access, request, &operation).await);
        }
        responses
    };
    // Reads and writes alike run within the request's deadline, a write under way
    // excepted (see `deadline`). Dropping the execution rolls back a transaction that
    // did not commit; PostgreSQL also cuts a statement off itself (statement_timeout).
    let responses = match super::deadline::bounded(state, run).await {
        Ok(responses) => responses,
        Err(cut) => {
            // An error in the one shape, 200 for legacy clients as any request error;
            // with graphql-response+json, 503 for a database that did not answer (a
            // server error, worth a retry) and 400 for a request that asked too much.
            let status = match (media, cut.silent) {
                (MediaType::Json, _) => StatusCode::OK,
                (MediaType::GraphqlResponse, true) => StatusCode::SERVICE_UNAVAILABLE,
                (MediaType::GraphqlResponse, false) => StatusCode::BAD_REQUEST,
            };
            let error = media.error(status, cut.code(), cut.message());
            let error = match cut.retry_after() {
                Some(seconds) => error.with_retry_after(seconds),
                None => error,
            };
            return error.error_response();
        }
    };
    let (status, body) = match (is_batch, responses.as_slice()) {
        (false, [one]) => {
            let status = if media == MediaType::GraphqlResponse && is_request_error(one) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            (status, serde_json::to_vec(&response_json(one)))
        }
        (_, many) => (
            StatusCode::OK,
            serde_json::to_vec(&many.iter().map(response_json).collect::<Vec<_>>()),
        ),
    };
    match body {
        Ok(body) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, media.as_str()))
            .body(body),
        Err(err) => {
            tracing::error!(error = %err, "writing a GraphQL response failed");
            HttpError::from(orgdesign_domain::error::Error::Internal(err.into())).error_response()
        }
    }
}

async fn execute_one(
    state: &AppState,
    context: &RequestContext,
    access: Access,
    request: Request,
    operation: &Operation,
) -> Response {
    let span = tracing::info_span!("graphql", operation = %operation.label(), request_id = %context.request_id);
    let started = Instant::now();
    let mut response = match prepare(
        request,
        &state.store.db,
        &state.limits,
        context.clone(),
        access,
    ) {
        // The loaders send their batches when the execution has nothing else ready
        // to run. Unconstrained: tokio's cooperative budget would otherwise make a
        // large resolution pass yield part-way (which the dispatch would wait out, at
        // the cost of extra polls).
        Ok((request, idle)) => {
            idle.dispatching(tokio::task::unconstrained(state.schema.execute(request)))
                .instrument(span.clone())
                .await
        }
        Err(error) => Response::from_errors(vec![error]),
    };
    orgdesign_graphql::schema::limit_errors(&mut response.errors);
    ensure_codes(&mut response.errors);
    let elapsed = started.elapsed();
    span.in_scope(|| {
        tracing::info!(
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            errors = response.errors.len(),
            "graphql operation"
        );
    });
    // Operation names label the metrics only for authenticated callers: anyone else
    // could fill the label slots with made-up names.
    let label = if context.principal.is_some() {
        operation.label()
    } else {
        "unauthenticated"
    };
    state
        .metrics
        .observe_graphql(label, elapsed, response.errors.iter().map(code_of));
    response
}

/// `POST /graphql`. The extractors have negotiated the media type (406), then
/// authenticated the caller (401, also without a token) and counted it against its rate
/// limit (429), all from the request's headers: nothing of the body has been read yet.
pub async fn post(
    media: MediaType,
    caller: Authenticated,
    req: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    if super::media_type(&req) != JSON {
        return Err(media.error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadUserInput,
            "send the request as Content-Type: application/json",
        ));
    }
    let body = state
        .bodies
        .read(&req, &mut payload)
        .await
        .map_err(|err| HttpError::from(err).with_content_type(media.as_str()))?;
    let not_json = || media.bad_request("the request body is not valid JSON");
    let value: Box<RawValue> = serde_json::from_slice(&body).map_err(|_| not_json())?;
    let batch = if value.get().trim_start().starts_with('[') {
        let items =
            serde_json::from_str::<Vec<Box<RawValue>>>(value.get()).map_err(|_| not_json())?;
        if items.is_empty() {
            return Err(media.bad_request("an empty batch"));
        }
        if items.len() > state.limits.max_batch {
            return Err(media.error(
                StatusCode::BAD_REQUEST,
                ErrorCode::LimitExceeded,
                format!(
                    "a batch may hold at most {} operations",
                    state.limits.max_batch
                ),
            ));
        }
        // The request itself was counted when it was let in; every further operation
        // of the batch counts as one more.
        let extra = u32::try_from(items.len() - 1).unwrap_or(u32::MAX);
        let principal = caller.context().principal;
        state
            .rate_limit
            .check_n(&guard::rate_key(&req, principal.as_ref()), extra)
            .map_err(|wait| HttpError::too_many_requests(wait).with_content_type(media.as_str()))?;
        let requests = items
            .iter()
            .map(|item| parse_wire(item, &state.persisted_queries))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|refusal| media.refuse(refusal))?;
        BatchRequest::Batch(requests)
    } else {
        BatchRequest::Single(
            parse_wire(&value, &state.persisted_queries)
                .map_err(|refusal| media.refuse(refusal))?,
        )
    };
    Ok(execute(&state, caller.context(), batch, media).await)
}

/// Query-string parameters of `GET /graphql`.
#[derive(serde::Deserialize)]
pub struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// `GET /graphql`: queries only (a WebSocket upgrade is routed to `ws::serve`). The
/// extractors refuse first, as for POST.
pub async fn get(
    media: MediaType,
    caller: Caller,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let params = web::Query::<GetParams>::from_query(req.query_string())
        .map_err(|_| media.bad_request("the query string could not be read"))?
        .into_inner();
    let mut object = serde_json::Map::new();
    if let Some(query) = params.query {
        object.insert("query".to_owned(), Value::String(query));
    }
    if let Some(name) = params.operation_name {
        object.insert("operationName".to_owned(), Value::String(name));
    }
    for (key, raw) in [
        ("variables", params.variables),
        ("extensions", params.extensions),
    ] {
        if let Some(raw) = raw {
            let value = serde_json::from_str::<Value>(&raw)
                .map_err(|_| media.bad_request(format!("`{key}` must be JSON")))?;
            object.insert(key.to_owned(), value);
        }
    }
    let mut request = parse_request(Value::Object(object), &state.persisted_queries)
        .map_err(|refusal| media.refuse(refusal))?;
    let operation = Operation::of(&mut request);
    if operation
        .kind
        .is_some_and(|kind| kind != OperationType::Query)
    {
        return Err(media
            .error(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::BadUserInput,
                "mutations and subscriptions cannot run over GET; use POST",
            )
            .with_allow("POST"));
    }
    Ok(execute(
        &state,
        caller.into_context(),
        BatchRequest::Single(request),
        media,
    )
    .await)
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn negotiate(accept: Option<&str>) -> Option<MediaType> {
        let mut request = TestRequest::default();
        if let Some(accept) = accept {
            request = request.insert_header((header::ACCEPT, accept));
        }
        MediaType::negotiate(&request.to_http_request())
    }

    #[test]
    fn accept_picks_the_highest_quality_and_graphql_response_on_a_tie() {
        use MediaType::{GraphqlResponse, Json};
        for (accept, expected) in [
            (None, Some(Json)),
            (Some("*/*"), Some(Json)),
            (Some("application/*"), Some(Json)),
            (Some("Application/JSON; charset=utf-8"), Some(Json)),
            (Some(GRAPHQL_RESPONSE), Some(GraphqlResponse)),
            (
                Some("application/json;q=0.5, application/graphql-response+json"),
                Some(GraphqlResponse),
            ),
            (
                Some("application/json, application/graphql-response+json"),
                Some(GraphqlResponse),
            ),
            (
                Some("application/graphql-response+json;q=0.4, application/json;q=0.9"),
                Some(Json),
            ),
            (
                Some("application/graphql-response+json;q=0, text/html"),
                None,
            ),
            (Some("application/xml"), None),
            (Some("not a media type"), None),
        ] {
            assert_eq!(negotiate(accept), expected, "{accept:?}");
        }
    }
}
