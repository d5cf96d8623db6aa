//! Organizations: the tenants.
//!
//! - [`service`]: creating, updating and archiving organizations; the organization
//!   lock structural writes and KPI pushes take first; listing with filter, order
//!   and pages.

pub mod service;
