//! The store services write through: the database, the gate writes pass, and the
//! event bus. A change begins and ends through [`crate::write`], which uses all three.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::{
    db::{WriteLimits, Writes, lease::Leases},
    events::EventBus,
    settings::Settings,
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
}
