//! Scenarios: a draft reorganization of one organization, what it would change, and
//! its promotion to the live structure.
//!
//! A scenario is an ordered list of typed structure changes dated `effectiveFrom`.
//! It is evaluated by applying the changes in memory to the same snapshot the insight
//! rules read — never by writing live tables — so its collaboration model, insights,
//! spans, depth and chart come from the same pure functions as the live
//! organization's. Its diff against live is the product.
//!
//! - [`change`]: the change types, as they are stored.
//! - [`apply`]: applying changes to a snapshot, with the live invariants (pure).
//! - [`diff`]: comparing the live structure with the scenario's (pure).
//! - [`structure_csv`]: the structure as an HRIS-style CSV file: export, parse, and
//!   the changes that turn the live structure into a file's (pure).
//! - [`service`]: drafting, rebasing, discarding, promoting.
//! - [`evaluation`]: reading scenarios and evaluating drafts against live, and two days
//!   of the live structure against each other (`between`).
//! - [`delta`]: what changed between two days as a CSV file (the delta report).
//! - `promotion`: applying a draft's changes through the services, in one transaction.

pub mod apply;
pub mod change;
pub mod delta;
pub mod diff;
pub mod evaluation;
mod promotion;
pub mod service;
pub mod structure_csv;
#[cfg(test)]
mod tests;
