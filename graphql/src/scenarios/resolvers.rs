//! Scenario queries and mutations.

use async_graphql::{Context, ID, InputObject, Object};
use orgdesign_domain::{
    Description, Name,
    auth::Writer,
    error::{Error, Result},
    parse_id,
    scenarios::{
        apply::Limits,
        evaluation,
        service::{self, MAX_COMPARED, NewScenario},
    },
    store::Store,
};
use uuid::Uuid;

use super::{input::ChangeInput, types::Scenario};
use crate::{
    context::{db, find_readable, limits, request, store},
    error::{AtInput, GqlResult},
    pagination::{self, Page},
    scalars::Date,
};

/// Input of `createScenario`.
#[derive(InputObject, Debug)]
pub struct CreateScenarioInput {
    /// The organization it would reorganize.
    organization_id: ID,
    /// Display name: one line, up to 200 characters.
    name: String,
    /// What it is for, up to 2,000 characters; null or blank for none.
    description: Option<String>,
    /// The day the changes would take effect.
    effective_from: Date,
}

impl CreateScenarioInput {
    fn parse(self) -> Result<NewScenario> {
        Ok(NewScenario {
            organization_id: parse_id("input.organizationId", &self.organization_id)?,
            name: Name::parse("input.name", &self.name)?,
            description: Description::parse_opt("input.description", self.description.as_deref())?,
            effective_from: self.effective_from.storable("input.effectiveFrom")?,
        })
    }
}

/// Input of `addScenarioChanges`.
#[derive(InputObject, Debug)]
pub struct AddScenarioChangesInput {
    /// The draft to add to.
    scenario_id: ID,
    /// The version the changes were made against; a newer stored one is a `CONFLICT`.
    version: i32,
    /// Appended in order, each checked against the state the earlier ones leave.
    changes: Vec<ChangeInput>,
}

/// Input of `promoteScenario`, `rebaseScenario` and `discardScenario`.
#[derive(InputObject, Debug)]
pub struct ScenarioVersionInput {
    /// The draft.
    scenario_id: ID,
    /// The version the change was made against; a newer stored one is a `CONFLICT`.
    version: i32,
}

/// Scenario queries.
#[derive(Default)]
pub struct ScenarioQuery;

#[Object]
impl ScenarioQuery {
    /// One scenario by id; null when unknown or out of reach. Admins, editors and
    /// viewers.
    async fn scenario(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The scenario's id.")] id: ID,
    ) -> GqlResult<Option<Scenario>> {
        let found = find_readable(ctx, &id, evaluation::find, |m| m.organization_id).await?;
        Ok(found.map(Scenario::new))
    }

    /// Several draft scenarios evaluated side by side (at most 10), in the order
    /// asked: each one's `diff` holds its figures. Admins, editors and viewers.
    async fn compare_scenarios(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The scenarios' ids, at most 10 (more is `LIMIT_EXCEEDED`).")] ids: Vec<
            ID,
        >,
    ) -> GqlResult<Vec<Scenario>> {
        let principal = request(ctx)?.principal()?;
        principal.may_read_structure()?;
        if ids.len() > MAX_COMPARED {
            return Err(Error::LimitExceeded(format!(
                "compareScenarios takes at most {MAX_COMPARED} scenarios"
            ))
            .into());
        }
        let ids = ids
            .iter()
            .enumerate()
            .map(|(i, id)| parse_id(&format!("ids[{i}]"), id))
            .collect::<Result<Vec<_>>>()?;
        let found = evaluation::find_many(db(ctx)?, &ids).await?;
        let mut rows = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let row = found
                .iter()
                .find(|s| s.id == *id && principal.can_read(s.organization_id))
                .ok_or_else(|| Error::not_found_at("scenario", format!("ids[{i}]")))?;
            rows.push(row);
        }
        let evaluations =
            evaluation::evaluate(db(ctx)?, &rows, service::limits(limits(ctx)?)).await?;
        Ok(rows
            .into_iter()
            .zip(evaluations)
            .map(|(row, evaluation)| Scenario::evaluated(row.clone(), evaluation))
            .collect())
    }
}

/// The scenarios of an organization, for `Organization.scenarios`.
pub async fn of_organization(
    ctx: &Context<'_>,
    organization: uuid::Uuid,
    status: Option<orgdesign_domain::ScenarioStatus>,
    first: Option<i32>,
    after: Option<String>,
) -> GqlResult<Page<Scenario>> {
    let principal = request(ctx)?.principal()?;
    principal.may_read(organization, "organization")?;
    let list = async |db: &_, page| evaluation::list(db, organization, status, page).await;
    pagination::load_page(ctx, first, after.as_deref(), list, Scenario::new).await
}

/// Scenario mutations: admins and the organization's editors.
#[derive(Default)]
pub struct ScenarioMutation;

#[Object]
impl ScenarioMutation {
    /// Starts a draft reorganization of an organization, against its structure as it
    /// is now. Admins; editors in their organizations.
    async fn create_scenario(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new scenario.")] input: CreateScenarioInput,
    ) -> GqlResult<Scenario> {
        let writer = request(ctx)?.writer()?;
        let new = input.parse()?;
        Ok(Scenario::new(
            service::create(store(ctx)?, writer, new).await.at_input()?,
        ))
    }

    /// Appends changes to a draft whose `version` is current. Each is checked against
    /// the scenario's state so far; a refused one names its place and field
    /// (`changes[2].superiorUnitId`) and nothing is stored. Admins; editors in their organizations.
    async fn add_scenario_changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The draft, its version and the changes.")] input: AddScenarioChangesInput,
    ) -> GqlResult<Scenario> {
        let (store, writer, id, limits) = draft(ctx, &input.scenario_id)?;
        let changes = input.changes.into_iter().map(Into::into).collect();
        let row = service::add_changes(store, writer, id, input.version, changes, limits);
        Ok(Scenario::new(row.await.at_input()?))
    }

    /// Applies a draft to the live structure in one transaction, dated
    /// `effectiveFrom`. `CONFLICT` when the live structure changed since the draft
    /// was validated (rebase it), or when it is not a draft. Admins; editors in their organizations.
    async fn promote_scenario(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The draft and its version.")] input: ScenarioVersionInput,
    ) -> GqlResult<Scenario> {
        let (store, writer, id, limits) = draft(ctx, &input.scenario_id)?;
        let row = service::promote(store, writer, id, input.version, limits);
        Ok(Scenario::new(row.await.at_input()?))
    }

    /// Re-validates every change of a draft against today's live structure and makes
    /// that its base. Admins; editors in their organizations.
    async fn rebase_scenario(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The draft and its version.")] input: ScenarioVersionInput,
    ) -> GqlResult<Scenario> {
        let (store, writer, id, limits) = draft(ctx, &input.scenario_id)?;
        let row = service::rebase(store, writer, id, input.version, limits);
        Ok(Scenario::new(row.await.at_input()?))
    }

    /// Ends a draft without applying it; it stays readable. Admins; editors in their organizations.
    async fn discard_scenario(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The draft and its version.")] input: ScenarioVersionInput,
    ) -> GqlResult<Scenario> {
        let (store, writer, id, _) = draft(ctx, &input.scenario_id)?;
        let row = service::discard(store, writer, id, input.version);
        Ok(Scenario::new(row.await.at_input()?))
    }
}

/// What every change of a draft starts with: the writer capability obtained first,
/// then the scenario's id read from `input.scenarioId`; with the store and the limits
/// a draft keeps to, for the service.
fn draft<'a>(
    ctx: &Context<'a>,
    scenario_id: &ID,
) -> GqlResult<(&'a Store, Writer<'a>, Uuid, Limits)> {
    let writer = request(ctx)?.writer()?;
    let id = parse_id("input.scenarioId", scenario_id)?;
    Ok((store(ctx)?, writer, id, service::limits(limits(ctx)?)))
}
