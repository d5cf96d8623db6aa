//! The `Position` GraphQL type.

use async_graphql::{Context, Description, ID, Object};
use chrono::NaiveDate;
use entity::position;

use crate::{
    enums::{PositionRole, Responsibility},
    error::GqlResult,
    revision::{Lifespan, Revision},
    units::Unit,
};

/// A leadership role heading a unit. Holds no personal data beyond a display name.
/// Read as it stood on a day: its values, and its unit, are that day's.
// The day is the second field; the doc above is the schema's description.
#[derive(Debug, Clone, Description)]
pub struct Position(pub position::Model, pub NaiveDate);

/// Fields of `Position` (as the schema names them) whose rows a list of positions
/// loads ahead for its whole organization (`organizations::prefetch`).
pub mod prefetched {
    /// `unit`: the unit the position heads.
    pub const UNIT: &str = "unit";
}

#[Object(use_type_description)]
impl Position {
    /// Its global id (also for `node`).
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The unit this position heads, as it stood on the day the position was read
    /// for.
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        Ok(Unit::on(ctx, vec![self.0.unit_id], self.1)
            .await?
            .into_iter()
            .next())
    }

    /// The position's title, e.g. "Chief Revenue Officer", on the day read.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Its leadership role, on the day read.
    async fn role(&self) -> GqlResult<PositionRole> {
        Ok(PositionRole::from_db(&self.0.role)?)
    }

    /// Display name of whoever holds the role, if recorded.
    async fn holder_name(&self) -> Option<&str> {
        self.0.holder_name.as_deref()
    }

    /// What the position answers for.
    async fn responsibilities(&self) -> GqlResult<Vec<Responsibility>> {
        Ok(orgdesign_domain::positions::responsibilities(&self.0)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    #[graphql(flatten)]
    async fn lifespan(&self) -> Lifespan {
        Lifespan::new(self.0.effective_from, self.0.effective_to, self.0.archived)
    }

    #[graphql(flatten)]
    async fn revision(&self) -> Revision {
        Revision::new(self.0.version, self.0.created_at, self.0.updated_at)
    }
}
