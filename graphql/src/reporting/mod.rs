//! Reporting lines in the schema.
//!
//! - `types`: the `ReportingLine` object.
//! - `resolvers`: the reporting-line queries and mutations.
//! - `loaders`: lines in effect on a date, line history, by unit and organization.

mod loaders;
mod resolvers;
mod types;

pub use loaders::{LineHistoryByUnit, LinesAsOf, LinesByOrganization};
pub use resolvers::{ReportingMutation, ReportingQuery};
pub use types::{ReportingLine, prefetched};
