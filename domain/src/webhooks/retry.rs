//! When a failed delivery is tried again: exponential back-off with jitter, within a
//! window after the event, then never.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::settings::WebhookSettings;

/// The retry schedule of `[webhooks]`.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// The delay after the first failed attempt.
    pub base: Duration,
    /// The longest delay between two attempts.
    pub max_interval: Duration,
    /// How long after its event a delivery is retried.
    pub window: Duration,
}

/// How far the jitter moves a delay either way: ±20%, small enough that each delay
/// still exceeds the one before it (a doubled delay at its lowest, 1.6×, beats the
/// previous at its highest, 1.2×).
const JITTER: f64 = 0.2;

impl Schedule {
    /// The schedule of `settings`.
    pub fn from_settings(settings: &WebhookSettings) -> Self {
        Self {
            base: Duration::from_millis(settings.retry_base_ms),
            max_interval: Duration::from_millis(settings.retry_max_interval_ms),
            window: Duration::from_secs(settings.retry_window_secs),
        }
    }

    /// The delay after the `failed`-th failed attempt (1 for the first):
    /// `base × 2^(failed-1)`, at most `max_interval`, moved by `jitter` (a number in
    /// [0, 1), 0.5 for none) by up to ±20%.
    pub fn delay(&self, failed: u32, jitter: f64) -> Duration {
        let doubled = self
            .base
            .saturating_mul(2u32.saturating_pow(failed.saturating_sub(1).min(30)));
        let capped = doubled.min(self.max_interval);
        capped.mul_f64(1.0 + JITTER * (2.0 * jitter.clamp(0.0, 1.0) - 1.0))
    }

    /// When to try again after the `failed`-th failed attempt at `now`, of an event
    /// from `event_at`; `None` once that would fall past the window: the delivery has
    /// failed.
    pub fn next(
        &self,
        event_at: DateTime<Utc>,
        now: DateTime<Utc>,
        failed: u32,
        jitter: f64,
    ) -> Option<DateTime<Utc>> {
        let next = now + chrono::Duration::from_std(self.delay(failed, jitter)).ok()?;
        let last = event_at + chrono::Duration::from_std(self.window).ok()?;
        (next <= last).then_some(next)
    }
}

/// A number in [0, 1) from the operating system's random source (through a v4 UUID's
/// random bits), for jitter.
pub fn jitter() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() >> 75;
    // 53 random bits over 2^53.
    (bits as f64) / ((1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Schedule {
        Schedule::from_settings(&WebhookSettings::default())
    }

    #[test]
    fn delays_double_with_jitter_and_keep_growing() {
        let s = schedule();
        assert_eq!(s.delay(1, 0.5), Duration::from_secs(30));
        assert_eq!(s.delay(2, 0.5), Duration::from_secs(60));
        assert_eq!(s.delay(3, 0.5), Duration::from_secs(120));
        assert_eq!(s.delay(40, 0.5), Duration::from_secs(6 * 3_600));
        // Until the cap (30 s × 2^9 ≈ 4.3 h is the last doubling below 6 h).
        for failed in 1..10 {
            assert!(
                s.delay(failed + 1, 0.0) > s.delay(failed, 0.999_999),
                "the delay after failure {failed} is below the one before"
            );
        }
        assert!(s.delay(1, 0.0) >= Duration::from_secs(24));
        assert!(s.delay(1, 0.999_999) <= Duration::from_secs(36));
    }

    #[test]
    fn retries_stop_after_the_window() {
        let s = schedule();
        let event = Utc::now();
        assert!(s.next(event, event, 1, 0.5).is_some());
        let late = event + chrono::Duration::hours(23);
        assert_eq!(s.next(event, late, 12, 0.5), None);
        let mut now = event;
        let mut attempts = 1;
        while let Some(next) = s.next(event, now, attempts, 0.5) {
            now = next;
            attempts += 1;
        }
        // 30 s doubling up to 6 h: about thirteen attempts within the day.
        assert!((11..=15).contains(&attempts), "{attempts} attempts");
        assert!(now - event <= chrono::Duration::hours(24));
    }

    #[test]
    fn jitter_stays_in_its_range() {
        for _ in 0..1_000 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }
}
