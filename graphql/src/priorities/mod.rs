//! Leadership priorities in the schema.
//!
//! - [`types`]: `PriorityStatus` (latest, trend, history) and `PriorityAssessment`.
//! - [`resolvers`]: the `assessPriority` mutation.
//! - [`loaders`]: the assessments batched across the organizations of a list.

pub mod loaders;
pub mod resolvers;
pub mod types;

pub use resolvers::PriorityMutation;
pub use types::{PriorityAssessmentObject, PriorityStatus, statuses};
