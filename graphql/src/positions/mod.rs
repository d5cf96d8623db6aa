//! Positions in the schema.
//!
//! - `types`: the `Position` object.
//! - `resolvers`: the position queries and mutations.
//! - `loaders`: positions by unit and by organization.

mod loaders;
mod resolvers;
mod types;

pub use loaders::{PositionsByOrganization, PositionsByUnit};
pub use resolvers::{PositionMutation, PositionQuery};
pub use types::{Position, prefetched};
