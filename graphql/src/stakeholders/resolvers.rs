//! Stakeholder and relationship mutations.

use async_graphql::{Context, ID, InputObject, Object};
use orgdesign_domain::{
    Description, Name, Score,
    error::Error,
    parse_id,
    stakeholders::service::{self, NewRelationship, NewStakeholder, Review, StakeholderRef},
};

use super::types::{RelationshipObject, StakeholderObject};
use crate::{
    context::{request, store, writer_of},
    enums::{RelationshipStrength, StakeholderGroup, StakeholderKind},
    error::{AtInput, GqlResult},
};

/// Input of `createStakeholder`.
#[derive(InputObject, Debug)]
pub struct CreateStakeholderInput {
    /// The organization.
    pub organization_id: ID,
    /// Display name: one line, up to 200 characters.
    pub name: String,
    /// INTERNAL (give `unitId`) or EXTERNAL (give `group`).
    pub kind: StakeholderKind,
    /// Required for INTERNAL: the unit (finance, IT, a business unit ...).
    pub unit_id: Option<ID>,
    /// Required for EXTERNAL: the group.
    pub group: Option<StakeholderGroup>,
}

/// Input of `createRelationship`.
#[derive(InputObject, Debug)]
pub struct CreateRelationshipInput {
    /// The unit that keeps it (usually marketing).
    pub owner_unit_id: ID,
    /// The stakeholder it is with; same organization.
    pub stakeholder_id: ID,
    /// 0 to 100.
    pub trust_score: i32,
    /// How strong it is now.
    pub strength: RelationshipStrength,
    /// Free text, up to 2,000 characters; null or blank for none.
    pub notes: Option<String>,
}

/// Input of `reviewRelationship`.
#[derive(InputObject, Debug)]
pub struct ReviewRelationshipInput {
    /// The relationship reviewed.
    pub id: ID,
    /// The version the review was made against; a newer stored one is a `CONFLICT`.
    pub version: i32,
    /// Trust now, 0 to 100.
    pub trust_score: i32,
    /// Strength now.
    pub strength: RelationshipStrength,
    /// The review's notes, up to 2,000 characters; they replace the relationship's
    /// notes (null or blank clears them).
    pub notes: Option<String>,
}

/// Stakeholder and relationship mutations. Editors and admins.
#[derive(Default)]
pub struct RelationshipMutation;

#[Object]
impl RelationshipMutation {
    /// Adds a stakeholder: an internal one points at a unit, an external one names a
    /// group. Admins; editors in their organizations.
    async fn create_stakeholder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new stakeholder.")] input: CreateStakeholderInput,
    ) -> GqlResult<StakeholderObject> {
        let (writer, organization_id) =
            writer_of(ctx, "input.organizationId", &input.organization_id)?;
        let name = Name::parse("input.name", &input.name)?;
        let unit = input
            .unit_id
            .map(|u| parse_id("input.unitId", &u))
            .transpose()?;
        let who = match (input.kind, unit, input.group) {
            (StakeholderKind::Internal, Some(unit), None) => StakeholderRef::Internal(unit),
            (StakeholderKind::External, None, Some(group)) => {
                StakeholderRef::External(group.into())
            }
            (StakeholderKind::Internal, _, _) => {
                return Err(Error::bad_input(
                    "input.unitId",
                    "an internal stakeholder names a unit (and no group)",
                )
                .into());
            }
            (StakeholderKind::External, _, _) => {
                return Err(Error::bad_input(
                    "input.group",
                    "an external stakeholder names a group (and no unit)",
                )
                .into());
            }
        };
        let new = NewStakeholder {
            organization_id,
            name,
            who,
        };
        let row = service::create_stakeholder(store(ctx)?, writer, new)
            .await
            .at_input()?;
        Ok(StakeholderObject(row))
    }

    /// Starts tracking a relationship; its first review is recorded with it. Admins; editors in their organizations.
    async fn create_relationship(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new relationship.")] input: CreateRelationshipInput,
    ) -> GqlResult<RelationshipObject> {
        let writer = request(ctx)?.writer()?;
        let new = NewRelationship {
            trust_score: Score::parse("input.trustScore", input.trust_score)?,
            owner_unit_id: parse_id("input.ownerUnitId", &input.owner_unit_id)?,
            stakeholder_id: parse_id("input.stakeholderId", &input.stakeholder_id)?,
            strength: input.strength.into(),
            notes: Description::parse_opt("input.notes", input.notes.as_deref())?,
        };
        let row = service::create_relationship(store(ctx)?, writer, new)
            .await
            .at_input()?;
        Ok(RelationshipObject(row))
    }

    /// Records a review: the new trust score and strength; the history keeps every one.
    /// Admins; editors in their organizations.
    async fn review_relationship(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which relationship, its version and the review.")]
        input: ReviewRelationshipInput,
    ) -> GqlResult<RelationshipObject> {
        let writer = request(ctx)?.writer()?;
        let review = Review {
            trust_score: Score::parse("input.trustScore", input.trust_score)?,
            id: parse_id("input.id", &input.id)?,
            version: input.version,
            strength: input.strength.into(),
            notes: Description::parse_opt("input.notes", input.notes.as_deref())?,
        };
        let row = service::review_relationship(store(ctx)?, writer, review)
            .await
            .at_input()?;
        Ok(RelationshipObject(row))
    }
}
