//! An event in the webhook outbox, written in the transaction of the change it tells.

use sea_orm::entity::prelude::*;

/// An event in the webhook outbox, written in the transaction of the change it tells.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_event")]
pub struct Model {
    /// Also the `webhook-id` of its deliveries (as `msg_` + the id's hex).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// E.g. `structure.changed`.
    pub event_type: String,
    /// The exact JSON body sent (`type`, `timestamp`, `data`), so that every attempt
    /// signs the same bytes.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub created_at: DateTimeUtc,
}

plain_entity!();
