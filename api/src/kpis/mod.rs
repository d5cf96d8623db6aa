//! KPIs: definitions (built-in and an organization's own), targets, measurements
//! pushed by integrations, and the series, funnel and freshness read from them.
//!
//! A measurement is identified by its natural key (organization, KPI, unit,
//! granularity, period start, source, dimensions). Pushing the same point again
//! changes nothing; a new value for the same key is a correction (revision + 1, the
//! previous value kept with who and when). So every push is idempotent and a client
//! may retry a batch it did not see acknowledged.

mod ingest;
pub mod loaders;
mod resolvers;
pub mod series;
pub mod service;
mod types;
pub mod wire;

pub use ingest::{ParsedPoint, RecordCounts, record};
pub use loaders::{DefinitionsOf, SeriesOf, SeriesRequest};
pub use resolvers::{KpiMutation, KpiQuery};
pub(crate) use resolvers::{definitions, series_of, series_request};
pub use types::*;
