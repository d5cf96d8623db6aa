//! A REST `Idempotency-Key` and the reply stored for it, scoped per organization.

use sea_orm::entity::prelude::*;

/// A REST `Idempotency-Key` and the reply stored for it, scoped per organization.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_record")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// A hash of the request body: the same key with another body is refused.
    pub request_hash: String,
    /// `None` while the first request is still in flight.
    pub status_code: Option<i32>,
    pub response_body: Option<String>,
    pub created_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
    /// The server process that claimed the key (its id, new at every start); `None`
    /// for claims stored before owners were recorded.
    pub owner: Option<Uuid>,
    /// The lease of the attempt that holds the claim: the claim is dead once the
    /// owner no longer holds it.
    pub lease: Option<Uuid>,
}

plain_entity!();
