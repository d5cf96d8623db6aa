//! KPIs: definitions (built-in and an organization's own), targets, measurements
//! pushed by integrations, and the series, funnel and freshness read from them.
//!
//! A measurement is identified by its natural key (organization, KPI, unit,
//! granularity, period start, source, dimensions). Pushing the same point again
//! changes nothing; a new value for the same key is a correction (revision + 1, the
//! previous value kept with who and when). So every push is idempotent and a client
//! may retry a batch it did not see acknowledged.
//!
//! - [`service`]: definitions and targets.
//! - `ingest`: recording points ([`record`]).
//! - [`series`]: series (one organization or many at once), funnel, freshness,
//!   rolled up in SQL.

mod ingest;
pub mod series;
pub mod service;

pub use ingest::{MAX_DIMENSIONS, ParsedPoint, RecordCounts, record};
