//! Maturity: the stage an organization declares (with its history) and the stage its
//! KPI data evidences.
//!
//! - [`evidence`]: which stage the KPI data evidences, as pure functions.
//! - [`service`]: declaring a stage; reading declarations and core-KPI freshness.

pub mod evidence;
pub mod service;
