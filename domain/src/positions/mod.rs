//! Positions: the leadership roles heading units (CMO, CCO, VP Sales ...).
//!
//! - [`service`]: creating, changing and archiving positions; reading them.

pub mod service;

pub use service::responsibilities;
