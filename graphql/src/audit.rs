//! The audit log in GraphQL: `auditLog(organizationId)`.

use async_graphql::{Context, Description, ID, Object};
use entity::audit_log;
use orgdesign_domain::audit;

use crate::{
    context::request,
    error::GqlResult,
    pagination::{self, Page},
    scalars::Timestamp,
};

/// One audit entry: a change someone made to an organization, written in the same
/// transaction as the change.
#[derive(Debug, Clone, Description)]
pub struct AuditEntry(pub audit_log::Model);

#[Object(use_type_description)]
impl AuditEntry {
    /// The entry's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The `sub` of the principal that acted.
    async fn actor(&self) -> &str {
        &self.0.actor
    }

    /// The mutation, e.g. `createUnit`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }

    /// The objects it created or changed.
    async fn object_ids(&self) -> Vec<ID> {
        self.0
            .object_ids
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(|s| ID(s.to_owned())))
            .collect()
    }

    /// The `x-request-id` of the request that made the change.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// When the change was made.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }
}

/// Audit-log queries.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// An organization's audit log, newest first. Admins, and editors of the
    /// organization.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization.")] organization_id: ID,
        #[graphql(desc = "Page size: 1 to the page-size cap (100 unless configured); default 20.")]
        first: Option<i32>,
        #[graphql(desc = "The `cursor` of the edge to continue after; null starts at the top.")]
        after: Option<String>,
    ) -> GqlResult<Page<AuditEntry>> {
        let (_, organization_id) = request(ctx)?.writer_of("organizationId", &organization_id)?;
        let list = async |db: &_, page| audit::list(db, organization_id, page).await;
        pagination::load_page(ctx, first, after.as_deref(), list, AuditEntry).await
    }
}
