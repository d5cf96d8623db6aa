//! Batched unit lookups.

use entity::org_unit;

use crate::loader::rows_by_id;

rows_by_id! {
    /// Units by id.
    UnitById: org_unit::Id, index by id
}

rows_by_id! {
    /// All units of each organization, by name (archived included; callers filter).
    UnitsByOrganization: org_unit::OrganizationId, group by organization_id, ordered by Name, Id
}
