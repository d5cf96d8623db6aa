//! Batched organization lookups.

use entity::organization;

use crate::loader::rows_by_id;

rows_by_id! {
    /// Organizations by id.
    OrganizationById: organization::Id, index by id
}
