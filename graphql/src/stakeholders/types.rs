//! Stakeholders and relationships in GraphQL.

use async_graphql::{Context, ID, Object};
use entity::{relationship, relationship_review, stakeholder};

use crate::{
    context::db,
    enums::{RelationshipStrength, StakeholderGroup, StakeholderKind},
    error::GqlResult,
    scalars::Timestamp,
};

/// A stakeholder.
pub struct StakeholderObject(pub stakeholder::Model);

#[Object(name = "Stakeholder")]
impl StakeholderObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn kind(&self) -> GqlResult<StakeholderKind> {
        Ok(StakeholderKind::from_db(&self.0.kind)?)
    }

    /// The unit, for internal stakeholders.
    async fn unit_id(&self) -> Option<ID> {
        self.0.unit_id.map(|id| ID(id.to_string()))
    }

    /// The group, for external stakeholders.
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
pub struct RelationshipObject(pub relationship::Model);

#[Object(name = "Relationship")]
impl RelationshipObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The unit that keeps the relationship (usually marketing).
    async fn owner_unit_id(&self) -> ID {
        ID(self.0.owner_unit_id.to_string())
    }

    async fn stakeholder_id(&self) -> ID {
        ID(self.0.stakeholder_id.to_string())
    }

    /// 0 to 100.
    async fn trust_score(&self) -> i32 {
        self.0.trust_score
    }

    async fn strength(&self) -> GqlResult<RelationshipStrength> {
        Ok(RelationshipStrength::from_db(&self.0.strength)?)
    }

    async fn last_reviewed_at(&self) -> Option<Timestamp> {
        self.0.last_reviewed_at.map(Timestamp::from)
    }

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
pub struct RelationshipReview(pub relationship_review::Model);

#[Object]
impl RelationshipReview {
    async fn trust_score(&self) -> i32 {
        self.0.trust_score
    }

    async fn strength(&self) -> GqlResult<RelationshipStrength> {
        Ok(RelationshipStrength::from_db(&self.0.strength)?)
    }

    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }

    async fn reviewed_at(&self) -> Timestamp {
        self.0.reviewed_at.into()
    }

    async fn reviewed_by(&self) -> Option<&str> {
        self.0.reviewed_by.as_deref()
    }
}
