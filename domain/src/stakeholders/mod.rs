//! Stakeholders and the relationships marketing keeps with them: internal ones point
//! at a unit (finance, IT, a business unit), external ones are groups (customers,
//! investors, the board ...). Every review of a relationship is kept.
//!
//! - [`service`]: creating stakeholders and relationships, reviewing relationships;
//!   reading them.

pub mod service;
