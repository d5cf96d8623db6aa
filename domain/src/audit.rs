//! The audit log: who changed what, when, from which request. Every service writes the
//! entry of its change in the same transaction as the change, so there is no change
//! without an entry and no entry without a change. The `auditLog` query reads it
//! (`orgdesign_graphql::audit`).

use entity::audit_log;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::{PageRequest, auth::RequestContext, clock, db::WriteTx, error::Result};

/// What an audit entry recorded: the change a service may then announce to
/// subscribers under the same name ([`crate::store::Store::commit_structure_change`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audited {
    pub organization_id: Uuid,
    /// The operation, e.g. `createUnit`.
    pub operation: &'static str,
    pub object_ids: Vec<Uuid>,
}

/// Writes the audit entry of a change into its transaction and commits it: the last
/// step of every service that changes data.
pub async fn commit(
    tx: WriteTx,
    context: &RequestContext,
    organization_id: Uuid,
    operation: &'static str,
    object_ids: Vec<Uuid>,
) -> Result<Audited> {
    let mut audited =
        commit_all(tx, context, organization_id, vec![(operation, object_ids)]).await?;
    Ok(audited.remove(0))
}

/// Writes the audit entries of several changes into their one transaction and commits
/// it (a scenario's promotion: one entry per change).
pub async fn commit_all(
    tx: WriteTx,
    context: &RequestContext,
    organization_id: Uuid,
    changes: Vec<(&'static str, Vec<Uuid>)>,
) -> Result<Vec<Audited>> {
    let mut audited = Vec::with_capacity(changes.len());
    for (operation, object_ids) in changes {
        audited.push(record(&tx, context, organization_id, operation, object_ids).await?);
    }
    tx.commit().await?;
    Ok(audited)
}

/// Writes one audit entry inside the caller's transaction.
async fn record<C: ConnectionTrait>(
    tx: &C,
    context: &RequestContext,
    organization_id: Uuid,
    operation: &'static str,
    object_ids: Vec<Uuid>,
) -> Result<Audited> {
    let actor = context
        .principal
        .as_ref()
        .map_or("anonymous", |p| p.subject.as_str());
    audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(Some(organization_id)),
        actor: Set(actor.chars().take(200).collect()),
        operation: Set(operation.to_owned()),
        object_ids: Set(serde_json::Value::from(
            object_ids.iter().map(Uuid::to_string).collect::<Vec<_>>(),
        )),
        request_id: Set(Some(context.request_id.chars().take(100).collect())),
        created_at: Set(clock::now()),
    }
    .insert(tx)
    .await?;
    Ok(Audited {
        organization_id,
        operation,
        object_ids,
    })
}

/// Counts one committed structure change in the organization's `structure_version`,
/// inside the change's transaction: the log says what changed, the count lets a draft
/// scenario tell at once whether anything did since it was validated.
pub(crate) async fn count_structure_change<C: ConnectionTrait>(
    tx: &C,
    organization_id: Uuid,
) -> Result<()> {
    entity::organization::Entity::update_many()
        .col_expr(
            entity::organization::Column::StructureVersion,
            Expr::col(entity::organization::Column::StructureVersion).add(1),
        )
        .filter(entity::organization::Column::Id.eq(organization_id))
        .exec(tx)
        .await?;
    Ok(())
}

/// A page of an organization's audit log, newest first, and its total length.
pub async fn list(
    db: &DatabaseConnection,
    organization_id: Uuid,
    page: PageRequest,
) -> Result<(u64, Vec<audit_log::Model>)> {
    let query =
        audit_log::Entity::find().filter(audit_log::Column::OrganizationId.eq(organization_id));
    page.fetch(
        db,
        query
            .order_by_desc(audit_log::Column::CreatedAt)
            .order_by_desc(audit_log::Column::Id),
    )
    .await
}
