//! Integration tokens: issued to tools that push KPI data, listed without their
//! secret, revocable. The token itself is shown once; only its `jti` is stored, and
//! every request with an integration token checks that row, so a revocation takes
//! effect on the next request.

use std::{sync::Arc, time::Duration};

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::api_token;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{
    Role,
    tokens::{Keys, parse_ttl},
};
use crate::{
    audit,
    domain::{Name, parse_id},
    error::{Error, GqlResult, Result},
    graphql::{
        context::{db, limits, request},
        pagination::{Page, PageRequest},
    },
    organizations::service::{lock, now},
};

/// Longest life of an integration token: a year. Longer-lived secrets leak.
const MAX_TTL: Duration = Duration::from_secs(366 * 86_400);

/// How stale `last_used_at` may get before a request refreshes it: one write a minute
/// at most, not one per request.
const LAST_USED_RESOLUTION_SECS: i64 = 60;

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

/// An issued integration token, without its secret.
#[derive(Debug, Clone)]
pub struct IntegrationToken(pub api_token::Model);

#[Object]
impl IntegrationToken {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn organization_id(&self) -> ID {
        ID(self.0.organization_id.to_string())
    }

    /// What the token is for, e.g. the integration's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// When a request last used it (to the minute).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Who issued it.
    async fn created_by(&self) -> Option<&str> {
        self.0.created_by.as_deref()
    }

    /// Neither revoked nor expired.
    async fn active(&self) -> bool {
        self.0.revoked_at.is_none() && self.0.expires_at > Utc::now()
    }
}

/// The reply of `issueIntegrationToken`: the only time the token is shown.
#[derive(SimpleObject, Debug)]
pub struct IssuedIntegrationToken {
    /// The bearer token. Store it now: it cannot be shown again.
    token: String,
    integration_token: IntegrationToken,
}

/// Input of `issueIntegrationToken`.
#[derive(InputObject, Debug)]
pub struct IssueIntegrationTokenInput {
    organization_id: ID,
    /// What the token is for, e.g. "crm-sync".
    name: String,
    /// Lifetime such as `30d`, `12h` (at most 366 days).
    #[graphql(default = "90d")]
    expires_in: String,
}

/// Input of `revokeIntegrationToken`.
#[derive(InputObject, Debug)]
pub struct RevokeIntegrationTokenInput {
    id: ID,
}

/// Who am I: the principal of the request.
#[derive(SimpleObject, Debug)]
pub struct Me {
    /// The token's `sub`.
    subject: String,
    role: Role,
    /// The organizations the token may touch (empty for admins, who touch all).
    organization_ids: Vec<ID>,
}

/// Token and identity queries.
#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The principal this request acts as.
    async fn me(&self, ctx: &Context<'_>) -> GqlResult<Me> {
        let principal = request(ctx)?.principal()?;
        Ok(Me {
            subject: principal.subject.clone(),
            role: principal.role,
            organization_ids: principal
                .organizations
                .iter()
                .map(|id| ID(id.to_string()))
                .collect(),
        })
    }

    /// An organization's integration tokens, newest first, without their secrets.
    /// Admins, and editors of the organization.
    async fn integration_tokens(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Page<IntegrationToken>> {
        let (_, organization_id) = request(ctx)?.writer_of("organizationId", &organization_id)?;
        let page = PageRequest::parse(first, after.as_deref(), limits(ctx)?.max_page_size)?;
        let db = db(ctx)?;
        let query =
            api_token::Entity::find().filter(api_token::Column::OrganizationId.eq(organization_id));
        let (total, rows) = page
            .fetch(
                db,
                query
                    .order_by_desc(api_token::Column::CreatedAt)
                    .order_by_desc(api_token::Column::Id),
            )
            .await?;
        Ok(page.connection(total, rows.into_iter().map(IntegrationToken).collect()))
    }
}

/// Token mutations.
#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Issues a token an integration uses to push and read the organization's KPI
    /// data. Admins, and editors of the organization. The token is in the reply once.
    async fn issue_integration_token(
        &self,
        ctx: &Context<'_>,
        input: IssueIntegrationTokenInput,
    ) -> GqlResult<IssuedIntegrationToken> {
        let context = request(ctx)?;
        let (principal, organization_id) =
            context.writer_of("input.organizationId", &input.organization_id)?;
        let name = Name::parse("input.name", &input.name)?;
        let ttl = parse_ttl(&input.expires_in)
            .map_err(|e| Error::bad_input("input.expiresIn", e.to_string()))?;
        if ttl > MAX_TTL {
            return Err(Error::bad_input("input.expiresIn", "at most 366 days").into());
        }
        let keys = ctx.data::<Arc<Keys>>()?;
        if !keys.can_sign() {
            return Err(Error::Conflict {
                field: None,
                message: "this server verifies tokens with a public key and has no private key to sign with".to_owned(),
            }
            .into());
        }
        let db = db(ctx)?;
        let tx = crate::db::begin_write(db).await?;
        let org = lock(&tx, organization_id).await?;
        let id = Uuid::now_v7();
        let now = now();
        let expires_at =
            now + chrono::Duration::from_std(ttl).map_err(|e| Error::Internal(e.into()))?;
        let row = api_token::ActiveModel {
            id: Set(id),
            organization_id: Set(org.id),
            jti: Set(id.to_string()),
            name: Set(name.into_inner()),
            role: Set(Role::Integration.as_str().to_owned()),
            scopes: Set(serde_json::json!(["kpi:read", "kpi:write"])),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            last_used_at: Set(None),
            created_at: Set(now),
            created_by: Set(Some(principal.subject.chars().take(200).collect())),
        }
        .insert(&tx)
        .await?;
        audit::record(&tx, context, Some(org.id), "issueIntegrationToken", &[id]).await?;
        let token = keys
            .mint(
                &format!("integration:{id}"),
                Role::Integration,
                vec![org.id],
                ttl,
                id.to_string(),
            )
            .map_err(Error::Internal)?;
        tx.commit().await?;
        Ok(IssuedIntegrationToken {
            token,
            integration_token: IntegrationToken(row),
        })
    }

    /// Revokes an integration token; the next request with it is refused.
    async fn revoke_integration_token(
        &self,
        ctx: &Context<'_>,
        input: RevokeIntegrationTokenInput,
    ) -> GqlResult<IntegrationToken> {
        let context = request(ctx)?;
        let principal = context.principal()?;
        principal.may_write_structure()?;
        let id = parse_id("input.id", &input.id)?;
        let db = db(ctx)?;
        let tx = crate::db::begin_write(db).await?;
        let not_found = || Error::not_found_at("integration token", "input.id");
        let row = api_token::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .ok_or_else(not_found)?;
        principal
            .may_write(row.organization_id, "integration token")
            .map_err(|e| e.on_field("input.id"))?;
        lock(&tx, row.organization_id).await?;
        if row.revoked_at.is_some() {
            // Revoking twice changes nothing and records nothing.
            return Ok(IntegrationToken(row));
        }
        let mut active: api_token::ActiveModel = row.into();
        active.revoked_at = Set(Some(now()));
        let row = active.update(&tx).await?;
        audit::record(
            &tx,
            context,
            Some(row.organization_id),
            "revokeIntegrationToken",
            &[id],
        )
        .await?;
        tx.commit().await?;
        Ok(IntegrationToken(row))
    }
}
