//! The store services write through: the database, the gate writes pass, and the
//! event bus.
//!
//! A service opens its write transaction through [`Store::writes`] (with
//! `crate::db::begin_write`), writes its audit entry in it, and after the commit
//! publishes its event on [`Store::events`]; [`Store::commit_structure_change`] does
//! those steps in that order, so callers cannot announce a change that did not commit.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use crate::{
    audit,
    auth::RequestContext,
    db::{WriteLimits, WriteTx, Writes, lease::Leases},
    error::Result,
    events::{Event, EventBus},
    settings::Settings,
    webhooks,
};

/// What services write through: the database, the gate in front of its writers, and
/// the bus that tells subscribers about committed changes. Built once at start-up (or
/// by the CLI) and shared; cloning it clones handles.
#[derive(Debug, Clone)]
pub struct Store {
    /// For reads, and what writes begin on (through [`Store::writes`]).
    pub db: DatabaseConnection,
    /// The per-organization queues, the writers' share of the pool, the deadlines.
    pub writes: Arc<Writes>,
    /// This process as the owner of claims (`Idempotency-Key`s) and the leases of
    /// its attempts; a serving process keeps its liveness lock
    /// ([`Leases::keep_alive`]).
    pub leases: Arc<Leases>,
    pub events: EventBus,
}

impl Store {
    /// A store on `db` for the command-line tools: writes wait as long as they take
    /// (see [`WriteLimits::unbounded`]). Its event bus publishes through the database
    /// on PostgreSQL, so every instance's subscribers hear it.
    pub fn new(db: DatabaseConnection) -> Self {
        let limits = WriteLimits::unbounded(&db);
        Self::with_limits(db, limits)
    }

    /// The server's store on `db`: writes keep to the limits of `settings`.
    pub fn serving(db: DatabaseConnection, settings: &Settings) -> Self {
        let limits = WriteLimits::from_settings(&db, settings);
        Self::with_limits(db, limits)
    }

    /// A store on `db` whose writes keep to `limits`.
    pub fn with_limits(db: DatabaseConnection, limits: WriteLimits) -> Self {
        Self {
            events: EventBus::new(db.clone()),
            writes: Arc::new(Writes::new(db.clone(), limits)),
            leases: Arc::new(Leases::new(db.get_database_backend())),
            db,
        }
    }

    /// Writes the audit entry of a structural change (units, positions, reporting
    /// lines) and its `structure.changed` webhook event (the outbox), counts it in the
    /// organization's `structure_version`, commits, and then tells subscribers about
    /// it under the entry's name and objects: a change that does not commit is never
    /// announced, and one that commits always is (to subscribers while this instance
    /// runs; to webhooks always, as the outbox row commits with it).
    pub async fn commit_structure_change(
        &self,
        tx: WriteTx,
        ctx: &RequestContext,
        organization_id: Uuid,
        operation: &'static str,
        object_ids: Vec<Uuid>,
    ) -> Result<()> {
        self.commit_changes(
            tx,
            ctx,
            organization_id,
            vec![(operation, object_ids)],
            true,
        )
        .await
    }

    /// Several structural changes in one transaction (a scenario's promotion): one
    /// audit entry and one announcement each, one step of `structure_version`.
    pub async fn commit_structure_changes(
        &self,
        tx: WriteTx,
        ctx: &RequestContext,
        organization_id: Uuid,
        changes: Vec<(&'static str, Vec<Uuid>)>,
    ) -> Result<()> {
        self.commit_changes(tx, ctx, organization_id, changes, true)
            .await
    }

    /// As [`Store::commit_structure_change`] for a change of the organization's own
    /// row (its name, its declared model): announced the same way, but not a change
    /// of its structure, so drafts made against the structure stay current.
    pub async fn commit_organization_change(
        &self,
        tx: WriteTx,
        ctx: &RequestContext,
        organization_id: Uuid,
        operation: &'static str,
        object_ids: Vec<Uuid>,
    ) -> Result<()> {
        self.commit_changes(
            tx,
            ctx,
            organization_id,
            vec![(operation, object_ids)],
            false,
        )
        .await
    }

    async fn commit_changes(
        &self,
        tx: WriteTx,
        ctx: &RequestContext,
        organization_id: Uuid,
        changes: Vec<(&'static str, Vec<Uuid>)>,
        structural: bool,
    ) -> Result<()> {
        if structural {
            audit::count_structure_change(&tx, organization_id).await?;
        }
        for (operation, object_ids) in &changes {
            webhooks::outbox::enqueue(
                &tx,
                organization_id,
                webhooks::EventType::StructureChanged,
                serde_json::json!({ "operation": operation, "objectIds": object_ids }),
            )
            .await?;
        }
        for change in audit::commit_all(tx, ctx, organization_id, changes).await? {
            self.events
                .publish(Event::StructureChanged {
                    organization_id: change.organization_id,
                    operation: change.operation.to_owned(),
                    object_ids: change.object_ids,
                })
                .await;
        }
        Ok(())
    }
}
