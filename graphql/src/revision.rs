//! The optimistic-concurrency version and the two timestamps a structure object
//! carries, and the days a unit or position exists, as fields of the object itself.

use async_graphql::SimpleObject;
use chrono::{DateTime, NaiveDate, Utc};

use crate::scalars::{Date, Timestamp};

/// `version`, `createdAt` and `updatedAt` of a structure object whose version a client
/// sends back with updates. An object lists them with a `#[graphql(flatten)]` field
/// that answers a `Revision`, so they stand among its own fields and no `Revision`
/// type shows in the schema.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct Revision {
    /// Optimistic-concurrency version; send it back with updates.
    version: i32,
    /// When it was created.
    created_at: Timestamp,
    /// When it was last changed (its creation, until a change).
    updated_at: Timestamp,
}

impl Revision {
    /// The revision of a row with this version and these timestamps.
    pub fn new(version: i32, created_at: DateTime<Utc>, updated_at: DateTime<Utc>) -> Self {
        Self {
            version,
            created_at: created_at.into(),
            updated_at: updated_at.into(),
        }
    }
}

/// `effectiveFrom`, `effectiveTo` and the deprecated `archived` of a unit or position
/// read for a day, listed like [`Revision`] through a `#[graphql(flatten)]` field.
#[derive(SimpleObject, Debug, Clone)]
pub struct Lifespan {
    /// Whether it had ended by the day it was read for.
    #[graphql(deprecation = "Use effectiveTo: it exists until that day.")]
    archived: bool,
    /// The first day it exists.
    effective_from: Date,
    /// The first day it no longer exists (archiving sets it); null while it lasts.
    effective_to: Option<Date>,
}

impl Lifespan {
    /// The lifespan of a row existing over `[from, to)`, read for a day on which it
    /// had `ended` or not.
    pub fn new(from: NaiveDate, to: Option<NaiveDate>, ended: bool) -> Self {
        Self {
            archived: ended,
            effective_from: from.into(),
            effective_to: to.map(Into::into),
        }
    }
}
