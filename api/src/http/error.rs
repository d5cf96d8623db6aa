//! The one error shape of every HTTP answer that is not a GraphQL execution result: REST,
//! the refusals in front of `/graphql`, unknown paths and methods.
//!
//! It is GraphQL's own, so a client parses one shape whichever door it came in by:
//!
//! ```json
//! { "errors": [{ "message": "line[3].value: not a decimal number",
//!                "extensions": { "code": "BAD_USER_INPUT", "field": "line[3].value" } }] }
//! ```
//!
//! [`HttpError`] is actix's [`ResponseError`]: extractors and handlers return it and the
//! framework renders it. A 401 always carries `WWW-Authenticate: Bearer` (RFC 9110 asks
//! for it on every 401), a 429 `Retry-After` (as does a 503 that knows when to retry), a
//! 405 `Allow`. Internal causes are logged
//! when an [`Error`] is converted and never sent.

use std::{fmt, time::Duration};

use actix_web::{
    HttpResponse, ResponseError,
    http::{
        StatusCode,
        header::{self, HeaderName, HeaderValue},
    },
};
use orgdesign_domain::error::Error;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Exactly one error.
    pub errors: Vec<ErrorItem>,
}

/// One error, as in a GraphQL response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorItem {
    /// For people: what went wrong and, where it helps, what to do.
    pub message: String,
    pub extensions: ErrorExtensions,
}

/// What a program acts on.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorExtensions {
    pub code: ErrorCode,
    /// The input at fault, e.g. `points[3].value`, `line[12].periodStart` or `asOf`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The stable codes, the same as GraphQL's `extensions.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    LimitExceeded,
    Unavailable,
    Internal,
    /// Apollo's automatic persisted queries: the hash names no document this server
    /// knows; send the document with it.
    PersistedQueryNotFound,
}

impl From<&Error> for ErrorCode {
    fn from(err: &Error) -> Self {
        answer_of(err).1
    }
}

/// The HTTP status and the stable code a domain error answers with.
fn answer_of(err: &Error) -> (StatusCode, ErrorCode) {
    match err {
        Error::Unauthenticated => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated),
        Error::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
        Error::NotFound { .. } => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
        Error::BadInput { .. } => (StatusCode::BAD_REQUEST, ErrorCode::BadUserInput),
        Error::Conflict { .. } => (StatusCode::CONFLICT, ErrorCode::Conflict),
        Error::LimitExceeded(_) => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::LimitExceeded),
        Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
        Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
    }
}

const JSON: &str = "application/json";

/// An error answer: status, code, message, the field at fault and the headers its
/// status calls for.
#[derive(Debug)]
pub struct HttpError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    field: Option<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
    content_type: &'static str,
}

impl HttpError {
    /// An error with `status` and `code`.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            headers: Vec::new(),
            content_type: JSON,
        }
    }

    /// The same error with another status (415 for a `BAD_USER_INPUT` about the
    /// `Content-Type`, 422 for a `CONFLICT` about an `Idempotency-Key`, ...).
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The same error answered as `content_type` (`/graphql` answers its negotiated
    /// media type).
    #[must_use]
    pub fn with_content_type(mut self, content_type: &'static str) -> Self {
        self.content_type = content_type;
        self
    }

    #[must_use]
    fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The same error with `Retry-After: seconds` (a 429 or 503 that knows how long).
    #[must_use]
    pub fn with_retry_after(self, seconds: u64) -> Self {
        self.with_header(header::RETRY_AFTER, HeaderValue::from(seconds))
    }

    /// The same error with `Allow: allow` (for a 405).
    #[must_use]
    pub fn with_allow(self, allow: &'static str) -> Self {
        self.with_header(header::ALLOW, HeaderValue::from_static(allow))
    }

    /// 401: a bearer token that does not check out; `advice` says which way (expired,
    /// signed with another key, revoked, not a JWT) and what to do. The full reason is
    /// logged by the caller at debug level.
    pub fn bad_token(advice: &'static str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, advice)
    }

    /// 401: a request that needs a bearer token came without one.
    pub fn authentication_required() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "authentication required: send Authorization: Bearer <token>",
        )
    }

    /// 429 with `Retry-After` in whole seconds (at least one).
    pub fn too_many_requests(wait: Duration) -> Self {
        let seconds = wait.as_secs().max(1);
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::LimitExceeded,
            format!("too many requests; retry in {seconds} s"),
        )
        .with_retry_after(seconds)
    }

    /// 503: the database cannot be asked.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            message,
        )
    }

    /// 404 for a path no route serves.
    pub fn no_route() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no such path; GraphQL is at /graphql, REST under /api/v1 (see /api/openapi.json)",
        )
    }

    /// 405 with `Allow`.
    pub fn method_not_allowed(allow: &'static str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::BadUserInput,
            format!("this path answers {allow}"),
        )
        .with_allow(allow)
    }

    /// The body as sent.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            errors: vec![ErrorItem {
                message: self.message.clone(),
                extensions: ErrorExtensions {
                    code: self.code,
                    field: self.field.clone(),
                },
            }],
        }
    }
}

impl From<Error> for HttpError {
    fn from(err: Error) -> Self {
        let (status, code) = answer_of(&err);
        err.log_cause();
        let answer = Self {
            field: err.field().map(str::to_owned),
            ..Self::new(status, code, err.to_string())
        };
        // A service error a retry may cure says when (an `UNAVAILABLE`: 503).
        match err.retry_after() {
            Some(wait) => answer.with_retry_after(wait.as_secs().max(1)),
            None => answer,
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, self.content_type));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        for (name, value) in &self.headers {
            response.insert_header((name.clone(), value.clone()));
        }
        response.body(serde_json::to_string(&self.body()).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use actix_web::{body::to_bytes, http::header::HeaderMap};
    use serde_json::{Value, json};

    use super::*;

    async fn render(err: HttpError) -> (StatusCode, HeaderMap, Value) {
        let response = err.error_response();
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body()).await.unwrap_or_default();
        (
            status,
            headers,
            serde_json::from_slice(&body).unwrap_or(Value::Null),
        )
    }

    fn header_of(headers: &HeaderMap, name: HeaderName) -> &str {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("<none>")
    }

    #[actix_web::test]
    async fn a_service_error_keeps_its_code_and_field_and_a_401_asks_for_a_bearer_token() {
        let (status, _, body) =
            render(Error::bad_input("line[3].value", "not a decimal").into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({ "errors": [{ "message": "line[3].value: not a decimal",
                "extensions": { "code": "BAD_USER_INPUT", "field": "line[3].value" } }] })
        );
        let (status, headers, body) = render(Error::Unauthenticated.into()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(header_of(&headers, header::WWW_AUTHENTICATE), "Bearer");
        assert_eq!(
            body["errors"][0]["extensions"],
            json!({ "code": "UNAUTHENTICATED" })
        );
    }

    #[actix_web::test]
    async fn internal_causes_stay_in_the_log() {
        let err = Error::Internal(anyhow::anyhow!("relation \"secret_table\" does not exist"));
        let (status, _, body) = render(err.into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["errors"][0]["message"], "internal error");
        assert_eq!(body["errors"][0]["extensions"]["code"], "INTERNAL");
    }

    #[actix_web::test]
    async fn limits_and_methods_say_when_and_how_to_retry() {
        let (status, headers, _) =
            render(HttpError::too_many_requests(Duration::from_millis(10))).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(header_of(&headers, header::RETRY_AFTER), "1");
        let (status, headers, body) = render(HttpError::method_not_allowed("GET, POST")).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(header_of(&headers, header::ALLOW), "GET, POST");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }

    #[actix_web::test]
    async fn an_unreachable_database_or_a_busy_organization_is_a_503_with_retry_after() {
        use orgdesign_domain::error::Unavailable;
        let down = Error::Unavailable(Unavailable::Database(sea_orm::DbErr::Conn(
            sea_orm::RuntimeErr::Internal("connection refused".to_owned()),
        )));
        let (status, headers, body) = render(down.into()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(header_of(&headers, header::RETRY_AFTER), "5");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE");
        assert_eq!(
            body["errors"][0]["message"], "the database is unavailable, try again later",
            "the cause stays in the log"
        );
        let busy = Error::Unavailable(Unavailable::Busy("too many writes are waiting"));
        let (status, headers, body) = render(busy.into()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(header_of(&headers, header::RETRY_AFTER), "1");
        assert_eq!(body["errors"][0]["message"], "too many writes are waiting");
    }
}
