//! The optimistic-concurrency version and the two timestamps a structure object
//! carries, as fields of the object itself.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};

use crate::scalars::Timestamp;

/// `version`, `createdAt` and `updatedAt` of a structure object whose version a client
/// sends back with updates. An object lists them with a `#[graphql(flatten)]` field
/// that answers a `Revision`, so they stand among its own fields and no `Revision`
/// type shows in the schema.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct Revision {
    /// Optimistic-concurrency version; send it back with updates.
    version: i32,
    created_at: Timestamp,
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
