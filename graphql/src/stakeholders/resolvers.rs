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
    pub organization_id: ID,
    pub name: String,
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
    pub stakeholder_id: ID,
    /// 0 to 100.
    pub trust_score: i32,
    pub strength: RelationshipStrength,
    pub notes: Option<String>,
}

/// Input of `reviewRelationship`.
#[derive(InputObject, Debug)]
pub struct ReviewRelationshipInput {
    pub id: ID,
    pub version: i32,
    pub trust_score: i32,
    pub strength: RelationshipStrength,
    pub notes: Option<String>,
}

/// Stakeholder and relationship mutations. Editors and admins.
#[derive(Default)]
pub struct RelationshipMutation;

#[Object]
impl RelationshipMutation {
    /// Adds a stakeholder: an internal one points at a unit, an external one names a
    /// group.
    async fn create_stakeholder(
        &self,
        ctx: &Context<'_>,
        input: CreateStakeholderInput,
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

    /// Starts tracking a relationship; its first review is recorded with it.
    async fn create_relationship(
        &self,
        ctx: &Context<'_>,
        input: CreateRelationshipInput,
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
    async fn review_relationship(
        &self,
        ctx: &Context<'_>,
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
