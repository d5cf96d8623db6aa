//! Correlation with the caller's own tracing: an incoming `X-Request-Id` becomes the
//! request's id (echoed, logged, written to the audit log), and a W3C `traceparent`
//! puts its trace id into the request's log span and is answered with a `traceparent`
//! of the same trace.

use actix_web::{
    HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::HeaderMap,
};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

/// An incoming `X-Request-Id` the server adopts: 1 to 128 letters, digits and `._:-`.
pub fn incoming_request_id(headers: &HeaderMap) -> Option<&str> {
    let id = headers.get("x-request-id")?.to_str().ok()?;
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    ok.then_some(id)
}

/// The trace id and flags of a valid W3C `traceparent` (version 00).
pub fn incoming_trace(headers: &HeaderMap) -> Option<(&str, &str)> {
    let value = headers.get("traceparent")?.to_str().ok()?;
    let mut parts = value.split('-');
    let (version, trace, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let valid = version == "00"
        && parts.next().is_none()
        && hex(trace, 32)
        && hex(parent, 16)
        && hex(flags, 2)
        && trace.bytes().any(|b| b != b'0')
        && parent.bytes().any(|b| b != b'0');
    valid.then_some((trace, flags))
}

/// The `traceparent` to answer: the caller's trace, this request as the parent.
pub fn outgoing_traceparent(headers: &HeaderMap) -> Option<String> {
    let (trace, flags) = incoming_trace(headers)?;
    let span = uuid::Uuid::new_v4().simple().to_string();
    Some(format!("00-{trace}-{}-{flags}", &span[..16]))
}

/// The root span of every request: tracing-actix-web's, plus the caller's request id
/// and trace id when it sent them.
pub struct RootSpan;

impl RootSpanBuilder for RootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let headers = request.headers();
        let client_request_id = incoming_request_id(headers).unwrap_or_default().to_owned();
        let trace_id = incoming_trace(headers)
            .map(|(trace, _)| trace)
            .unwrap_or_default()
            .to_owned();
        tracing_actix_web::root_span!(
            request,
            client_request_id = %client_request_id,
            trace_id = %trace_id
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// The request's id: the caller's `X-Request-Id` when it sent a valid one, else the one
/// tracing-actix-web generated.
pub fn request_id_of(headers: &HeaderMap, extensions: &actix_web::dev::Extensions) -> String {
    match incoming_request_id(headers) {
        Some(id) => id.to_owned(),
        None => extensions
            .get::<tracing_actix_web::RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default(),
    }
}

/// [`request_id_of`] for a request being served.
pub fn request_id(req: &impl HttpMessage) -> String {
    request_id_of(req.headers(), &req.extensions())
}
