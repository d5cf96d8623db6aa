//! Stakeholders and relationships in GraphQL.

use async_graphql::{Context, Description, ID, Object};
use entity::{relationship, relationship_review, stakeholder};

use crate::{
    context::db,
    enums::{RelationshipStrength, StakeholderGroup, StakeholderKind},
    error::GqlResult,
    scalars::Timestamp,
};

/// A stakeholder marketing deals with: a unit of the organization or an outside group.
#[derive(Description)]
pub struct StakeholderObject(pub stakeholder::Model);

#[Object(name = "Stakeholder", use_type_description)]
impl StakeholderObject {
    /// The stakeholder's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// INTERNAL (a unit, see `unitId`) or EXTERNAL (a group, see `group`).
    async fn kind(&self) -> GqlResult<StakeholderKind> {
        Ok(StakeholderKind::from_db(&self.0.kind)?)
    }

    /// The unit, for internal stakeholders; null for external ones.
    async fn unit_id(&self) -> Option<ID> {
        self.0.unit_id.map(|id| ID(id.to_string()))
    }

    /// The group, for external stakeholders; null for internal ones.
    async fn group(&self) -> GqlResult<Option<StakeholderGroup>> {
        Ok(self
            .0
            .group
            .as_deref()
            .map(StakeholderGroup::from_db)
            .transpose()?)
    }
}

/// A relationship an owner unit keeps with a stakeholder.
#[derive(Description)]
pub struct RelationshipObject(pub relationship::Model);

#[Object(name = "Relationship", use_type_description)]
impl RelationshipObject {
    /// The relationship's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The unit that keeps the relationship (usually marketing).
    async fn owner_unit_id(&self) -> ID {
        ID(self.0.owner_unit_id.to_string())
    }

    /// The stakeholder it is with.
    async fn stakeholder_id(&self) -> ID {
        ID(self.0.stakeholder_id.to_string())
    }

    /// Trust, 0 to 100, as of the latest review.
    async fn trust_score(&self) -> i32 {
        self.0.trust_score
    }

    /// Its strength as of the latest review.
    async fn strength(&self) -> GqlResult<RelationshipStrength> {
        Ok(RelationshipStrength::from_db(&self.0.strength)?)
    }

    /// When it was last reviewed (its creation counts as the first review).
    async fn last_reviewed_at(&self) -> Option<Timestamp> {
        self.0.last_reviewed_at.map(Timestamp::from)
    }

    /// The latest review's notes; null when it had none.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }

    /// Optimistic-concurrency version; send it back with reviews.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Every review, newest first.
    async fn reviews(&self, ctx: &Context<'_>) -> GqlResult<Vec<RelationshipReview>> {
        Ok(
            orgdesign_domain::stakeholders::service::reviews(db(ctx)?, &self.0)
                .await?
                .into_iter()
                .map(RelationshipReview)
                .collect(),
        )
    }
}

/// One review of a relationship.
#[derive(Description)]
pub struct RelationshipReview(pub relationship_review::Model);

#[Object(use_type_description)]
impl RelationshipReview {
    /// Trust, 0 to 100.
    async fn trust_score(&self) -> i32 {
        self.0.trust_score
    }

    /// The strength the review found.
    async fn strength(&self) -> GqlResult<RelationshipStrength> {
        Ok(RelationshipStrength::from_db(&self.0.strength)?)
    }

    /// The review's notes; null when it had none.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }

    /// When it was recorded.
    async fn reviewed_at(&self) -> Timestamp {
        self.0.reviewed_at.into()
    }

    /// Who recorded it (a token's subject).
    async fn reviewed_by(&self) -> Option<&str> {
        self.0.reviewed_by.as_deref()
    }
}
