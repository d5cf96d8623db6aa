//! Scenarios in the schema.
//!
//! - [`input`]: `ScenarioChangeInput`, the `@oneOf` input a change is given as.
//! - [`types`]: the scenario, its evaluation and its comparison with live.
//! - [`resolvers`]: the scenario queries and mutations.

pub mod input;
pub mod resolvers;
pub mod types;
