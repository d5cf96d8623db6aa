//! Batched position lookups.

use entity::position;

use crate::loader::rows_by_id;

rows_by_id! {
    /// Positions of each unit, by title (archived included; callers filter).
    PositionsByUnit: position::UnitId, group by unit_id, ordered by Title, Id
}

rows_by_id! {
    /// Positions of each organization, by title.
    PositionsByOrganization: position::OrganizationId, group by organization_id, ordered by Title, Id
}
