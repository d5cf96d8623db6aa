//! One attempt of a webhook delivery: what the receiver answered, and how fast.

use sea_orm::entity::prelude::*;

/// One attempt of a webhook delivery: what the receiver answered, and how fast.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_attempt")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub delivery_id: Uuid,
    /// 1 for the first attempt.
    pub number: i32,
    pub attempted_at: DateTimeUtc,
    /// `SUCCESS`, `HTTP_ERROR`, `TIMEOUT`, `NETWORK_ERROR` or `REFUSED`.
    pub outcome: String,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    /// The first bytes of the reply (at most 1 KiB, as text).
    #[sea_orm(column_type = "Text", nullable)]
    pub response_excerpt: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
}

plain_entity!();
