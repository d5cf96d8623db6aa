//! Leadership priorities: scored assessments of the four priorities of marketing
//! leaders (company values, stakeholder relationships, new-media capability, trust),
//! appended so their history and trend show.
//!
//! - [`service`]: assessing a priority; reading the assessments.
//! - [`loaders`]: the assessments batched across the organizations of a list.
//! - [`types`]: `PriorityStatus` (latest, trend, history) and `PriorityAssessment`.
//! - [`resolvers`]: the `assessPriority` mutation.

pub mod loaders;
pub mod resolvers;
pub mod service;
pub mod types;

pub use resolvers::PriorityMutation;
pub use types::{PriorityAssessmentObject, PriorityStatus, statuses};

/// A score under this is low: the `PRIORITY_SCORED_LOW` insight fires.
pub const LOW_SCORE: i32 = 40;
