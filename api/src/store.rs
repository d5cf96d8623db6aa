//! The store services write through: the database and the event bus.
//!
//! A service opens its write transaction on [`Store::db`] (through `crate::db`),
//! writes its audit entry in it, and after the commit publishes its event on
//! [`Store::events`]; [`Store::commit_structure_change`] does those steps in that
//! order, so callers cannot announce a change that did not commit.

use sea_orm::{DatabaseConnection, DatabaseTransaction};
use uuid::Uuid;

use crate::{
    audit,
    auth::RequestContext,
    error::Result,
    events::{Event, EventBus},
};

/// What services write through: the database and the bus that tells subscribers about
/// committed changes. Built once at start-up (or by the CLI) and shared; cloning it
/// clones two handles.
#[derive(Debug, Clone)]
pub struct Store {
    pub db: DatabaseConnection,
    pub events: EventBus,
}

impl Store {
    /// A store on `db` with its own event bus (on PostgreSQL the bus publishes through
    /// the database, so every instance's subscribers hear it).
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            events: EventBus::new(db.clone()),
            db,
        }
    }

    /// Writes the audit entry of a structural change, commits, and then tells
    /// subscribers about it under the entry's name and objects: a change that does not
    /// commit is never announced, and one that commits always is (while this instance
    /// runs).
    pub async fn commit_structure_change(
        &self,
        tx: DatabaseTransaction,
        ctx: &RequestContext,
        organization_id: Uuid,
        operation: &'static str,
        object_ids: Vec<Uuid>,
    ) -> Result<()> {
        let change = audit::commit(tx, ctx, organization_id, operation, object_ids).await?;
        self.events
            .publish(Event::StructureChanged {
                organization_id: change.organization_id,
                operation: change.operation.to_owned(),
                object_ids: change.object_ids,
            })
            .await;
        Ok(())
    }
}
