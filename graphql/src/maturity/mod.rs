//! Maturity in the schema.
//!
//! - [`types`]: the `Maturity` and `StageAssessment` objects.
//! - [`resolvers`]: the `declareStage` mutation.
//! - [`loaders`]: declarations and core-KPI freshness batched across a list.

pub mod loaders;
pub mod resolvers;
pub mod types;

pub use resolvers::MaturityMutation;
pub use types::{Maturity, StageAssessmentObject};
