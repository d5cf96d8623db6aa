//! Stakeholders and relationships in the schema.
//!
//! - [`types`]: the `Stakeholder`, `Relationship` and `RelationshipReview` objects.
//! - [`resolvers`]: their mutations.
//! - [`loaders`]: stakeholders and relationships batched across a list.

pub mod loaders;
pub mod resolvers;
pub mod types;

pub use resolvers::RelationshipMutation;
pub use types::{RelationshipObject, RelationshipReview, StakeholderObject};
