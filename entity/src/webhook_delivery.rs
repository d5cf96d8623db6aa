//! One event to one endpoint, tried until it succeeds or its time runs out.

use sea_orm::entity::prelude::*;

/// One event to one endpoint, tried until it succeeds or its time runs out.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    /// When the event happened: deliveries to an endpoint go out in this order.
    pub event_at: DateTimeUtc,
    /// `PENDING`, `DELIVERED` or `FAILED`.
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// The delivery this one sends again (`redeliverWebhook`).
    pub redelivery_of: Option<Uuid>,
    pub last_status: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
}

plain_entity!();
