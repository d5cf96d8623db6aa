//! KPIs in the schema: definitions, targets, series, funnel and freshness, and the
//! `recordKpiMeasurements` mutation.
//!
//! - `types`: the KPI objects and inputs.
//! - `resolvers`: the KPI queries and mutations, and the fields an organization
//!   reads KPIs through.
//! - [`loaders`]: `kpiSeries` and `kpis(stage)` batched across a list, and the
//!   built-in KPIs of a stage.

pub mod loaders;
mod resolvers;
mod types;

pub use loaders::{BuiltInKpisByStage, DefinitionsOf, SeriesOf, SeriesRequest};
pub use resolvers::{KpiMutation, KpiQuery};
pub(crate) use resolvers::{definitions, series_of, series_request};
pub use types::*;
