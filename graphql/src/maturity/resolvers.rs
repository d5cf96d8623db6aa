//! The `declareStage` mutation.

use async_graphql::{Context, ID, InputObject, Object};
use orgdesign_domain::{
    Description, StorableDate, clock,
    maturity::service::{self, NewStageDeclaration},
};

use super::types::StageAssessmentObject;
use crate::{
    context::{store, writer_of},
    enums::StageKey,
    error::{AtInput, GqlResult},
    scalars::Date,
};

/// Input of `declareStage`.
#[derive(InputObject, Debug)]
pub struct DeclareStageInput {
    /// The organization.
    pub organization_id: ID,
    /// The stage it is at.
    pub stage: StageKey,
    /// The day of the assessment (default: today).
    pub assessed_on: Option<Date>,
    /// Why, up to 2,000 characters; null or blank for none.
    pub rationale: Option<String>,
}

/// Maturity mutations.
#[derive(Default)]
pub struct MaturityMutation;

#[Object]
impl MaturityMutation {
    /// Declares the organization's maturity stage as of a day. Declarations are kept:
    /// `maturity.history` lists them. Editors and admins.
    async fn declare_stage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization, the stage and the day.")] input: DeclareStageInput,
    ) -> GqlResult<StageAssessmentObject> {
        let (writer, organization_id) =
            writer_of(ctx, "input.organizationId", &input.organization_id)?;
        let new = NewStageDeclaration {
            organization_id,
            stage: input.stage.into(),
            assessed_on: StorableDate::parse_text_or(
                "input.assessedOn",
                input.assessed_on.as_ref().map(Date::as_str),
                clock::today(),
            )?,
            rationale: Description::parse_opt("input.rationale", input.rationale.as_deref())?,
        };
        let row = service::declare(store(ctx)?, writer, new)
            .await
            .at_input()?;
        Ok(StageAssessmentObject(row))
    }
}
