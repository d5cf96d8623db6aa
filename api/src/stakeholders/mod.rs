//! Stakeholders and the relationships marketing keeps with them: internal ones point
//! at a unit (finance, IT, a business unit), external ones are groups (customers,
//! investors, the board ...). Every review of a relationship is kept.
//!
//! - [`service`]: creating stakeholders and relationships, reviewing relationships;
//!   reading them.
//! - [`loaders`]: those reads batched across the organizations of a list.
//! - [`types`]: the `Stakeholder`, `Relationship` and `RelationshipReview` objects.
//! - [`resolvers`]: their mutations.

pub mod loaders;
pub mod resolvers;
pub mod service;
pub mod types;

pub use resolvers::RelationshipMutation;
pub use types::{RelationshipObject, RelationshipReview, StakeholderObject};
