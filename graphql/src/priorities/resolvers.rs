//! The `assessPriority` mutation.

use async_graphql::{Context, ID, InputObject, Object};
use orgdesign_domain::{
    Description, Score, Weight, parse_id,
    priorities::service::{self, NewAssessment},
};

use super::types::PriorityAssessmentObject;
use crate::{
    context::{store, writer_of},
    enums::PriorityKey,
    error::{AtInput, GqlResult},
    scalars::Timestamp,
};

/// Input of `assessPriority`.
#[derive(InputObject, Debug)]
pub struct AssessPriorityInput {
    /// The organization.
    pub organization_id: ID,
    /// The priority assessed.
    pub priority: PriorityKey,
    /// 0 to 100.
    pub score: i32,
    /// 1 to 10 (default 1).
    #[graphql(default = 1)]
    pub weight: i32,
    /// The unit that owns the priority (usually marketing).
    pub owner_unit_id: Option<ID>,
    /// Free text, up to 2,000 characters; null or blank for none.
    pub notes: Option<String>,
    /// When it was assessed (default: now).
    pub assessed_at: Option<Timestamp>,
}

/// Priority mutations.
#[derive(Default)]
pub struct PriorityMutation;

#[Object]
impl PriorityMutation {
    /// Records an assessment of one leadership priority; earlier ones stay as history.
    /// Editors and admins.
    async fn assess_priority(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The priority, its score and weight.")] input: AssessPriorityInput,
    ) -> GqlResult<PriorityAssessmentObject> {
        let (writer, organization_id) =
            writer_of(ctx, "input.organizationId", &input.organization_id)?;
        let new = NewAssessment {
            organization_id,
            priority: input.priority.into(),
            score: Score::parse("input.score", input.score)?,
            weight: Weight::parse("input.weight", input.weight)?,
            owner_unit_id: input
                .owner_unit_id
                .map(|id| parse_id("input.ownerUnitId", &id))
                .transpose()?,
            notes: Description::parse_opt("input.notes", input.notes.as_deref())?,
            assessed_at: input.assessed_at.map(|moment| moment.0),
        };
        let row = service::assess(store(ctx)?, writer, new).await.at_input()?;
        Ok(PriorityAssessmentObject(row))
    }
}
