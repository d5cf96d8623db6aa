//! Insights in the schema: the collaboration model and the insights of an
//! organization on a date, from the snapshot the request loads once.
//!
//! - [`types`]: the `CollaborationModelReport` and `Insight` objects.
//! - [`loaders`]: the request's batch of snapshots ([`SnapshotAsOf`]).

pub mod loaders;
pub mod types;

pub use loaders::SnapshotAsOf;
pub use types::{CollaborationModelReport, InsightObject, chart_window, request_snapshot};
