//! Integration tokens and `me` in GraphQL; the storage rules are in
//! [`orgdesign_domain::auth::integration_tokens`].

use std::sync::Arc;

use async_graphql::{Context, Description, ID, InputObject, Object, SimpleObject};
use chrono::Utc;
use entity::api_token;
use orgdesign_domain::{
    Name,
    auth::{
        integration_tokens::{self as service, NewIntegrationToken},
        tokens::{Keys, parse_ttl},
    },
    error::Error,
    parse_id,
};

use crate::{
    context::{request, store, writer_of},
    error::{AtInput, GqlResult},
    pagination::{self, Page},
    scalars::Timestamp,
};

/// An issued integration token, without its secret.
#[derive(Debug, Clone, Description)]
pub struct IntegrationToken(pub api_token::Model);

#[Object(use_type_description)]
impl IntegrationToken {
    /// The token's id (for `revokeIntegrationToken`).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The organization whose KPI data it may push and read.
    async fn organization_id(&self) -> ID {
        ID(self.0.organization_id.to_string())
    }

    /// What the token is for, e.g. the integration's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// When it stops working.
    async fn expires_at(&self) -> Timestamp {
        self.0.expires_at.into()
    }

    /// When it was revoked; null while it is not.
    async fn revoked_at(&self) -> Option<Timestamp> {
        self.0.revoked_at.map(Timestamp::from)
    }

    /// When a request last used it (to the minute).
    async fn last_used_at(&self) -> Option<Timestamp> {
        self.0.last_used_at.map(Timestamp::from)
    }

    /// When it was issued.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
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
    /// The token's record, as `integrationTokens` lists it.
    integration_token: IntegrationToken,
}

/// Input of `issueIntegrationToken`.
#[derive(InputObject, Debug)]
pub struct IssueIntegrationTokenInput {
    /// The organization the token is for.
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
    /// The token to revoke.
    id: ID,
}

/// Who am I: the principal of the request.
#[derive(SimpleObject, Debug)]
pub struct Me {
    /// The token's `sub`.
    subject: String,
    /// The token's role: what it may do.
    role: crate::enums::Role,
    /// The organizations the token may touch (empty for admins, who touch all).
    organization_ids: Vec<ID>,
}

/// Token and identity queries.
#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The principal this request acts as. Every role.
    async fn me(&self, ctx: &Context<'_>) -> GqlResult<Me> {
        let principal = request(ctx)?.principal()?;
        Ok(Me {
            subject: principal.subject.clone(),
            role: principal.role.into(),
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
        #[graphql(desc = "The organization.")] organization_id: ID,
        #[graphql(desc = "Page size: 1 to the page-size cap (100 unless configured); default 20.")]
        first: Option<i32>,
        #[graphql(desc = "The `cursor` of the edge to continue after; null starts at the top.")]
        after: Option<String>,
    ) -> GqlResult<Page<IntegrationToken>> {
        let (_, organization_id) = request(ctx)?.writer_of("organizationId", &organization_id)?;
        let list = async |db: &_, page| service::list(db, organization_id, page).await;
        pagination::load_page(ctx, first, after.as_deref(), list, IntegrationToken).await
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
        #[graphql(desc = "The organization, a name and a lifetime.")]
        input: IssueIntegrationTokenInput,
    ) -> GqlResult<IssuedIntegrationToken> {
        let (writer, organization_id) =
            writer_of(ctx, "input.organizationId", &input.organization_id)?;
        let name = Name::parse("input.name", &input.name)?;
        let ttl = parse_ttl(&input.expires_in)
            .map_err(|e| Error::bad_input("input.expiresIn", e.to_string()))?;
        let new = NewIntegrationToken {
            organization_id,
            name,
            ttl,
        };
        let keys = ctx.data::<Arc<Keys>>()?;
        let (token, row) = service::issue(store(ctx)?, keys, writer, new)
            .await
            .at_input()?;
        Ok(IssuedIntegrationToken {
            token,
            integration_token: IntegrationToken(row),
        })
    }

    /// Revokes an integration token; the next request with it is refused. Admins, and
    /// editors of its organization.
    async fn revoke_integration_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which token.")] input: RevokeIntegrationTokenInput,
    ) -> GqlResult<IntegrationToken> {
        let writer = request(ctx)?.writer()?;
        let id = parse_id("input.id", &input.id)?;
        let row = service::revoke(store(ctx)?, writer, id).await.at_input()?;
        Ok(IntegrationToken(row))
    }
}
