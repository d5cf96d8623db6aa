//! A webhook endpoint: where an organization's events are sent, and with which secret.

use sea_orm::entity::prelude::*;

/// A webhook endpoint: where an organization's events are sent, and with which secret.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoint")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub url: String,
    pub description: Option<String>,
    /// The event types wanted, as a JSON list of their strings.
    pub events: Json,
    /// Whether a delivery waits for the earlier ones to this endpoint to succeed.
    pub ordered: bool,
    /// `whsec_` + base64 of the key: kept to sign with, never shown after creation.
    pub secret: String,
    /// The secret before the last rotation, also signed with until it expires.
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTimeUtc>,
    pub enabled: bool,
    /// Why it was disabled, when the server disabled it.
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTimeUtc>,
    /// The first failed attempt since the last success.
    pub failing_since: Option<DateTimeUtc>,
    /// The server process delivering to it now, and until when its claim holds.
    pub lease_owner: Option<Uuid>,
    pub lease_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

plain_entity!();
