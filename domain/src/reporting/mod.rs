//! Reporting lines over time: who reports to whom, SOLID or DOTTED, from when to when.
//!
//! Lines are never rewritten to change history: ending a line sets its
//! `effective_to`, replacing one ends it and starts another, so the structure can be
//! asked "as of" any date. Only a line recorded in error is deleted.
//!
//! - [`service`]: adding, replacing, ending and deleting lines; reading them.
//! - [`structure`]: the shape of the structure on a date and its invariants (pure).

pub mod service;
pub mod structure;
