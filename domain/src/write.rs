//! The one way a change is written: [`begin`] opens it, [`Write::commit`] ends it.
//!
//! ```text
//! let mut write = write::begin(store, writer, Target::organization(id, field).active()).await?;
//! //    checks the organization is in the writer's reach, waits for its turn,
//! //    begins, locks and re-reads it, checks that it is active and that the
//! //    caller's version is current
//! let unit = create_in(&write.tx, &write.organization, new).await?;  // the domain steps
//! write.commit(Operation::CreateUnit, vec![unit.id]).await?;
//! //    writes the audit entry (and, for an announced change, its webhook event and
//! //    the structure count), commits, and then tells subscribers
//! ```
//!
//! Services keep only their domain steps between the two calls; everything a writer
//! must do before and after them lives here, so it is done the same way everywhere.
//! A `Write` dropped without a commit rolls back.
//!
//! Whether the caller's role may make the change is not asked here: the caller holds a
//! [`Capability`] ([`crate::auth`] grants them), and this module asks only whether the
//! organization is within its reach.

use chrono::{DateTime, NaiveDate, Utc};
use entity::organization;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PrimaryKeyTrait, QueryFilter,
    QuerySelect, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    audit::{self, Operation},
    auth::{Admin, Capability, Principal, RequestContext, Writer},
    db::{self, WriteTx},
    error::{Error, Result},
    events::Event,
    store::Store,
    webhooks,
};

/// The organization a change is made in, how the input named it, and what the change
/// requires of it.
#[derive(Debug, Clone)]
pub struct Target<'f> {
    organization: Uuid,
    /// What the input named ("organization", "unit" ...): an object out of reach is
    /// reported as this, not found.
    what: &'static str,
    /// The input field blamed when the organization is out of reach or gone.
    field: &'f str,
    active: bool,
    version: Option<i32>,
}

impl<'f> Target<'f> {
    /// A change in the organization the input `field` names.
    pub fn organization(organization: Uuid, field: &'f str) -> Self {
        Self::object(organization, "organization", field)
    }

    /// A change of an object (`what`: "unit", "scenario" ...) the input `field` names,
    /// in `organization` (read beforehand with [`organization_of`]).
    pub fn object(organization: Uuid, what: &'static str, field: &'f str) -> Self {
        Self {
            organization,
            what,
            field,
            active: false,
            version: None,
        }
    }

    /// The organization must not be archived: its structure is history.
    pub fn active(mut self) -> Self {
        self.active = true;
        self
    }

    /// The change is to the organization's own row, made against `version`.
    pub fn at_version(mut self, version: i32) -> Self {
        self.version = Some(version);
        self
    }
}

/// A change under way: its transaction, holding the organization's lock, and the
/// organization as read under it.
#[derive(Debug)]
pub struct Write<'s> {
    store: &'s Store,
    ctx: &'s RequestContext,
    /// The transaction the service's steps write through.
    pub tx: WriteTx,
    /// The organization, locked and read again under the lock.
    pub organization: organization::Model,
    /// Events the service announces besides the change itself, published after the
    /// commit.
    events: Vec<Event>,
    /// The day the change takes effect, when the service dated it.
    effective_on: Option<NaiveDate>,
}

/// Begins a change in the target's organization on behalf of the holder of `capability`
/// (a [`Writer`], or a [`crate::auth::KpiPusher`] for a push): checks the organization
/// is in its reach (`NOT_FOUND` on the target's field, as if it did not exist), waits
/// for the organization's turn in this process and
/// begins the transaction (`db::begin_write`), takes the organization's lock and reads
/// it again under it, and checks that it is active and that the caller's version is
/// current where the target asks.
pub async fn begin<'s, R>(
    store: &'s Store,
    capability: Capability<'s, R>,
    target: Target<'_>,
) -> Result<Write<'s>> {
    capability.reach(target.organization, target.what, target.field)?;
    let ctx = capability.context();
    let tx = db::begin_write(&store.writes, Some(target.organization)).await?;
    let organization = lock(&tx, target.organization)
        .await
        .map_err(|e| e.on_field(target.field))?;
    if target.active && organization.archived {
        return Err(Error::conflict(
            target.field,
            "the organization is archived; restore it before changing its structure",
        ));
    }
    if let Some(version) = target.version
        && version != organization.version
    {
        return Err(Error::stale_version(
            "the organization",
            organization.version,
        ));
    }
    Ok(Write {
        store,
        ctx,
        tx,
        organization,
        events: Vec::new(),
        effective_on: None,
    })
}

/// Begins a change in the organization the input's `organizationId` names, which
/// asks nothing more of it: [`begin`] with [`Target::organization`], the opening of
/// most changes.
pub async fn begin_in<'s>(
    store: &'s Store,
    writer: Writer<'s>,
    organization: Uuid,
) -> Result<Write<'s>> {
    begin(
        store,
        writer,
        Target::organization(organization, "organizationId"),
    )
    .await
}

/// Begins a change that creates an organization: no organization to wait for or lock
/// yet. Admins only, which the [`Admin`] capability proves.
pub async fn begin_new_organization<'s>(
    store: &'s Store,
    admin: Admin<'s>,
) -> Result<NewOrganizationWrite<'s>> {
    let tx = db::begin_write(&store.writes, None).await?;
    Ok(NewOrganizationWrite {
        store,
        ctx: admin.context(),
        tx,
    })
}

/// The change that creates an organization, until its row exists.
#[derive(Debug)]
pub struct NewOrganizationWrite<'s> {
    store: &'s Store,
    ctx: &'s RequestContext,
    /// The transaction the organization's row is inserted through.
    pub tx: WriteTx,
}

impl<'s> NewOrganizationWrite<'s> {
    /// The change once the organization's row is written in it.
    pub fn created(self, organization: organization::Model) -> Write<'s> {
        Write {
            store: self.store,
            ctx: self.ctx,
            tx: self.tx,
            organization,
            events: Vec::new(),
            effective_on: None,
        }
    }
}

/// The organization of the row of `E` that `row` names, read before the change
/// begins, so that the writer queues for that organization's turn holding no
/// connection. The row is read again inside the transaction, under the organization's
/// lock, which decides. `NOT_FOUND` on the row's field when there is no such row or it
/// belongs to an organization out of the writer's reach (the two look alike). The
/// role was decided when the [`Writer`] was granted, before anything was looked up.
pub async fn organization_of<E>(store: &Store, writer: Writer<'_>, row: Row<'_>) -> Result<Uuid>
where
    E: OfOrganization,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    let principal = writer.principal();
    E::find_by_id(row.id)
        .select_only()
        .column(E::organization_column())
        .into_tuple::<Uuid>()
        .one(&store.db)
        .await?
        .filter(|organization| principal.reaches(*organization))
        .ok_or_else(|| Error::not_found_at(E::WHAT, row.field))
}

/// A table whose rows belong to one organization: what a change of one of its rows
/// needs to find the organization it waits for and locks.
pub trait OfOrganization: EntityTrait
where
    <Self::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    /// What a row is called in errors ("unit", "scenario" ...): one out of reach is
    /// reported as this, not found.
    const WHAT: &'static str;

    /// The column holding the row's organization.
    fn organization_column() -> Self::Column;
}

/// Implements [`OfOrganization`] for tables whose organization is `organization_id`.
macro_rules! of_organization {
    ($($table:ident => $what:literal),+ $(,)?) => {
        $(impl OfOrganization for entity::$table::Entity {
            const WHAT: &'static str = $what;

            fn organization_column() -> Self::Column {
                entity::$table::Column::OrganizationId
            }
        })+
    };
}

of_organization! {
    org_unit => "unit",
    position => "position",
    reporting_line => "reporting line",
    scenario => "scenario",
    relationship => "relationship",
    api_token => "integration token",
    webhook_endpoint => "webhook endpoint",
    webhook_delivery => "webhook delivery",
}

/// A row kept under optimistic concurrency: every change writes it at its next version,
/// stamped with the moment of the change (see [`check_version`]).
pub trait Versioned {
    /// What a change of the row writes.
    type Active;

    /// The row at its next version, updated `at`; the change sets the columns it
    /// changes on it.
    fn next_version(self, at: DateTime<Utc>) -> Self::Active;
}

/// Implements [`Versioned`] for tables with `version` and `updated_at` columns.
macro_rules! versioned {
    ($($table:ident),+ $(,)?) => {
        $(impl Versioned for entity::$table::Model {
            type Active = entity::$table::ActiveModel;

            fn next_version(self, at: DateTime<Utc>) -> Self::Active {
                let version = self.version;
                let mut row: Self::Active = self.into();
                row.version = Set(version + 1);
                row.updated_at = Set(at);
                row
            }
        })+
    };
}

versioned! {
    organization,
    reporting_line,
    scenario,
    relationship,
    kpi_target,
    webhook_endpoint,
}

/// A row a change is about, named by the input `field`.
#[derive(Debug, Clone)]
pub struct Row<'f> {
    id: Uuid,
    field: &'f str,
    active: bool,
}

impl<'f> Row<'f> {
    /// The row `id`, named by the input `field`.
    pub fn new(id: Uuid, field: &'f str) -> Self {
        Self {
            id,
            field,
            active: false,
        }
    }

    /// Its organization must not be archived.
    pub fn active(mut self) -> Self {
        self.active = true;
        self
    }
}

/// Begins a change of one row of `E`: finds its organization ([`organization_of`]),
/// begins the change there ([`begin`]) and reads the row again under the lock.
/// `NOT_FOUND` on the row's field when it is gone or belongs elsewhere.
pub async fn begin_on<'s, E>(
    store: &'s Store,
    writer: Writer<'s>,
    row: Row<'_>,
) -> Result<(Write<'s>, E::Model)>
where
    E: OfOrganization,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    let (id, field, active) = (row.id, row.field, row.active);
    let organization = organization_of::<E>(store, writer, row).await?;
    let mut target = Target::object(organization, E::WHAT, field);
    if active {
        target = target.active();
    }
    let write = begin(store, writer, target).await?;
    let found = write.find::<E>(id, field).await?;
    Ok((write, found))
}

impl Write<'_> {
    /// The row `id` of `E` in this change's organization, read under the
    /// organization's lock: `NOT_FOUND` on `field` when there is none.
    pub async fn find<E>(&self, id: Uuid, field: &str) -> Result<E::Model>
    where
        E: OfOrganization,
        <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
    {
        E::find_by_id(id)
            .filter(E::organization_column().eq(self.organization.id))
            .one(&self.tx)
            .await?
            .ok_or_else(|| Error::not_found_at(E::WHAT, field))
    }

    /// The principal making the change.
    pub fn principal(&self) -> Result<&Principal> {
        self.ctx.principal()
    }

    /// The request the change is made for.
    pub fn context(&self) -> &RequestContext {
        self.ctx
    }

    /// Publishes `event` once the change has committed (never if it does not).
    pub fn announce(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Dates the change: it takes effect on `day`. A change dated after today is
    /// announced (`structure.changed`, subscriptions) on its day, by
    /// `scheduled::announce_due`; when written it is told as `structure.scheduled`.
    pub fn takes_effect_on(&mut self, day: NaiveDate) {
        self.effective_on = Some(day);
    }

    /// Ends the change with one audit entry: see [`Write::commit_all`].
    pub async fn commit(self, operation: Operation, object_ids: Vec<Uuid>) -> Result<()> {
        self.commit_all(vec![(operation, object_ids)]).await
    }

    /// Ends the change: writes one audit entry per operation; for each announced one
    /// ([`Operation::is_announced`]) its `structure.changed` webhook event (the
    /// outbox); marks the insight watch for one that may change insights without
    /// being announced ([`Operation::may_change_insights`]); counts the change in the organization's `structure_version` if any
    /// operation is structural (what a draft scenario was validated on); commits; and
    /// then tells subscribers, so a change that does not commit is never announced and
    /// one that commits always is (to subscribers while this instance runs; to
    /// webhooks always, as the outbox rows commit with it).
    pub async fn commit_all(self, changes: Vec<(Operation, Vec<Uuid>)>) -> Result<()> {
        let organization_id = self.organization.id;
        if changes
            .iter()
            .any(|(operation, _)| operation.is_structural())
        {
            audit::count_structure_change(&self.tx, organization_id).await?;
        }
        if changes
            .iter()
            .any(|(operation, _)| operation.may_change_insights())
        {
            webhooks::outbox::insights_may_have_changed(&self.tx, organization_id).await?;
        }
        let today = crate::clock::today();
        let dated = self.effective_on.unwrap_or(today);
        // A dated change takes effect on its day; promoting a draft is itself done
        // now, whatever day its changes take effect on.
        let effective = |operation: &Operation| match operation {
            Operation::PromoteScenario => today,
            _ => dated,
        };

        for (operation, object_ids) in &changes {
            let effective_on = effective(operation);
            let later = effective_on > today;
            if operation.is_announced() {
                if later {
                    schedule(
                        &self.tx,
                        organization_id,
                        effective_on,
                        *operation,
                        object_ids,
                    )
                    .await?;
                }
                let event = if later {
                    webhooks::EventType::StructureScheduled
                } else {
                    webhooks::EventType::StructureChanged
                };
                webhooks::outbox::enqueue(
                    &self.tx,
                    organization_id,
                    event,
                    serde_json::json!({
                        "operation": operation.as_str(),
                        "objectIds": object_ids,
                        "effectiveOn": effective_on.to_string(),
                    }),
                )
                .await?;
            }
        }
        let audited = audit::commit_all(self.tx, self.ctx, organization_id, changes).await?;
        // Subscribers hear of a change when it takes effect.
        let changed = audited
            .into_iter()
            .filter(|change| {
                change.operation.is_announced() && effective(&change.operation) <= today
            })
            .map(|change| Event::StructureChanged {
                organization_id: change.organization_id,
                operation: change.operation.as_str().to_owned(),
                effective_on: Some(effective(&change.operation)),
                object_ids: change.object_ids,
            });
        for event in changed.chain(self.events) {
            self.store.events.publish(event).await;
        }
        Ok(())
    }

    /// Ends a change that turned out to change nothing: rolls back, records nothing.
    pub async fn abandon(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// Keeps a change that takes effect on `effective_on` (after today), inside the
/// change's own transaction, for `scheduled::announce_due` to announce on its day.
async fn schedule<C: ConnectionTrait>(
    tx: &C,
    organization_id: Uuid,
    effective_on: NaiveDate,
    operation: Operation,
    object_ids: &[Uuid],
) -> Result<()> {
    entity::scheduled_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization_id),
        effective_on: Set(effective_on),
        operation: Set(operation.as_str().to_owned()),
        object_ids: Set(serde_json::json!(object_ids)),
        created_at: Set(crate::clock::now()),
        announced_at: Set(None),
    }
    .insert(tx)
    .await?;
    Ok(())
}

/// Takes the organization's write lock for the rest of the transaction and returns it.
///
/// Every structural write starts here. On PostgreSQL the no-op update holds the row
/// lock, so concurrent writers of one organization queue and invariant checks (one
/// SOLID superior, no cycle) see each other's results; on SQLite it makes the
/// transaction a writer from its first statement, so it queues on the busy timeout
/// instead of failing to upgrade a read lock.
pub(crate) async fn lock<C: ConnectionTrait>(tx: &C, id: Uuid) -> Result<organization::Model> {
    let result = organization::Entity::update_many()
        .col_expr(
            organization::Column::Version,
            Expr::col(organization::Column::Version).into(),
        )
        .filter(organization::Column::Id.eq(id))
        .exec(tx)
        .await?;
    if result.rows_affected == 0 {
        return Err(Error::not_found("organization"));
    }
    organization::Entity::find_by_id(id)
        .one(tx)
        .await?
        .ok_or(Error::not_found("organization"))
}

/// Refuses an update made against an old version.
pub fn check_version(what: &str, current: i32, given: i32) -> Result<()> {
    if current == given {
        Ok(())
    } else {
        Err(Error::stale_version(what, current))
    }
}

/// Begins a write the service makes on its own account, not a principal's (the
/// webhook worker's bookkeeping, idempotency claims): through the same gate, into
/// `organization` if given, with no audit entry. Callers take the organization's lock
/// themselves where they need it.
pub async fn begin_bookkeeping(store: &Store, organization: Option<Uuid>) -> Result<WriteTx> {
    Ok(db::begin_write(&store.writes, organization).await?)
}
