//! Scenarios in the schema.
//!
//! - [`input`]: `ScenarioChangeInput`, the `@oneOf` input a change is given as.
//! - [`types`]: the scenario, its evaluation and the structure it would make.
//! - [`diff`]: its comparison with live (`ScenarioDiff`), which also compares two days
//!   of the live structure.
//! - [`parts`]: its units, lines and positions as the schema shows them, shared by
//!   both.
//! - [`resolvers`]: the scenario queries and mutations.

pub mod diff;
pub mod input;
pub mod parts;
pub mod resolvers;
pub mod types;
