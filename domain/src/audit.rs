//! The audit log: who changed what, when, from which request. Every service writes the
//! entry of its change in the same transaction as the change, so there is no change
//! without an entry and no entry without a change. The `auditLog` query reads it
//! (`orgdesign_graphql::audit`).

use entity::audit_log;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Order,
    QueryFilter, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::{PageRequest, auth::RequestContext, clock, db::WriteTx, error::Result};

/// Declares [`Operation`]: each variant with its name in the log (the mutation's name),
/// whether it changes the structure, whether it is announced, and whether it may change
/// insights.
macro_rules! operations {
    ($($(#[$meta:meta])* $variant:ident => $name:literal $(, $kind:ident)?;)+) => {
        /// What an audit entry says was done: one per kind of change, named as the
        /// GraphQL mutation that makes it (`createUnit`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation {
            $($(#[$meta])* $variant),+
        }

        impl Operation {
            /// Every operation, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The name written to the log and announced, e.g. `createUnit`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }

            fn kind(self) -> Kind {
                match self {
                    $(Self::$variant => operations!(@kind $($kind)?)),+
                }
            }
        }
    };
    (@kind) => { Kind::Plain };
    (@kind $kind:ident) => { Kind::$kind };
}

/// How far a change reaches beyond its audit entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Recorded in the log only.
    Plain,
    /// Recorded in the log; it may raise or resolve insights without an event of its
    /// own (stage declarations, priority assessments, stakeholders, relationships).
    Insights,
    /// Announced as `structure.changed` (subscriptions, webhooks), not a change of the
    /// structure itself.
    Announced,
    /// A change of the structure: announced, and counted in `structure_version`.
    Structural,
}

operations! {
    CreateOrganization => "createOrganization", Announced;
    UpdateOrganization => "updateOrganization", Announced;
    CreateUnit => "createUnit", Structural;
    UpdateUnit => "updateUnit", Structural;
    CreatePosition => "createPosition", Structural;
    UpdatePosition => "updatePosition", Structural;
    AddReportingLine => "addReportingLine", Structural;
    ReplaceReportingLine => "replaceReportingLine", Structural;
    EndReportingLine => "endReportingLine", Structural;
    DeleteReportingLine => "deleteReportingLine", Structural;
    /// The scenario's own entry; its changes have theirs.
    PromoteScenario => "promoteScenario", Announced;
    CreateScenario => "createScenario";
    AddScenarioChanges => "addScenarioChanges";
    RebaseScenario => "rebaseScenario";
    DiscardScenario => "discardScenario";
    ImportStructure => "importStructure";
    DeclareStage => "declareStage", Insights;
    AssessPriority => "assessPriority", Insights;
    CreateStakeholder => "createStakeholder", Insights;
    CreateRelationship => "createRelationship", Insights;
    ReviewRelationship => "reviewRelationship", Insights;
    CreateKpiDefinition => "createKpiDefinition";
    SetKpiTarget => "setKpiTarget";
    RecordKpiMeasurements => "recordKpiMeasurements";
    IssueIntegrationToken => "issueIntegrationToken";
    RevokeIntegrationToken => "revokeIntegrationToken";
    CreateWebhookEndpoint => "createWebhookEndpoint";
    UpdateWebhookEndpoint => "updateWebhookEndpoint";
    RotateWebhookSecret => "rotateWebhookSecret";
    DeleteWebhookEndpoint => "deleteWebhookEndpoint";
    RedeliverWebhook => "redeliverWebhook";
    PingWebhookEndpoint => "pingWebhookEndpoint";
}

impl Operation {
    /// Whether it changes the organization's structure (units, positions, reporting
    /// lines): counted in `structure_version`, so drafts validated before it are stale,
    /// and named when they are.
    pub fn is_structural(self) -> bool {
        self.kind() == Kind::Structural
    }

    /// Whether it is announced as `structure.changed`: the structural operations, the
    /// organization's own row, a scenario's promotion.
    pub fn is_announced(self) -> bool {
        matches!(self.kind(), Kind::Announced | Kind::Structural)
    }

    /// Whether it may raise or resolve insights without being announced: the
    /// organization's insight watch is marked with it
    /// ([`crate::webhooks::outbox::insights_may_have_changed`]).
    pub fn may_change_insights(self) -> bool {
        self.kind() == Kind::Insights
    }
}

/// What an audit entry recorded: the change [`crate::write::Write::commit`] then
/// announces under the same name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audited {
    pub organization_id: Uuid,
    pub operation: Operation,
    pub object_ids: Vec<Uuid>,
}

/// Writes the audit entries of a change into its one transaction and commits it (a
/// scenario's promotion: one entry per change). Called by
/// [`crate::write::Write::commit_all`], the end of every change.
pub(crate) async fn commit_all(
    tx: WriteTx,
    context: &RequestContext,
    organization_id: Uuid,
    changes: Vec<(Operation, Vec<Uuid>)>,
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
    operation: Operation,
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
        operation: Set(operation.as_str().to_owned()),
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
    let entries =
        audit_log::Entity::find().filter(audit_log::Column::OrganizationId.eq(organization_id));
    let creation = (audit_log::Column::CreatedAt, audit_log::Column::Id);
    page.fetch_by_creation(db, entries, creation, Order::Desc)
        .await
}
