//! Organizations: the tenants. Their GraphQL type, queries, mutations, service and
//! loader.

mod loaders;
mod prefetch;
mod resolvers;
pub mod service;
mod types;

pub use loaders::OrganizationById;
pub use resolvers::{OrganizationMutation, OrganizationQuery};
pub use types::Organization;
