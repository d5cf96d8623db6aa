//! Units in the schema: the `Unit` type (its place in the structure as computed
//! fields), its queries and mutations, and the loaders its fields read through.
//!
//! - `types`: the `Unit` object.
//! - `resolvers`: `unit`, `createUnit`, `updateUnit`, `archiveUnit`.
//! - `loaders`: units by id and by organization.

mod loaders;
mod resolvers;
mod types;

pub use loaders::{UnitById, UnitsByOrganization};
pub use resolvers::{UnitMutation, UnitQuery};
pub use types::{Unit, prefetched};
