//! The transactional outbox: the events a change writes into its own transaction, so
//! a committed change always has its events and a rolled-back one never does.
//!
//! Services call [`enqueue`] inside their write transaction, before the commit; the
//! delivery worker (`webhooks::worker`) sends what was committed.

pub mod service;

pub use service::{enqueue, insights_may_have_changed};
