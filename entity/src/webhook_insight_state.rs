//! An insight an organization had when its insights were last evaluated for webhooks.

use sea_orm::entity::prelude::*;

/// An insight an organization had when its insights were last evaluated for webhooks.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_insight_state")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    /// SHA-256 (hex) of the code and the sorted evidence ids: what identifies it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub fingerprint: String,
    pub code: String,
    /// The insight as the `insight.raised` event carried it.
    pub insight: Json,
    pub raised_at: DateTimeUtc,
}

plain_entity!();
