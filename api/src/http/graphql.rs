//! GraphQL over HTTP, following the GraphQL-over-HTTP specification:
//!
//! - `POST /graphql` with `Content-Type: application/json` (else 415); a body that is
//!   not JSON, or not a GraphQL request, is 400; one over the size limit is 413.
//! - `GET /graphql?query=...` runs queries only: a mutation is 405 with `Allow: POST`.
//! - The response media type follows `Accept`: `application/graphql-response+json`
//!   when asked for, `application/json` when asked for or when `Accept` is absent or
//!   `*/*`, and 406 otherwise.
//! - With `application/graphql-response+json`, a request that fails before execution
//!   (parse or validation error) is 400 and has no `data`; with `application/json`
//!   every well-formed request is 200, as the specification asks for legacy clients.
//! - Batches (a JSON array of requests) are accepted up to the configured maximum.

use std::time::{Duration, Instant};

use actix_web::{
    HttpRequest, HttpResponse,
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
    web,
};
use async_graphql::{
    BatchRequest, BatchResponse, Request, Response, Variables,
    parser::{parse_query, types::OperationType},
};
use serde_json::{Value, json, value::RawValue};
use tracing::Instrument;
use tracing_actix_web::RequestId;

use super::{AppState, guard};
use crate::{
    auth::RequestContext,
    graphql::{code_of, ensure_codes, prepare},
};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The media type the client accepts for the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
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

    /// Picks from `Accept`, honouring order and `q=0`.
    fn negotiate(req: &HttpRequest) -> Option<Self> {
        let Some(accept) = req.headers().get(header::ACCEPT) else {
            return Some(Self::Json);
        };
        let accept = accept.to_str().ok()?;
        let mut best: Option<(f32, Self)> = None;
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            let candidate = match media.as_str() {
                GRAPHQL_RESPONSE => Self::GraphqlResponse,
                JSON | "application/*" | "*/*" => Self::Json,
                _ => continue,
            };
            // Prefer the higher q; on a tie, graphql-response+json.
            let better = match best {
                None => true,
                Some((bq, bm)) => {
                    q > bq || (q == bq && candidate == Self::GraphqlResponse && bm != candidate)
                }
            };
            if better {
                best = Some((q, candidate));
            }
        }
        best.map(|(_, media)| media)
    }
}

/// A request-level error (the request never reached execution) as a response.
fn request_error(status: StatusCode, media: MediaType, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, media.as_str()))
        .json(json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }))
}

fn not_acceptable() -> HttpResponse {
    HttpResponse::NotAcceptable()
        .insert_header((header::CONTENT_TYPE, MediaType::Json.as_str()))
        .json(json!({ "errors": [{
            "message": format!("this endpoint answers {GRAPHQL_RESPONSE} or {JSON}; send an Accept header with one of them"),
            "extensions": { "code": "BAD_USER_INPUT" }
        }] }))
}

/// `/graphql` with any method but GET and POST.
pub async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "GET, POST"))
        .json(json!({ "errors": [{ "message": "use POST (or GET for queries)", "extensions": { "code": "BAD_USER_INPUT" } }] }))
}

/// Turns one JSON object into a GraphQL request, checking the shape the spec requires.
fn parse_request(value: Value) -> Result<Request, String> {
    let Value::Object(mut map) = value else {
        return Err("a GraphQL request is a JSON object".to_owned());
    };
    let query = match map.remove("query") {
        Some(Value::String(q)) => q,
        Some(_) => return Err("`query` must be a string".to_owned()),
        None => return Err("`query` is required".to_owned()),
    };
    let mut request = Request::new(query);
    match map.remove("operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name),
        Some(_) => return Err("`operationName` must be a string".to_owned()),
    }
    match map.remove("variables") {
        None | Some(Value::Null) => {}
        Some(value @ Value::Object(_)) => {
            request = request.variables(Variables::from_json(value));
        }
        Some(_) => return Err("`variables` must be an object".to_owned()),
    }
    match map.remove("extensions") {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(_) => return Err("`extensions` must be an object".to_owned()),
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
fn parse_wire(raw: &RawValue) -> Result<Request, String> {
    let wire: WireRequest = serde_json::from_str(raw.get())
        .map_err(|_| "a GraphQL request is a JSON object".to_owned())?;
    let query = match wire.query {
        Some(Value::String(q)) => q,
        Some(_) => return Err("`query` must be a string".to_owned()),
        None => return Err("`query` is required".to_owned()),
    };
    let mut request = Request::new(query);
    match wire.operation_name {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name),
        Some(_) => return Err("`operationName` must be a string".to_owned()),
    }
    if let Some(variables) = wire.variables {
        let text = variables.get().trim_start();
        if text.starts_with('{') {
            let parsed: Variables = serde_json::from_str(variables.get())
                .map_err(|_| "`variables` must be an object".to_owned())?;
            request = request.variables(parsed);
        } else if text != "null" {
            return Err("`variables` must be an object".to_owned());
        }
    }
    match wire.extensions {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(_) => return Err("`extensions` must be an object".to_owned()),
    }
    Ok(request)
}

fn request_id(req: &HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|id| id.to_string())
        .unwrap_or_default()
}

use actix_web::HttpMessage as _;

/// Whether a response failed before execution: no data and no error with a path.
fn is_request_error(response: &Response) -> bool {
    !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty())
}

fn response_json(response: &Response) -> Value {
    let mut value = serde_json::to_value(response).unwrap_or_else(|_| json!({}));
    if is_request_error(response)
        && let Value::Object(map) = &mut value
    {
        map.remove("data");
    }
    value
}

async fn execute(
    state: &AppState,
    req: &HttpRequest,
    batch: BatchRequest,
    media: MediaType,
) -> HttpResponse {
    let principal = match guard::authenticate(state, req).await {
        Ok(principal) => principal,
        Err(refusal) => return refusal,
    };
    if let Err(wait) = state
        .rate_limit
        .check(&guard::rate_key(req, principal.as_ref()))
    {
        return guard::too_many_requests(wait);
    }
    let introspect = guard::may_introspect(state.introspection, principal.as_ref());
    let batch = if introspect {
        batch
    } else {
        batch.disable_introspection()
    };
    let context = RequestContext {
        request_id: request_id(req),
        principal,
    };
    // Only reads are stopped when they run out of time. A mutation cut off mid-commit
    // may still commit (SQLite finishes a statement it was handed), and answering
    // "stopped" for a change that landed would be a lie; mutations run to their end,
    // each PostgreSQL statement still bounded by statement_timeout.
    let writes = match &batch {
        BatchRequest::Single(request) => is_mutation(request),
        BatchRequest::Batch(requests) => requests.iter().any(is_mutation),
    };
    let timeout = if writes {
        Duration::MAX
    } else {
        Duration::from_millis(state.limits.request_timeout_ms)
    };
    let run = async {
        match batch {
            BatchRequest::Single(request) => {
                BatchResponse::Single(execute_one(state, &context, request).await)
            }
            BatchRequest::Batch(requests) => {
                let mut responses = Vec::with_capacity(requests.len());
                for request in requests {
                    responses.push(execute_one(state, &context, request).await);
                }
                BatchResponse::Batch(responses)
            }
        }
    };
    // Dropping the execution on timeout rolls back any open transaction; PostgreSQL
    // also cuts the statement itself off (statement_timeout, set on every connection).
    let Ok(response) = tokio::time::timeout(timeout, run).await else {
        tracing::warn!(
            timeout_ms = state.limits.request_timeout_ms,
            "a request ran out of time"
        );
        let status = if media == MediaType::GraphqlResponse {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        return request_error(
            status,
            media,
            "LIMIT_EXCEEDED",
            &format!(
                "the request took longer than {} ms and was stopped",
                state.limits.request_timeout_ms
            ),
        );
    };
    let (status, body) = match &response {
        BatchResponse::Single(one) => {
            let status = if media == MediaType::GraphqlResponse && is_request_error(one) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            (status, response_json(one))
        }
        BatchResponse::Batch(many) => (
            StatusCode::OK,
            Value::Array(many.iter().map(response_json).collect()),
        ),
    };
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, media.as_str()))
        .json(body)
}

async fn execute_one(state: &AppState, context: &RequestContext, request: Request) -> Response {
    let operation = operation_name(&request);
    let span =
        tracing::info_span!("graphql", operation = %operation, request_id = %context.request_id);
    let started = Instant::now();
    let request = prepare(request, &state.store.db, context.clone());
    // Unconstrained: tokio's cooperative budget would otherwise make a large resolution
    // pass yield part-way, letting a DataLoader's batch window close on half of the
    // keys of one level, so the statement count of a query would depend on its size.
    let mut response = tokio::task::unconstrained(state.schema.execute(request))
        .instrument(span.clone())
        .await;
    ensure_codes(&mut response.errors);
    let elapsed = started.elapsed();
    span.in_scope(|| {
        tracing::info!(
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            errors = response.errors.len(),
            "graphql operation"
        );
    });
    state
        .metrics
        .observe_graphql(&operation, elapsed, response.errors.iter().map(code_of));
    response
}

/// The operation's name for logs and metrics: `operationName`, else the name of the
/// document's only operation, else `anonymous`.
fn operation_name(request: &Request) -> String {
    if let Some(name) = &request.operation_name {
        return name.clone();
    }
    parse_query(&request.query)
        .ok()
        .and_then(|doc| {
            let mut ops = doc.operations.iter();
            match (ops.next(), ops.next()) {
                (Some((name, _)), None) => name.map(|n| n.to_string()),
                _ => None,
            }
        })
        .unwrap_or_else(|| "anonymous".to_owned())
}

/// Whether the operation a request selects is a mutation (unparsable documents are not:
/// they fail before anything runs).
fn is_mutation(request: &Request) -> bool {
    parse_query(&request.query).is_ok_and(|document| {
        document.operations.iter().any(|(name, operation)| {
            operation.node.ty == OperationType::Mutation
                && (request.operation_name.is_none()
                    || name.map(|n| n.as_str()) == request.operation_name.as_deref())
        })
    })
}

/// `POST /graphql`.
pub async fn post(
    req: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(media) = MediaType::negotiate(&req) else {
        return not_acceptable();
    };
    if super::media_type(&req) != JSON {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "BAD_USER_INPUT",
            "send the request as Content-Type: application/json",
        );
    }
    let body = match super::read_body(&mut payload, state.limits.max_body_bytes).await {
        Ok(body) => body,
        Err(super::BodyError::Unreadable) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                "BAD_USER_INPUT",
                "the request body could not be read",
            );
        }
        Err(super::BodyError::TooLarge(limit)) => {
            return request_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                media,
                "LIMIT_EXCEEDED",
                &format!("the request body is larger than {limit} bytes"),
            );
        }
    };
    let value: Box<RawValue> = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                "BAD_USER_INPUT",
                "the request body is not valid JSON",
            );
        }
    };
    let batch = match value.get().trim_start().starts_with('[') {
        true => {
            let Ok(items) = serde_json::from_str::<Vec<Box<RawValue>>>(value.get()) else {
                return request_error(
                    StatusCode::BAD_REQUEST,
                    media,
                    "BAD_USER_INPUT",
                    "the request body is not valid JSON",
                );
            };
            if items.is_empty() {
                return request_error(
                    StatusCode::BAD_REQUEST,
                    media,
                    "BAD_USER_INPUT",
                    "an empty batch",
                );
            }
            if items.len() > state.limits.max_batch {
                return request_error(
                    StatusCode::BAD_REQUEST,
                    media,
                    "LIMIT_EXCEEDED",
                    &format!(
                        "a batch may hold at most {} operations",
                        state.limits.max_batch
                    ),
                );
            }
            match items
                .iter()
                .map(|item| parse_wire(item))
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(requests) => BatchRequest::Batch(requests),
                Err(message) => {
                    return request_error(
                        StatusCode::BAD_REQUEST,
                        media,
                        "BAD_USER_INPUT",
                        &message,
                    );
                }
            }
        }
        false => match parse_wire(&value) {
            Ok(request) => BatchRequest::Single(request),
            Err(message) => {
                return request_error(StatusCode::BAD_REQUEST, media, "BAD_USER_INPUT", &message);
            }
        },
    };
    execute(&state, &req, batch, media).await
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

/// `GET /graphql`: queries only, or a WebSocket upgrade for subscriptions.
pub async fn get(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    if super::ws::is_upgrade(&req) {
        return super::ws::serve(req, payload, state).await;
    }
    let Some(media) = MediaType::negotiate(&req) else {
        return not_acceptable();
    };
    let Ok(params) = web::Query::<GetParams>::from_query(req.query_string()) else {
        return request_error(
            StatusCode::BAD_REQUEST,
            media,
            "BAD_USER_INPUT",
            "the query string could not be read",
        );
    };
    let params = params.into_inner();
    let Some(query) = params.query else {
        return request_error(
            StatusCode::BAD_REQUEST,
            media,
            "BAD_USER_INPUT",
            "`query` is required",
        );
    };
    if let Ok(document) = parse_query(&query) {
        let selected = document.operations.iter().find(|(name, _)| {
            params.operation_name.is_none()
                || name.map(|n| n.as_str()) == params.operation_name.as_deref()
        });
        if let Some((_, operation)) = selected
            && operation.node.ty != OperationType::Query
        {
            return HttpResponse::MethodNotAllowed()
                .insert_header((header::ALLOW, HeaderValue::from_static("POST")))
                .insert_header((header::CONTENT_TYPE, media.as_str()))
                .json(json!({ "errors": [{
                    "message": "mutations and subscriptions cannot run over GET; use POST",
                    "extensions": { "code": "BAD_USER_INPUT" }
                }] }));
        }
    }
    let mut object = serde_json::Map::new();
    object.insert("query".to_owned(), Value::String(query));
    if let Some(name) = params.operation_name {
        object.insert("operationName".to_owned(), Value::String(name));
    }
    for (key, raw) in [
        ("variables", params.variables),
        ("extensions", params.extensions),
    ] {
        if let Some(raw) = raw {
            match serde_json::from_str::<Value>(&raw) {
                Ok(value) => {
                    object.insert(key.to_owned(), value);
                }
                Err(_) => {
                    return request_error(
                        StatusCode::BAD_REQUEST,
                        media,
                        "BAD_USER_INPUT",
                        &format!("`{key}` must be JSON"),
                    );
                }
            }
        }
    }
    match parse_request(Value::Object(object)) {
        Ok(request) => execute(&state, &req, BatchRequest::Single(request), media).await,
        Err(message) => request_error(StatusCode::BAD_REQUEST, media, "BAD_USER_INPUT", &message),
    }
}
