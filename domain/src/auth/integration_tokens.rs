//! Integration tokens: issued to tools that push KPI data, listed without their
//! secret, revocable. The token itself is shown once; only its `jti` is stored, and
//! every request with an integration token checks that row, so a revocation takes
//! effect on the next request.

use std::time::Duration;

use entity::api_token;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, Order, QueryFilter, Set,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{Role, tokens::Keys};
use crate::{
    Name, PageRequest,
    audit::Operation,
    auth::Writer,
    clock::now,
    error::{Error, Result},
    store::Store,
    webhooks,
    write::{self, Row},
};

/// Longest life of an integration token: a year. Longer-lived secrets leak.
pub const MAX_TTL: Duration = Duration::from_secs(366 * 86_400);

/// How stale `last_used_at` may get before a request refreshes it: one write a minute
/// at most, not one per request.
const LAST_USED_RESOLUTION_SECS: i64 = 60;

/// A token to issue, parsed.
#[derive(Debug)]
pub struct NewIntegrationToken {
    pub organization_id: Uuid,
    /// What the token is for, e.g. the integration's name.
    pub name: Name,
    /// Its lifetime, at most [`MAX_TTL`].
    pub ttl: Duration,
}

/// Whether the integration token with `jti` is live (issued here, not revoked, not
/// expired); notes its use.
pub async fn is_active(db: &DatabaseConnection, jti: &str) -> Result<bool> {
    let now = now();
    let Some(row) = api_token::Entity::find()
        .filter(api_token::Column::Jti.eq(jti))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Ok(false);
    }
    let stale = row
        .last_used_at
        .is_none_or(|at| (now - at).num_seconds() >= LAST_USED_RESOLUTION_SECS);
    if stale {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    Ok(true)
}

/// Issues an integration token for an organization: the row (without the secret) and
/// the bearer token, which exists only in this reply. Admins, and editors of the
/// organization.
pub async fn issue(
    store: &Store,
    keys: &Keys,
    writer: Writer<'_>,
    new: NewIntegrationToken,
) -> Result<(String, api_token::Model)> {
    writer.reach(new.organization_id, "organization", "organizationId")?;
    if new.ttl > MAX_TTL {
        return Err(Error::bad_input("expiresIn", "at most 366 days"));
    }
    if !keys.can_sign() {
        return Err(Error::Conflict {
            field: None,
            message:
                "this server verifies tokens with a public key and has no private key to sign with"
                    .to_owned(),
        });
    }
    let write = write::begin_in(store, writer, new.organization_id).await?;
    let (tx, org, principal) = (&write.tx, &write.organization, write.principal()?);
    let id = Uuid::now_v7();
    let now = now();
    let expires_at =
        now + chrono::Duration::from_std(new.ttl).map_err(|e| Error::Internal(e.into()))?;
    let row = api_token::ActiveModel {
        id: Set(id),
        organization_id: Set(org.id),
        jti: Set(id.to_string()),
        name: Set(new.name.into_inner()),
        role: Set(Role::Integration.as_str().to_owned()),
        scopes: Set(serde_json::json!(["kpi:read", "kpi:write"])),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
        created_at: Set(now),
        created_by: Set(Some(principal.subject.chars().take(200).collect())),
    }
    .insert(tx)
    .await?;
    let token = keys
        .mint(
            &format!("integration:{id}"),
            Role::Integration,
            vec![org.id],
            new.ttl,
            id.to_string(),
        )
        .map_err(Error::Internal)?;
    write
        .commit(Operation::IssueIntegrationToken, vec![id])
        .await?;
    Ok((token, row))
}

/// Revokes an integration token; the next request with it is refused, and the
/// organization's `integration_token.revoked` webhook event is written with the change.
/// Revoking twice changes nothing and records nothing.
pub async fn revoke(store: &Store, writer: Writer<'_>, id: Uuid) -> Result<api_token::Model> {
    let token = Row::new(id, "id");
    let (write, row) = write::begin_on::<api_token::Entity>(store, writer, token).await?;
    let tx = &write.tx;
    if row.revoked_at.is_some() {
        write.abandon().await?;
        return Ok(row);
    }
    let mut active: api_token::ActiveModel = row.into();
    active.revoked_at = Set(Some(now()));
    let row = active.update(tx).await?;
    webhooks::outbox::enqueue(
        tx,
        row.organization_id,
        webhooks::EventType::IntegrationTokenRevoked,
        serde_json::json!({
            "tokenId": row.id,
            "name": row.name,
            "revokedAt": row.revoked_at,
        }),
    )
    .await?;
    write
        .commit(Operation::RevokeIntegrationToken, vec![id])
        .await?;
    Ok(row)
}

/// A page of an organization's integration tokens, newest first, and their count.
pub async fn list(
    db: &DatabaseConnection,
    organization_id: Uuid,
    page: PageRequest,
) -> Result<(u64, Vec<api_token::Model>)> {
    let tokens =
        api_token::Entity::find().filter(api_token::Column::OrganizationId.eq(organization_id));
    let creation = (api_token::Column::CreatedAt, api_token::Column::Id);
    page.fetch_by_creation(db, tokens, creation, Order::Desc)
        .await
}
