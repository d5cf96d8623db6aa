//! Units: departments, teams, business units and outside agencies.

mod loaders;
mod resolvers;
pub mod service;
mod types;

pub use loaders::{UnitById, UnitsByOrganization};
pub use resolvers::{UnitMutation, UnitQuery};
pub use types::Unit;
