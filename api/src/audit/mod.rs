//! The audit log: who changed what, when, from which request. Every mutation writes
//! its entry in the same transaction as its change, so there is no change without an
//! entry and no entry without a change.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::audit_log;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::{
    auth::RequestContext,
    error::{GqlResult, Result},
    graphql::{
        context::{db, limits, request},
        pagination::{Page, PageRequest},
    },
    organizations::service as organizations,
};

/// Writes one audit entry inside the caller's transaction.
pub async fn record<C: ConnectionTrait>(
    tx: &C,
    context: &RequestContext,
    organization_id: Option<Uuid>,
    operation: &str,
    object_ids: &[Uuid],
) -> Result<()> {
    let actor = context
        .principal
        .as_ref()
        .map_or("anonymous", |p| p.subject.as_str());
    audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization_id),
        actor: Set(actor.chars().take(200).collect()),
        operation: Set(operation.to_owned()),
        object_ids: Set(serde_json::Value::from(
            object_ids.iter().map(Uuid::to_string).collect::<Vec<_>>(),
        )),
        request_id: Set(Some(context.request_id.chars().take(100).collect())),
        created_at: Set(organizations::now()),
    }
    .insert(tx)
    .await?;
    Ok(())
}

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

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
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
        let page = PageRequest::parse(first, after.as_deref(), limits(ctx)?.max_page_size)?;
        let db = db(ctx)?;
        let query =
            audit_log::Entity::find().filter(audit_log::Column::OrganizationId.eq(organization_id));
        let (total, rows) = page
            .fetch(
                db,
                query
                    .order_by_desc(audit_log::Column::CreatedAt)
                    .order_by_desc(audit_log::Column::Id),
            )
            .await?;
        Ok(page.connection(total, rows.into_iter().map(AuditEntry).collect()))
    }
}
