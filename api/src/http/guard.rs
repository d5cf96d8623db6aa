//! The policies a request passes before it runs: the per-subject rate limit, the
//! introspection policy, and [`Shares`], the caps on what clients hold at once (bytes of
//! request bodies being read, WebSocket connections). [`super::caller`] applies the rate
//! limit, [`super::body`] and [`super::ws`] the shares.

use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use actix_web::HttpRequest;
use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};
use orgdesign_domain::{
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

impl RateLimit {
    /// `Err(wait)` when `key` cannot take `n` more requests now: the further operations
    /// of a batch, each counted like a request of its own. A batch larger than the
    /// burst can never pass; it waits a minute.
    pub fn check_n(&self, key: &str, n: u32) -> Result<(), Duration> {
        let Some(n) = NonZeroU32::new(n) else {
            return Ok(());
        };
        match self.limiter.check_key_n(&key.to_owned(), n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(not_until.wait_time_from(self.clock.now())),
            Err(_) => Err(Duration::from_secs(60)),
        }
    }
}

/// The rate-limit key of a request: its principal, else its client address.
pub fn rate_key(req: &HttpRequest, principal: Option<&Principal>) -> String {
    match principal {
        Some(p) => subject_key(p),
        None => address_key(req),
    }
}

/// The key of a principal, shared by every token with its subject.
pub fn subject_key(principal: &Principal) -> String {
    format!("sub:{}", principal.subject)
}

/// The key of a request's client address (the TCP peer's: behind a proxy, the proxy's).
pub fn address_key(req: &HttpRequest) -> String {
    format!(
        "ip:{}",
        req.peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    )
}

/// Which cap a [`Shares::take`] or [`Share::grow`] would have passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    /// The key's own cap: this client holds too much.
    Key,
    /// The cap over every key: the process holds too much.
    Total,
}

/// Amounts held at once, per key (a client address, a subject) and in all, each under
/// its cap. What a [`Share`] took is given back when the share is dropped, however the
/// request or connection holding it ends.
pub struct Shares {
    held: Arc<Mutex<Held>>,
}

#[derive(Debug)]
struct Held {
    by_key: HashMap<String, usize>,
    total: usize,
    per_key_cap: usize,
    total_cap: usize,
}

impl Held {
    fn lock(held: &Mutex<Self>) -> MutexGuard<'_, Self> {
        // The counts stay consistent across a panic elsewhere: every change is one step.
        held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Shares {
    /// At most `per_key` for each key and `total` over all of them.
    pub fn new(per_key: usize, total: usize) -> Self {
        Self {
            held: Arc::new(Mutex::new(Held {
                by_key: HashMap::new(),
                total: 0,
                per_key_cap: per_key,
                total_cap: total,
            })),
        }
    }

    /// Takes `amount` for `key`, or says which cap it would pass (the key's is checked
    /// first: a client over its own share is told so, whatever the others hold).
    pub fn take(&self, key: String, amount: usize) -> Result<Share, Over> {
        let mut share = Share {
            held: self.held.clone(),
            key,
            amount: 0,
        };
        share.grow(amount)?;
        Ok(share)
    }

    /// What `key` holds now.
    pub fn held_by(&self, key: &str) -> usize {
        Held::lock(&self.held).by_key.get(key).copied().unwrap_or(0)
    }
}

/// An amount held for one key; given back on drop.
#[derive(Debug)]
pub struct Share {
    held: Arc<Mutex<Held>>,
    key: String,
    amount: usize,
}

impl Share {
    /// What this share holds.
    pub fn amount(&self) -> usize {
        self.amount
    }

    /// Takes `more` for the same key, or says which cap it would pass (then the share
    /// keeps what it held).
    pub fn grow(&mut self, more: usize) -> Result<(), Over> {
        if more == 0 {
            return Ok(());
        }
        let mut held = Held::lock(&self.held);
        let of_key = held.by_key.get(&self.key).copied().unwrap_or(0);
        if of_key.saturating_add(more) > held.per_key_cap {
            return Err(Over::Key);
        }
        if held.total.saturating_add(more) > held.total_cap {
            return Err(Over::Total);
        }
        held.by_key.insert(self.key.clone(), of_key + more);
        held.total += more;
        self.amount += more;
        Ok(())
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        if self.amount == 0 {
            return;
        }
        let mut held = Held::lock(&self.held);
        held.total = held.total.saturating_sub(self.amount);
        let left = held
            .by_key
            .get(&self.key)
            .copied()
            .unwrap_or(0)
            .saturating_sub(self.amount);
        if left == 0 {
            // Forgotten at once, so the table holds only keys that hold something.
            held.by_key.remove(&self.key);
        } else {
            held.by_key.insert(self.key.clone(), left);
        }
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly
mod tests {
    use super::*;

    #[test]
    fn shares_cap_each_key_and_the_total_and_give_back_on_drop() {
        let shares = Shares::new(10, 15);
        let a = shares.take("a".into(), 8).unwrap();
        assert_eq!(shares.take("a".into(), 3).unwrap_err(), Over::Key);
        let mut b = shares.take("b".into(), 5).unwrap();
        assert_eq!(b.grow(3).unwrap_err(), Over::Total, "8 + 8 is over 15");
        assert_eq!(b.amount(), 5, "a refused growth keeps what was held");
        b.grow(2).unwrap();
        assert_eq!((shares.held_by("a"), shares.held_by("b")), (8, 7));
        drop(a);
        assert_eq!(shares.held_by("a"), 0);
        let again = shares.take("a".into(), 8).unwrap();
        assert_eq!(again.amount(), 8);
        drop(b);
        drop(again);
        assert!(Held::lock(&shares.held).by_key.is_empty());
        assert_eq!(Held::lock(&shares.held).total, 0);
    }

    #[test]
    fn an_empty_share_holds_nothing_and_is_never_over() {
        let shares = Shares::new(0, 0);
        let share = shares.take("a".into(), 0).unwrap();
        assert_eq!(share.amount(), 0);
        assert_eq!(shares.take("a".into(), 1).unwrap_err(), Over::Key);
        drop(share);
        assert!(Held::lock(&shares.held).by_key.is_empty());
    }
}
