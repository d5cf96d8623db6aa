//! Leadership priorities: scored assessments of the four priorities of marketing
//! leaders (company values, stakeholder relationships, new-media capability, trust),
//! appended so their history and trend show.
//!
//! - [`service`]: assessing a priority; reading the assessments.

pub mod service;

/// A score under this is low: the `PRIORITY_SCORED_LOW` insight fires.
pub const LOW_SCORE: i32 = 40;
