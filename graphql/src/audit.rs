//! The audit log in GraphQL: `auditLog(organizationId)`.

use async_graphql::{Context, ID, Object};
use entity::audit_log;
use orgdesign_domain::audit;

use crate::{
    context::request,
    error::GqlResult,
    pagination::{self, Page},
    scalars::Timestamp,
};

/// One audit entry.
#[derive(Debug, Clone)]
pub struct AuditEntry(pub audit_log::Model);

#[Object]
impl AuditEntry {
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
        organization_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> GqlResult<Page<AuditEntry>> {
        let (_, organization_id) = request(ctx)?.writer_of("organizationId", &organization_id)?;
        let list = async |db: &_, page| audit::list(db, organization_id, page).await;
        pagination::load_page(ctx, first, after.as_deref(), list, AuditEntry).await
    }
}
