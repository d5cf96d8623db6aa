//! The policies a request passes before it runs: the per-subject rate limit and the
//! introspection policy. [`super::caller`] applies the rate limit.

use std::{
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use actix_web::HttpRequest;
use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};

use crate::{
    auth::{Principal, Role},
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

/// Whether this principal may introspect the schema.
pub fn may_introspect(policy: IntrospectionPolicy, principal: Option<&Principal>) -> bool {
    match policy {
        IntrospectionPolicy::Everyone => true,
        IntrospectionPolicy::Authenticated => principal.is_some(),
        IntrospectionPolicy::Admins => principal.is_some_and(|p| p.role == Role::Admin),
    }
}
