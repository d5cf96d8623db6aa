//! Units: departments, teams, business units and outside agencies.
//!
//! - [`service`]: creating, changing and archiving units; reading them.

pub mod service;
