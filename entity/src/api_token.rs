//! An issued integration token. The token itself is never stored, only its `jti`.

use sea_orm::entity::prelude::*;

/// An issued integration token. The token itself is never stored, only its `jti`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_token")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub jti: String,
    pub name: String,
    pub role: String,
    pub scopes: Json,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub created_by: Option<String>,
}

plain_entity!();
