//! Webhooks: the organization's events, sent to the endpoints its admins and editors
//! register, per the Standard Webhooks specification (signed, retried with back-off,
//! at least once), from a transactional outbox.
//!
//! - [`event`]: the event types and their wire names.
//! - [`outbox`]: [`outbox::enqueue`], which services call inside their write
//!   transaction, and [`outbox::insights_may_have_changed`].
//! - [`watch`]: insights watched for `insight.raised` / `insight.resolved` (pure diff;
//!   [`watch::evaluation`] takes the baseline and evaluates).
//! - [`endpoints`]: endpoints and their delivery log (create, update, rotate, delete,
//!   redeliver, ping).
//! - [`worker`]: the delivery worker, and in [`worker::deliveries`] its storage steps
//!   (claims per endpoint, `FOR UPDATE SKIP LOCKED` on PostgreSQL, attempts, retries,
//!   auto-disable).
//! - [`delivery`]: what one attempt sends and finds, and the [`delivery::Transport`]
//!   that sends it (the server's HTTP client, `orgdesign_api::webhooks::Sender`).
//! - [`target`]: the URL and address rules; [`signing`]: secrets and signatures;
//!   [`retry`]: the back-off schedule.

pub mod delivery;
pub mod endpoints;
pub mod event;
pub mod outbox;
pub mod retry;
pub mod signing;
pub mod target;
pub mod watch;
pub mod worker;

pub use event::EventType;
