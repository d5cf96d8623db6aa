//! Webhooks in the schema: endpoints, their delivery log, and the mutations that
//! manage them.
//!
//! - [`types`]: the endpoint, delivery and attempt objects.
//! - [`resolvers`]: the webhook queries and mutations.

pub mod resolvers;
pub mod types;

pub use resolvers::{WebhookMutation, WebhookQuery};
