//! Who changed what, when, from which request; written in the transaction of the change.

use sea_orm::entity::prelude::*;

/// Who changed what, when, from which request; written in the transaction of the change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `None` for service-wide operations.
    pub organization_id: Option<Uuid>,
    /// The principal's `sub`.
    pub actor: String,
    pub operation: String,
    pub object_ids: Json,
    pub request_id: Option<String>,
    pub created_at: DateTimeUtc,
}

plain_entity!();
