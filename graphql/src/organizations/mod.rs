//! Organizations in the schema: the `Organization` type, its queries and mutations,
//! its loader, and the prefetch that primes the per-unit loaders from an
//! organization-level read.
//!
//! - `types`: the `Organization` object.
//! - `resolvers`: `organization`, `organizations`, and the organization mutations.
//! - `loaders`: organizations by id.
//! - `prefetch`: the rows below an organization's units, loaded once per organization.

mod loaders;
mod prefetch;
mod resolvers;
mod types;

pub use loaders::OrganizationById;
pub use resolvers::{OrganizationMutation, OrganizationQuery};
pub use types::{Organization, prefetched};
