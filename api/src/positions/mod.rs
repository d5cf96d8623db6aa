//! Positions: the leadership roles heading units (CMO, CCO, VP Sales ...).

mod loaders;
mod resolvers;
pub mod service;
mod types;

pub use loaders::{PositionsByOrganization, PositionsByUnit};
pub use resolvers::{PositionMutation, PositionQuery};
pub use types::{Position, responsibilities};
