//! An organization: the tenant every other row belongs to.

use sea_orm::entity::prelude::*;

/// An organization: the tenant every other row belongs to.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organization")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// URL-safe, unique across the service.
    pub slug: String,
    pub name: String,
    pub industry: Option<String>,
    pub employee_count: Option<i32>,
    /// The collaboration model the organization says it runs (see `CollaborationModel` in the API).
    pub declared_model: Option<String>,
    /// Archived organizations keep their history but leave default listings.
    pub archived: bool,
    /// How many structure changes (units, positions, reporting lines) have committed:
    /// a scenario records the count it was drafted on.
    pub structure_version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version: +1 on every update.
    pub version: i32,
}

plain_entity!();
