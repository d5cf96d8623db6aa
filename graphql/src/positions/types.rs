//! The `Position` GraphQL type.

use async_graphql::{Context, ID, Object};
use entity::position;

use crate::{
    context::loaders,
    enums::{PositionRole, Responsibility},
    error::GqlResult,
    scalars::Timestamp,
    units::Unit,
};

/// A leadership role heading a unit. Holds no personal data beyond a display name.
#[derive(Debug, Clone)]
pub struct Position(pub position::Model);

/// Fields of `Position` (as the schema names them) whose rows a list of positions
/// loads ahead for its whole organization (`organizations::prefetch`).
pub mod prefetched {
    /// `unit`: the unit the position heads.
    pub const UNIT: &str = "unit";
}

#[Object]
impl Position {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The unit this position heads.
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        Ok(loaders(ctx)?
            .unit_by_id
            .load_one(self.0.unit_id)
            .await?
            .map(Unit))
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

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

    async fn archived(&self) -> bool {
        self.0.archived
    }

    /// Optimistic-concurrency version; send it back with updates.
    async fn version(&self) -> i32 {
        self.0.version
    }

    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }

    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at.into()
    }
}
