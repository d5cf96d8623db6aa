//! Maturity: the stage an organization declares (with its history) and the stage its
//! KPI data evidences.
//!
//! - [`evidence`]: which stage the KPI data evidences, as pure functions.
//! - [`service`]: declaring a stage; reading declarations and core-KPI freshness.
//! - [`loaders`]: those reads batched across the organizations of a list.
//! - [`types`]: the `Maturity` and `StageAssessment` GraphQL objects.
//! - [`resolvers`]: the `declareStage` mutation.

pub mod evidence;
pub mod loaders;
pub mod resolvers;
pub mod service;
pub mod types;

pub use resolvers::MaturityMutation;
pub use types::{Maturity, StageAssessmentObject};
