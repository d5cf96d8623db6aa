//! Webhook endpoints, deliveries and attempts in GraphQL. No object carries a secret
//! but the two replies that create one.

use async_graphql::{Description, Enum, ID, Object, SimpleObject};
use entity::{webhook_attempt, webhook_delivery, webhook_endpoint};
use orgdesign_domain::webhooks::outbox::{DELIVERED, FAILED, PENDING};

use crate::scalars::Timestamp;

/// Where an organization's events are sent.
#[derive(Debug, Clone, Description)]
pub struct WebhookEndpoint(pub webhook_endpoint::Model);

#[Object(use_type_description)]
impl WebhookEndpoint {
    /// The endpoint's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The organization whose events it gets.
    async fn organization_id(&self) -> ID {
        ID(self.0.organization_id.to_string())
    }

    /// Where deliveries are `POST`ed.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// The event types it gets, e.g. `structure.changed`.
    async fn events(&self) -> Vec<String> {
        self.0
            .events
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .filter_map(|e| e.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What it is for; null when none was given.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Whether a delivery waits until the earlier ones to this endpoint succeeded (or
    /// were given up), so events arrive in the order they happened.
    async fn ordered(&self) -> bool {
        self.0.ordered
    }

    /// Whether deliveries are sent. The server disables an endpoint that has failed
    /// every attempt for three days (see `disabledReason`).
    async fn enabled(&self) -> bool {
        self.0.enabled
    }

    /// Why the server disabled it; null when enabled, or disabled by hand.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }

    /// When it was disabled; null while enabled.
    async fn disabled_at(&self) -> Option<Timestamp> {
        self.0.disabled_at.map(Timestamp::from)
    }

    /// The first failed attempt since the last success; null while deliveries succeed.
    async fn failing_since(&self) -> Option<Timestamp> {
        self.0.failing_since.map(Timestamp::from)
    }

    /// Until when the secret before the last rotation still signs too.
    async fn previous_secret_expires_at(&self) -> Option<Timestamp> {
        self.0
            .previous_secret_expires_at
            .filter(|at| *at > orgdesign_domain::clock::now())
            .map(Timestamp::from)
    }

    /// When it was created.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }

    /// When it was last changed.
    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at.into()
    }

    /// Send it back with `updateWebhookEndpoint`: a newer stored one is a `CONFLICT`.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// The reply of `createWebhookEndpoint`: the only time the secret is shown.
#[derive(SimpleObject, Debug)]
pub struct CreatedWebhookEndpoint {
    /// The new endpoint.
    pub endpoint: WebhookEndpoint,
    /// The signing secret, `whsec_` + base64. Store it now: it cannot be shown again.
    pub secret: String,
}

/// The reply of `rotateWebhookSecret`: the only time the new secret is shown.
#[derive(SimpleObject, Debug)]
pub struct RotatedWebhookSecret {
    /// The endpoint, with its new version.
    pub endpoint: WebhookEndpoint,
    /// The new signing secret. The previous one signs too until
    /// `endpoint.previousSecretExpiresAt`.
    pub secret: String,
}

/// The reply of `deleteWebhookEndpoint`.
#[derive(SimpleObject, Debug)]
pub struct DeletedWebhookEndpoint {
    /// The id of the endpoint deleted.
    pub id: ID,
}

/// Where a delivery stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookDeliveryState {
    /// Waiting for its first or next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up: its retries ran out (24 hours), its endpoint was disabled, or a ping
    /// that failed.
    Failed,
}

/// How an attempt ended.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookAttemptOutcome {
    /// A 2xx in time.
    Success,
    /// Another status.
    HttpError,
    /// No answer in time.
    Timeout,
    /// DNS, connection or TLS failed.
    NetworkError,
    /// Not sent: the URL, or the address its host resolved to, is not allowed.
    Refused,
}

/// One event to one endpoint, with every attempt.
#[derive(Debug, Clone, Description)]
pub struct WebhookDelivery {
    pub row: webhook_delivery::Model,
    pub attempts: Vec<webhook_attempt::Model>,
}

#[Object(use_type_description)]
impl WebhookDelivery {
    /// The delivery's id (for `redeliverWebhook`).
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    /// The endpoint it goes to.
    async fn endpoint_id(&self) -> ID {
        ID(self.row.endpoint_id.to_string())
    }

    /// The `webhook-id` header: the same for every attempt and every redelivery of
    /// the event.
    async fn webhook_id(&self) -> String {
        orgdesign_domain::webhooks::worker::webhook_id(self.row.event_id)
    }

    /// E.g. `structure.changed`, or `webhook.ping`.
    async fn event_type(&self) -> &str {
        &self.row.event_type
    }

    /// When the event happened.
    async fn event_at(&self) -> Timestamp {
        self.row.event_at.into()
    }

    /// Pending, delivered or given up.
    async fn state(&self) -> WebhookDeliveryState {
        match self.row.state.as_str() {
            DELIVERED => WebhookDeliveryState::Delivered,
            FAILED => WebhookDeliveryState::Failed,
            _ => WebhookDeliveryState::Pending,
        }
    }

    /// Attempts made so far.
    async fn attempt_count(&self) -> i32 {
        self.row.attempts
    }

    /// When the next attempt is due, while it is pending.
    async fn next_attempt_at(&self) -> Option<Timestamp> {
        (self.row.state == PENDING).then(|| self.row.next_attempt_at.into())
    }

    /// The status of the last attempt's reply, if there was one.
    async fn last_status(&self) -> Option<i32> {
        self.row.last_status
    }

    /// What went wrong last, if anything.
    async fn last_error(&self) -> Option<&str> {
        self.row.last_error.as_deref()
    }

    /// The delivery this one sends again (`redeliverWebhook`).
    async fn redelivery_of(&self) -> Option<ID> {
        self.row.redelivery_of.map(|id| ID(id.to_string()))
    }

    /// When the delivery was queued.
    async fn created_at(&self) -> Timestamp {
        self.row.created_at.into()
    }

    /// When it was delivered or given up.
    async fn completed_at(&self) -> Option<Timestamp> {
        self.row.completed_at.map(Timestamp::from)
    }

    /// Every attempt, first to last.
    async fn attempts(&self) -> Vec<WebhookAttempt> {
        self.attempts.iter().cloned().map(WebhookAttempt).collect()
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Description)]
pub struct WebhookAttempt(pub webhook_attempt::Model);

#[Object(use_type_description)]
impl WebhookAttempt {
    /// 1 for the first.
    async fn number(&self) -> i32 {
        self.0.number
    }

    /// When it was sent.
    async fn attempted_at(&self) -> Timestamp {
        self.0.attempted_at.into()
    }

    /// How it ended.
    async fn outcome(&self) -> WebhookAttemptOutcome {
        match self.0.outcome.as_str() {
            "SUCCESS" => WebhookAttemptOutcome::Success,
            "HTTP_ERROR" => WebhookAttemptOutcome::HttpError,
            "TIMEOUT" => WebhookAttemptOutcome::Timeout,
            "REFUSED" => WebhookAttemptOutcome::Refused,
            _ => WebhookAttemptOutcome::NetworkError,
        }
    }

    /// The reply's status, if one came.
    async fn status_code(&self) -> Option<i32> {
        self.0.status_code
    }

    /// Until the reply's status arrived (or the attempt ended), in milliseconds.
    async fn latency_ms(&self) -> i32 {
        i32::try_from(self.0.latency_ms).unwrap_or(i32::MAX)
    }

    /// The first bytes of the reply's body (at most 1 KiB), as text.
    async fn response_excerpt(&self) -> Option<&str> {
        self.0.response_excerpt.as_deref()
    }

    /// What went wrong, if anything.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
}
