//! What the domain reports for the server's metrics: SQL statements, webhook
//! deliveries, the delivery backlog and the worker's rounds. The server's Prometheus registry
//! (`orgdesign_api::metrics::Metrics`) is the [`Observer`]; the domain names no
//! metrics crate.

use std::time::Duration;

/// Receives the domain's measurements.
pub trait Observer: Send + Sync {
    /// One SQL statement ran for `elapsed`; `failed` if it returned an error.
    fn observe_statement(&self, elapsed: Duration, failed: bool);

    /// One webhook attempt was recorded, by its `outcome` (`delivered`, `retrying`,
    /// `failed`).
    fn observe_webhook_delivery(&self, outcome: &str);

    /// The webhook backlog: deliveries waiting, and the age of the oldest in seconds.
    fn set_webhook_backlog(&self, waiting: u64, oldest_age_secs: f64);

    /// The background worker finished one round: it looked for dated changes that
    /// took effect, insights due and deliveries due.
    fn observe_worker_round(&self);
}
