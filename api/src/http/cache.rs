//! Validators for documents a client may already hold: a strong `ETag` (a hash of the
//! body) and `304 Not Modified` for a matching `If-None-Match`.

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, HeaderValue},
};
use sha2::{Digest, Sha256};

/// Answers `body` with an `ETag`, or `304` without a body when the request's
/// `If-None-Match` names that tag (or `*`). `cache_control` is sent either way.
pub fn respond(
    req: &HttpRequest,
    content_type: &str,
    cache_control: &str,
    body: String,
) -> HttpResponse {
    let etag = format!("\"{}\"", &sha256_hex(body.as_bytes())[..32]);
    let matches = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|candidate| candidate.trim().trim_start_matches("W/"))
        .any(|candidate| candidate == etag || candidate == "*");
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
    if matches {
        response.finish()
    } else {
        response.content_type(content_type).body(body)
    }
}

/// The SHA-256 of `bytes`, lower-case hex: ETags, persisted-query hashes, GraphiQL's
/// asset names.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
