//! Webhooks: the organization's events, sent to the endpoints its admins and editors
//! register, per the Standard Webhooks specification (signed, retried with back-off,
//! at least once), from a transactional outbox.
//!
//! - [`event`]: the event types and their wire names.
//! - [`outbox`]: [`outbox::enqueue`], which services call inside their write
//!   transaction, and [`outbox::insights_may_have_changed`].
//! - [`watch`]: insights watched for `insight.raised` / `insight.resolved` (pure diff;
//!   its service takes the baseline and evaluates).
//! - [`service`]: endpoints and their delivery log (create, update, rotate, delete,
//!   redeliver, ping).
//! - [`worker`]: the delivery worker and its storage steps (claims per endpoint, `FOR
//!   UPDATE SKIP LOCKED` on PostgreSQL, attempts, retries, auto-disable).
//! - [`sender`]: the HTTP client, the resolver that refuses private addresses after
//!   DNS, bounded replies; [`target`]: the URL and address rules; [`signing`]: secrets
//!   and signatures; [`retry`]: the back-off schedule.
//! - [`types`], [`resolvers`]: GraphQL.

pub mod event;
pub mod outbox;
pub mod resolvers;
pub mod retry;
pub mod sender;
pub mod service;
pub mod signing;
pub mod target;
pub mod types;
pub mod watch;
pub mod worker;

pub use event::EventType;
pub use resolvers::{WebhookMutation, WebhookQuery};
pub use sender::Sender;
