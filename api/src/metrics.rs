//! Prometheus metrics, rendered as text at `GET /metrics`.

use std::{collections::HashSet, sync::Mutex, time::Duration};

use orgdesign_domain::observe::Observer;
use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder, core::Collector,
};

/// The service's metrics, one registry per application (tests run several in a process).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    graphql_duration: HistogramVec,
    graphql_errors: IntCounterVec,
    db_statements: IntCounter,
    db_statement_errors: IntCounter,
    db_statement_duration: Histogram,
    db_pool: IntGaugeVec,
    webhook_deliveries: IntCounterVec,
    webhook_queue_depth: IntGauge,
    webhook_oldest_age: Gauge,
    worker_rounds: IntCounter,
    /// Operation names seen so far: clients choose them, so the label set is capped.
    operations: Mutex<HashSet<String>>,
}

/// Most distinct operation names kept as labels; later ones count as `other`.
const MAX_OPERATION_LABELS: usize = 200;

impl Metrics {
    /// Registers every metric in a fresh registry.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("orgdesign".to_owned()), None)?;
        let http_requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route and status",
            ),
            &["method", "route", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route",
            ),
            &["route"],
        )?;
        let graphql_duration = HistogramVec::new(
            HistogramOpts::new(
                "graphql_operation_duration_seconds",
                "GraphQL operation latency by operation name",
            ),
            &["operation"],
        )?;
        let graphql_errors = IntCounterVec::new(
            Opts::new("graphql_errors_total", "GraphQL errors by extensions.code"),
            &["code"],
        )?;
        let db_statements =
            IntCounter::new("db_statements_total", "SQL statements sent to the database")?;
        let db_statement_errors =
            IntCounter::new("db_statement_errors_total", "SQL statements that failed")?;
        let db_statement_duration = Histogram::with_opts(HistogramOpts::new(
            "db_statement_duration_seconds",
            "SQL statement latency",
        ))?;
        let db_pool = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Pooled database connections by state",
            ),
            &["state"],
        )?;
        let webhook_deliveries = IntCounterVec::new(
            Opts::new(
                "webhook_deliveries_total",
                "Webhook delivery attempts by outcome: delivered, retrying (failed, tried \
                 again later) or failed (given up)",
            ),
            &["outcome"],
        )?;
        let webhook_queue_depth = IntGauge::new(
            "webhook_queue_depth",
            "Webhook deliveries waiting for their first or next attempt, across replicas",
        )?;
        let webhook_oldest_age = Gauge::new(
            "webhook_oldest_undelivered_age_seconds",
            "Age of the event of the oldest webhook delivery still waiting",
        )?;
        let worker_rounds = IntCounter::new(
            "worker_rounds_total",
            "Rounds of the background worker (dated changes that took effect, insights \
             due, webhook deliveries due); a count that stops rising is a stuck worker",
        )?;
        let collectors: [Box<dyn Collector>; 12] = [
            Box::new(http_requests.clone()),
            Box::new(http_duration.clone()),
            Box::new(graphql_duration.clone()),
            Box::new(graphql_errors.clone()),
            Box::new(db_statements.clone()),
            Box::new(db_statement_errors.clone()),
            Box::new(db_statement_duration.clone()),
            Box::new(db_pool.clone()),
            Box::new(webhook_deliveries.clone()),
            Box::new(webhook_queue_depth.clone()),
            Box::new(webhook_oldest_age.clone()),
            Box::new(worker_rounds.clone()),
        ];
        for collector in collectors {
            registry.register(collector)?;
        }
        // Always 1; its labels say which build answers (Prometheus' `build_info` idiom).
        let build_info = IntGaugeVec::new(
            Opts::new(
                "build_info",
                "The running build: always 1, labelled with its version",
            ),
            &["version"],
        )?;
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        registry.register(Box::new(build_info))?;
        Ok(Self {
            registry,
            http_requests,
            http_duration,
            graphql_duration,
            graphql_errors,
            db_statements,
            db_statement_errors,
            db_statement_duration,
            db_pool,
            webhook_deliveries,
            webhook_queue_depth,
            webhook_oldest_age,
            worker_rounds,
            operations: Mutex::new(HashSet::new()),
        })
    }

    /// Records one finished HTTP request.
    pub fn observe_http(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.http_requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.http_duration
            .with_label_values(&[route])
            .observe(elapsed.as_secs_f64());
    }

    /// Records one executed GraphQL operation and the codes of its errors.
    pub fn observe_graphql<'a>(
        &self,
        operation: &str,
        elapsed: Duration,
        error_codes: impl Iterator<Item = &'a str>,
    ) {
        let label = self.operation_label(operation);
        self.graphql_duration
            .with_label_values(&[label.as_str()])
            .observe(elapsed.as_secs_f64());
        for code in error_codes {
            self.graphql_errors.with_label_values(&[code]).inc();
        }
    }

    fn operation_label(&self, operation: &str) -> String {
        if operation.len() > 64 {
            return "other".to_owned();
        }
        let Ok(mut seen) = self.operations.lock() else {
            return "other".to_owned();
        };
        if seen.contains(operation) {
            operation.to_owned()
        } else if seen.len() < MAX_OPERATION_LABELS {
            seen.insert(operation.to_owned());
            operation.to_owned()
        } else {
            "other".to_owned()
        }
    }

    /// SQL statements sent so far.
    pub fn statements(&self) -> u64 {
        self.db_statements.get()
    }

    /// Renders the Prometheus text format, with the pool gauges read at this moment.
    pub fn render(&self, pool_open: u32, pool_idle: usize) -> String {
        self.db_pool
            .with_label_values(&["open"])
            .set(i64::from(pool_open));
        self.db_pool
            .with_label_values(&["idle"])
            .set(i64::try_from(pool_idle).unwrap_or(i64::MAX));
        let mut buffer = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metrics; an error would leave
        // a partial page, which Prometheus reports as a scrape error.
        if let Err(err) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(error = %err, "encoding metrics failed");
        }
        String::from_utf8_lossy(&buffer).into_owned()
    }
}

/// The domain's reports (statements, webhook deliveries) land in the registry.
impl Observer for Metrics {
    /// Records one SQL statement.
    fn observe_statement(&self, elapsed: Duration, failed: bool) {
        self.db_statements.inc();
        if failed {
            self.db_statement_errors.inc();
        }
        self.db_statement_duration.observe(elapsed.as_secs_f64());
    }

    /// Counts one webhook attempt by its `outcome` (`delivered`, `retrying`, `failed`).
    fn observe_webhook_delivery(&self, outcome: &str) {
        self.webhook_deliveries.with_label_values(&[outcome]).inc();
    }

    /// Sets the webhook backlog: deliveries waiting, and the age of the oldest.
    fn set_webhook_backlog(&self, waiting: u64, oldest_age_secs: f64) {
        self.webhook_queue_depth
            .set(i64::try_from(waiting).unwrap_or(i64::MAX));
        self.webhook_oldest_age.set(oldest_age_secs);
    }

    /// Counts one round of the background worker.
    fn observe_worker_round(&self) {
        self.worker_rounds.inc();
    }
}
