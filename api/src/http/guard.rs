//! What every GraphQL request passes before it runs: authentication (the bearer
//! token), the per-principal rate limit and the introspection policy.

use std::{
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use actix_web::{HttpRequest, HttpResponse, http::header};
use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};
use serde_json::json;

use super::AppState;
use crate::{
    auth::{Principal, Role, service as integration},
    error::Error,
    settings::{IntrospectionPolicy, Limits},
};

/// Requests per principal, over every operation of the request.
pub struct RateLimit {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl RateLimit {
    /// A limiter for the configured rate and burst.
    pub fn new(limits: &Limits) -> Self {
        let per_minute =
            NonZeroU32::new(limits.requests_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.request_burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            ),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// `Err(wait)` when `key` is over its rate.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        // Forget idle keys now and then, so the table does not grow without bound.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4_096 == 4_095 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// A refusal, ready to send.
pub fn refusal(status: actix_web::http::StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
        .json(json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }))
}

fn unauthenticated() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
        .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
        .json(json!({ "errors": [{
            "message": "the bearer token is missing, malformed, expired, revoked or not for this service",
            "extensions": { "code": "UNAUTHENTICATED" }
        }] }))
}

/// The principal the request's bearer token names: `Ok(None)` without a token,
/// `Err(response)` for a token that does not check out (the reason is logged at debug
/// level and never sent).
pub async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<Principal>, HttpResponse> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(token) = token else {
        tracing::debug!("refused: the Authorization header is not a bearer token");
        return Err(unauthenticated());
    };
    let claims = match state.keys.verify(token) {
        Ok(claims) => claims,
        Err(reason) => {
            tracing::debug!(%reason, "refused a bearer token");
            return Err(unauthenticated());
        }
    };
    if claims.role == Role::Integration {
        let jti = claims.jti.clone().unwrap_or_default();
        match integration::is_active(&state.store.db, &jti).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(%jti, "refused an integration token that is revoked, expired or unknown");
                return Err(unauthenticated());
            }
            Err(Error::Unavailable(err)) => {
                tracing::warn!(error = %err, "database unavailable while checking a token");
                return Err(refusal(
                    actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                    "UNAVAILABLE",
                    "the database is unavailable, try again later",
                ));
            }
            Err(err) => {
                tracing::error!(error = ?err, "checking an integration token failed");
                return Err(refusal(
                    actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                    "UNAVAILABLE",
                    "tokens cannot be checked right now, try again later",
                ));
            }
        }
    }
    Ok(Some(claims.principal()))
}

/// The rate-limit key of a request: its principal, else its client address.
pub fn rate_key(req: &HttpRequest, principal: Option<&Principal>) -> String {
    match principal {
        Some(p) => format!("sub:{}", p.subject),
        None => format!(
            "ip:{}",
            req.peer_addr()
                .map(|a| a.ip().to_string())
                .unwrap_or_default()
        ),
    }
}

/// A 429 with `Retry-After`.
pub fn too_many_requests(wait: Duration) -> HttpResponse {
    let seconds = wait.as_secs().max(1);
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, seconds.to_string()))
        .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
        .json(json!({ "errors": [{
            "message": format!("too many requests; retry in {seconds} s"),
            "extensions": { "code": "LIMIT_EXCEEDED" }
        }] }))
}

/// Whether this principal may introspect the schema.
pub fn may_introspect(policy: IntrospectionPolicy, principal: Option<&Principal>) -> bool {
    match policy {
        IntrospectionPolicy::Everyone => true,
        IntrospectionPolicy::Authenticated => principal.is_some(),
        IntrospectionPolicy::Admins => principal.is_some_and(|p| p.role == Role::Admin),
    }
}
