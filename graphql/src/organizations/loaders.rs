//! Organizations read by id, for the request's loaders.

use entity::organization;
use orgdesign_domain::{organizations::service, query::index};
use uuid::Uuid;

use crate::batch::loader;

loader! {
    /// Organizations by id: [`service::by_ids`].
    pub OrganizationById: Read(db, ids: Uuid) -> organization::Model {
        Ok(index(service::by_ids(db, ids).await?, |row| row.id))
    }
}
