//! Scenarios in GraphQL: `Scenario`, its structure, and `ScenarioDiff`.

use std::sync::Arc;

use async_graphql::{Context, Description, ID, Object};
use entity::{organization, scenario};
use orgdesign_domain::{
    error::Error,
    scenarios::{
        change::Change,
        evaluation::{self, Evaluation},
        service,
    },
};
use tokio::sync::OnceCell;

use super::{
    diff::ScenarioDiff,
    parts::{ScenarioLine, ScenarioPosition, ScenarioUnit, lines_of, position_of, unit_of},
};
use crate::{
    context::{db, limits, loaders},
    enums::{ChartFormat, CollaborationModel, ScenarioStatus, Severity},
    error::GqlResult,
    insights::{CollaborationModelReport, InsightObject},
    scalars::{Date, Timestamp},
};

/// A scenario: a draft reorganization of an organization (units, lines and positions
/// changed from a day on), evaluated against the live structure before it is promoted.
#[derive(Description)]
pub struct Scenario {
    pub row: scenario::Model,
    evaluation: OnceCell<Arc<Evaluation>>,
}

impl Scenario {
    /// A scenario whose evaluation is loaded when first asked for.
    pub fn new(row: scenario::Model) -> Self {
        Self {
            row,
            evaluation: OnceCell::new(),
        }
    }

    /// A scenario evaluated already (`compareScenarios` evaluates several at once).
    pub fn evaluated(row: scenario::Model, evaluation: Evaluation) -> Self {
        Self {
            row,
            evaluation: OnceCell::new_with(Some(Arc::new(evaluation))),
        }
    }

    async fn evaluation(&self, ctx: &Context<'_>) -> GqlResult<Arc<Evaluation>> {
        let evaluation = self
            .evaluation
            .get_or_try_init(|| async {
                let limits = service::limits(limits(ctx)?);
                let mut all = evaluation::evaluate(db(ctx)?, &[&self.row], limits).await?;
                let found: GqlResult<Arc<Evaluation>> = all
                    .pop()
                    .map(Arc::new)
                    .ok_or_else(|| Error::not_found("scenario").into());
                found
            })
            .await?;
        Ok(evaluation.clone())
    }
}

#[Object(use_type_description)]
impl Scenario {
    /// The scenario's id.
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    /// The organization it reorganizes.
    async fn organization_id(&self) -> ID {
        ID(self.row.organization_id.to_string())
    }

    /// The organization it reorganizes.
    async fn organization(
        &self,
        ctx: &Context<'_>,
    ) -> GqlResult<Option<crate::organizations::Organization>> {
        let org: Option<organization::Model> = loaders(ctx)?
            .organization_by_id
            .load_one(self.row.organization_id)
            .await?;
        Ok(org.map(crate::organizations::Organization))
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.row.name
    }

    /// What it is for; null when none was given.
    async fn description(&self) -> Option<&str> {
        self.row.description.as_deref()
    }

    /// The day its changes take effect: lines start and end on it.
    async fn effective_from(&self) -> Date {
        self.row.effective_from.into()
    }

    /// Draft, promoted or discarded.
    async fn status(&self) -> GqlResult<ScenarioStatus> {
        Ok(ScenarioStatus::from_db(&self.row.status)?)
    }

    /// The subject of the token that drafted it.
    async fn created_by(&self) -> &str {
        &self.row.created_by
    }

    /// Optimistic-concurrency version: changing mutations carry it.
    async fn version(&self) -> i32 {
        self.row.version
    }

    /// The organization's structure version its changes were last validated on;
    /// promotion is refused (`CONFLICT`) once the live structure has moved past it,
    /// until the draft is rebased.
    async fn base_structure_version(&self) -> i32 {
        self.row.base_structure_version
    }

    /// When it was created.
    async fn created_at(&self) -> Timestamp {
        self.row.created_at.into()
    }

    /// When it was last changed.
    async fn updated_at(&self) -> Timestamp {
        self.row.updated_at.into()
    }

    /// When it was promoted or discarded.
    async fn closed_at(&self) -> Option<Timestamp> {
        self.row.closed_at.map(Into::into)
    }

    /// Its changes, in order.
    async fn changes(&self) -> GqlResult<Vec<ScenarioChange>> {
        Ok(
            orgdesign_domain::scenarios::change::from_json(&self.row.changes)?
                .into_iter()
                .enumerate()
                .map(|(index, change)| ScenarioChange { index, change })
                .collect(),
        )
    }

    /// The structure as it would be on `effectiveFrom` (drafts only).
    async fn structure(&self, ctx: &Context<'_>) -> GqlResult<ScenarioStructure> {
        Ok(ScenarioStructure(self.evaluation(ctx).await?))
    }

    /// The collaboration model the scenario's lines would form (drafts only).
    async fn collaboration_model(&self, ctx: &Context<'_>) -> GqlResult<CollaborationModelReport> {
        let evaluation = self.evaluation(ctx).await?;
        let declared = loaders(ctx)?
            .organization_by_id
            .load_one(self.row.organization_id)
            .await?
            .and_then(|o| o.declared_model)
            .map(|m| CollaborationModel::from_db(&m))
            .transpose()?;
        Ok(CollaborationModelReport::new(&evaluation.after, declared))
    }

    /// What the scenario's structure would say, most severe first (drafts only); the
    /// maturity checks that read the structure (a REVENUE stage without a revenue
    /// owner) are among them.
    async fn insights(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only insights at least this severe; null for all.")] min_severity: Option<
            Severity,
        >,
    ) -> GqlResult<Vec<InsightObject>> {
        let evaluation = self.evaluation(ctx).await?;
        Ok(evaluation
            .insights_after
            .iter()
            .filter(|i| min_severity.is_none_or(|min| i.severity >= min.into()))
            .cloned()
            .map(InsightObject)
            .collect())
    }

    /// The org chart as the scenario would make it, with what it changes marked
    /// (drafts only; also at
    /// `GET /api/v1/organizations/{slug}/scenarios/{id}/chart.svg`).
    async fn chart(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The format to render.")] format: ChartFormat,
        #[graphql(
            desc = "Draw only this unit and its SOLID subordinates; null for the whole chart."
        )]
        root_unit_id: Option<ID>,
        #[graphql(desc = "Levels to draw below the root (0 to 1000); null for all.")] depth: Option<
            i32,
        >,
    ) -> GqlResult<String> {
        let evaluation = self.evaluation(ctx).await?;
        let (root, depth) = crate::insights::chart_window(root_unit_id.as_ref(), depth)?;
        Ok(chart(&self.row, &evaluation)?
            .restrict(root, depth, "rootUnitId")?
            .render(format.into()))
    }

    /// What it would change against the live structure on `effectiveFrom` (drafts
    /// only).
    async fn diff(&self, ctx: &Context<'_>) -> GqlResult<ScenarioDiff> {
        Ok(ScenarioDiff::of(self.evaluation(ctx).await?))
    }
}

/// The chart of an evaluated scenario.
pub fn chart(
    row: &scenario::Model,
    evaluation: &Evaluation,
) -> orgdesign_domain::error::Result<orgdesign_domain::charts::org::OrgChart> {
    orgdesign_domain::charts::org::OrgChart::comparing(
        &format!("Scenario: {}", row.name),
        &evaluation.before,
        &evaluation.after,
        evaluation.insights_after.clone(),
    )
}

/// One change of a scenario, as stored.
#[derive(Description)]
pub struct ScenarioChange {
    index: usize,
    change: Change,
}

#[Object(use_type_description)]
impl ScenarioChange {
    /// Its place in the list, from 0 (errors name it: `changes[2]`).
    async fn index(&self) -> usize {
        self.index
    }

    /// The operation: createUnit, updateUnit, archiveUnit, moveUnit, addDottedLine,
    /// endLine, createPosition, updatePosition or archivePosition.
    async fn kind(&self) -> &str {
        self.change.kind()
    }

    /// The change as given, as JSON (the `ScenarioChangeInput` object).
    async fn input(&self) -> String {
        serde_json::to_string(&self.change).unwrap_or_default()
    }
}

/// The structure a scenario would make.
#[derive(Description)]
pub struct ScenarioStructure(Arc<Evaluation>);

#[Object(use_type_description)]
impl ScenarioStructure {
    /// Its units that are not archived.
    async fn units(&self) -> Vec<ScenarioUnit> {
        let e = &self.0;
        e.after
            .units
            .iter()
            .filter(|u| !u.archived)
            .filter_map(|u| unit_of(e, &e.after, u.id))
            .collect()
    }

    /// Its reporting lines in effect on `effectiveFrom`.
    async fn lines(&self) -> Vec<ScenarioLine> {
        lines_of(&self.0, &self.0.after.lines)
    }

    /// Its positions that are not archived.
    async fn positions(&self) -> Vec<ScenarioPosition> {
        self.0
            .after
            .positions
            .iter()
            .filter(|p| !p.archived)
            .map(position_of)
            .collect()
    }
}
