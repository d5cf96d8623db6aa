//! Scenarios in GraphQL: `Scenario`, its structure, and `ScenarioDiff`.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::{organization, reporting_line, scenario};
use orgdesign_domain::{
    error::Error,
    insights::{Insight, Snapshot},
    scenarios::{
        change::Change,
        diff::{Moved, Shape},
        evaluation::{self, Evaluation},
        service,
    },
};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::{
    context::{db, limits, loaders},
    enums::{
        ChartFormat, CollaborationModel, LineKind, PositionRole, ScenarioStatus, Severity,
        Sourcing, UnitFunction,
    },
    error::GqlResult,
    insights::{CollaborationModelReport, InsightObject},
    scalars::{Date, Timestamp},
};

/// A scenario, with its evaluation computed once per request when a field needs it.
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

#[Object]
impl Scenario {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

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

    async fn name(&self) -> &str {
        &self.row.name
    }

    async fn description(&self) -> Option<&str> {
        self.row.description.as_deref()
    }

    /// The day its changes take effect: lines start and end on it.
    async fn effective_from(&self) -> Date {
        self.row.effective_from.into()
    }

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

    async fn created_at(&self) -> Timestamp {
        self.row.created_at.into()
    }

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
        min_severity: Option<Severity>,
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
        format: ChartFormat,
        root_unit_id: Option<ID>,
        depth: Option<i32>,
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
        Ok(ScenarioDiff(self.evaluation(ctx).await?))
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
pub struct ScenarioChange {
    index: usize,
    change: Change,
}

#[Object]
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

/// A unit in a scenario's structure (live or created by the scenario).
#[derive(SimpleObject, Debug, Clone)]
pub struct ScenarioUnit {
    /// The unit's id; a unit the scenario creates has an id of the scenario's own,
    /// stable while the draft lasts (promotion gives it a new one).
    pub id: ID,
    /// The temporary key of a unit the scenario creates.
    pub key: Option<String>,
    pub name: String,
    pub function: UnitFunction,
    pub sourcing: Sourcing,
    pub archived: bool,
    /// Whether the scenario creates it.
    pub created: bool,
    /// Its SOLID superior in this structure.
    pub superior_unit_id: Option<ID>,
}

/// A reporting line in a scenario's structure.
#[derive(SimpleObject, Debug, Clone)]
pub struct ScenarioLine {
    /// The line's id; a line the scenario adds has an id of the scenario's own.
    pub id: ID,
    pub unit_id: ID,
    pub superior_unit_id: ID,
    pub kind: LineKind,
    /// Whether the scenario adds it.
    pub created: bool,
}

/// A position in a scenario's structure.
#[derive(SimpleObject, Debug, Clone)]
pub struct ScenarioPosition {
    pub id: ID,
    pub unit_id: ID,
    pub title: String,
    pub role: PositionRole,
    pub responsibilities: Vec<String>,
    pub archived: bool,
}

fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

/// Builds the API's unit from a snapshot (`None` when the snapshot lacks it).
fn unit_of(evaluation: &Evaluation, snapshot: &Snapshot, unit: Uuid) -> Option<ScenarioUnit> {
    let row = snapshot.units.iter().find(|u| u.id == unit)?;
    let created = !evaluation.before.units.iter().any(|u| u.id == unit);
    Some(ScenarioUnit {
        id: id(row.id),
        key: evaluation
            .unit_keys
            .iter()
            .find(|(_, v)| **v == unit)
            .map(|(k, _)| k.clone()),
        name: row.name.clone(),
        function: UnitFunction::from_db(&row.function).unwrap_or(UnitFunction::Other),
        sourcing: Sourcing::from_db(&row.sourcing).unwrap_or(Sourcing::InHouse),
        archived: row.archived,
        created,
        superior_unit_id: orgdesign_domain::reporting::structure::solid_superior(
            &snapshot.lines,
            unit,
        )
        .map(id),
    })
}

/// A unit as the scenario leaves it, or as it was when the scenario drops it.
fn unit_after_or_before(evaluation: &Evaluation, unit: Uuid) -> Option<ScenarioUnit> {
    unit_of(evaluation, &evaluation.after, unit)
        .or_else(|| unit_of(evaluation, &evaluation.before, unit))
}

/// `lines` as the scenario shows them (see [`line_of`]).
fn lines_of(evaluation: &Evaluation, lines: &[reporting_line::Model]) -> Vec<ScenarioLine> {
    lines.iter().map(|l| line_of(evaluation, l)).collect()
}

fn line_of(evaluation: &Evaluation, line: &reporting_line::Model) -> ScenarioLine {
    ScenarioLine {
        id: id(line.id),
        unit_id: id(line.unit_id),
        superior_unit_id: id(line.superior_unit_id),
        kind: LineKind::from_db(&line.kind).unwrap_or(LineKind::Solid),
        created: !evaluation.before.lines.iter().any(|l| l.id == line.id),
    }
}

/// The structure a scenario would make.
pub struct ScenarioStructure(Arc<Evaluation>);

#[Object]
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

/// The API's position from a snapshot's row.
fn position_of(p: &entity::position::Model) -> ScenarioPosition {
    ScenarioPosition {
        id: id(p.id),
        unit_id: id(p.unit_id),
        title: p.title.clone(),
        role: role_of(&p.role),
        responsibilities: keys_of(&p.responsibilities),
        archived: p.archived,
    }
}

fn role_of(role: &str) -> PositionRole {
    PositionRole::from_db(role).unwrap_or(PositionRole::Other)
}

/// The keys of a stored list of responsibilities.
fn keys_of(responsibilities: &serde_json::Value) -> Vec<String> {
    responsibilities
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// A unit on both sides whose values differ: each pair is null when that value is
/// the same on both.
#[derive(SimpleObject, Debug)]
pub struct UnitValuesChange {
    /// The unit as it is after.
    pub unit: ScenarioUnit,
    pub name_before: Option<String>,
    pub name_after: Option<String>,
    pub function_before: Option<UnitFunction>,
    pub function_after: Option<UnitFunction>,
    pub sourcing_before: Option<Sourcing>,
    pub sourcing_after: Option<Sourcing>,
}

/// A position on both sides whose values differ: each pair is null when that value
/// is the same on both (`holderChanged` tells a holder that came or went from one
/// that stayed).
#[derive(SimpleObject, Debug)]
pub struct PositionValuesChange {
    /// The position as it is after.
    pub position: ScenarioPosition,
    pub title_before: Option<String>,
    pub title_after: Option<String>,
    pub role_before: Option<PositionRole>,
    pub role_after: Option<PositionRole>,
    pub holder_changed: bool,
    pub holder_before: Option<String>,
    pub holder_after: Option<String>,
    pub responsibilities_before: Option<Vec<String>>,
    pub responsibilities_after: Option<Vec<String>>,
}

/// Splits a change into its two sides, each mapped by `f`.
fn sides<T, U>(change: &Option<(T, T)>, f: impl Fn(&T) -> U) -> (Option<U>, Option<U>) {
    match change {
        Some((before, after)) => (Some(f(before)), Some(f(after))),
        None => (None, None),
    }
}

/// A unit that would report elsewhere.
#[derive(SimpleObject, Debug)]
pub struct ScenarioMove {
    pub unit: ScenarioUnit,
    /// Its SOLID superior before (null: at the top).
    pub from: Option<ScenarioUnit>,
    /// Its SOLID superior after (null: at the top).
    pub to: Option<ScenarioUnit>,
}

/// Span of control and depth of a structure's active units.
#[derive(SimpleObject, Debug)]
pub struct StructureShape {
    pub units: usize,
    /// Most SOLID subordinates of one unit.
    pub max_span: usize,
    /// Mean SOLID subordinates over units that have any (two decimals).
    pub mean_span: f64,
    /// Most SOLID steps from a unit up to its top.
    pub max_depth: usize,
    /// Mean steps to the top over every unit (two decimals).
    pub mean_depth: f64,
}

impl From<Shape> for StructureShape {
    fn from(s: Shape) -> Self {
        Self {
            units: s.units,
            max_span: s.max_span,
            mean_span: s.mean_span,
            max_depth: s.max_depth,
            mean_depth: s.mean_depth,
        }
    }
}

/// A structure's shape before and after.
#[derive(SimpleObject, Debug)]
pub struct ShapeChange {
    pub before: StructureShape,
    pub after: StructureShape,
}

/// One unit's span and depth before and after (null: not active then).
#[derive(SimpleObject, Debug)]
pub struct UnitShapeChange {
    pub unit: ScenarioUnit,
    pub span_before: Option<usize>,
    pub span_after: Option<usize>,
    pub depth_before: Option<usize>,
    pub depth_after: Option<usize>,
}

/// One marketing branch's model before and after (null: not a branch then).
#[derive(SimpleObject, Debug)]
pub struct BranchModelChange {
    pub unit: ScenarioUnit,
    pub before: Option<CollaborationModel>,
    pub after: Option<CollaborationModel>,
}

/// The collaboration model before and after, overall and per marketing branch.
#[derive(SimpleObject, Debug)]
pub struct ModelChange {
    pub before: Option<CollaborationModel>,
    pub after: Option<CollaborationModel>,
    pub branches: Vec<BranchModelChange>,
}

/// One KPI series recorded against a unit that moves or is archived.
#[derive(SimpleObject, Debug)]
pub struct KpiSeriesCount {
    /// The KPI's key.
    pub kpi: String,
    /// How many points the unit holds for it.
    pub points: u64,
}

/// Where the KPI points of a unit that moves or is archived would roll up.
#[derive(SimpleObject, Debug)]
pub struct KpiOwnershipChange {
    pub unit: ScenarioUnit,
    pub series: Vec<KpiSeriesCount>,
    /// The branch (the unit's ancestor just under its top; a top is its own) its
    /// points roll up under now.
    pub branch_before: Option<ScenarioUnit>,
    /// The branch they would roll up under; null when the unit is archived.
    pub branch_after: Option<ScenarioUnit>,
    /// Whether the unit would be archived (its series keep their history but take no
    /// new points).
    pub archived: bool,
}

/// What a scenario would change against the live structure on its date.
pub struct ScenarioDiff(Arc<Evaluation>);

impl ScenarioDiff {
    /// The diff of an evaluation: a draft's, or two days of the live structure
    /// (`Organization.structureChanges`).
    pub fn of(evaluation: Arc<Evaluation>) -> Self {
        Self(evaluation)
    }

    /// The positions `ids` as a side shows them.
    fn positions(side: &Snapshot, ids: &[Uuid]) -> Vec<ScenarioPosition> {
        ids.iter()
            .filter_map(|p| side.positions.iter().find(|row| row.id == *p))
            .map(position_of)
            .collect()
    }

    fn unit(&self, unit: Uuid) -> ScenarioUnit {
        unit_after_or_before(&self.0, unit).unwrap_or_else(|| ScenarioUnit {
            id: id(unit),
            key: None,
            name: String::new(),
            function: UnitFunction::Other,
            sourcing: Sourcing::InHouse,
            archived: true,
            created: false,
            superior_unit_id: None,
        })
    }

    fn units(&self, units: &[Uuid]) -> Vec<ScenarioUnit> {
        units.iter().map(|u| self.unit(*u)).collect()
    }

    fn insights(insights: &[Insight]) -> Vec<InsightObject> {
        insights.iter().cloned().map(InsightObject).collect()
    }

    fn moved(&self, m: &Moved) -> ScenarioMove {
        ScenarioMove {
            unit: self.unit(m.unit),
            from: m.from.map(|u| self.unit(u)),
            to: m.to.map(|u| self.unit(u)),
        }
    }
}

#[Object]
impl ScenarioDiff {
    /// Whether nothing changes: no unit, position, line or insight.
    async fn empty(&self) -> bool {
        self.0.diff.is_empty()
    }

    async fn units_added(&self) -> Vec<ScenarioUnit> {
        self.units(&self.0.diff.units_added)
    }

    async fn units_archived(&self) -> Vec<ScenarioUnit> {
        self.units(&self.0.diff.units_archived)
    }

    /// Units whose SOLID superior changes, from where to where.
    async fn units_moved(&self) -> Vec<ScenarioMove> {
        self.0
            .diff
            .units_moved
            .iter()
            .map(|m| self.moved(m))
            .collect()
    }

    /// Units on both sides renamed, re-sourced or given another function.
    async fn units_changed(&self) -> Vec<UnitValuesChange> {
        let function = |f: &String| UnitFunction::from_db(f).unwrap_or(UnitFunction::Other);
        let sourcing = |s: &String| Sourcing::from_db(s).unwrap_or(Sourcing::InHouse);
        self.0
            .diff
            .units_changed
            .iter()
            .map(|c| {
                let (name_before, name_after) = sides(&c.name, String::clone);
                let (function_before, function_after) = sides(&c.function, function);
                let (sourcing_before, sourcing_after) = sides(&c.sourcing, sourcing);
                UnitValuesChange {
                    unit: self.unit(c.unit),
                    name_before,
                    name_after,
                    function_before,
                    function_after,
                    sourcing_before,
                    sourcing_after,
                }
            })
            .collect()
    }

    /// Positions that exist after and not before.
    async fn positions_added(&self) -> Vec<ScenarioPosition> {
        Self::positions(&self.0.after, &self.0.diff.positions_added)
    }

    /// Positions that exist before and not after (as they were before).
    async fn positions_ended(&self) -> Vec<ScenarioPosition> {
        Self::positions(&self.0.before, &self.0.diff.positions_ended)
    }

    /// Positions on both sides given another title, role, holder or responsibilities.
    async fn positions_changed(&self) -> Vec<PositionValuesChange> {
        self.0
            .diff
            .positions_changed
            .iter()
            .filter_map(|c| {
                let position = Self::positions(&self.0.after, &[c.position]).pop()?;
                let (title_before, title_after) = sides(&c.title, String::clone);
                let (role_before, role_after) = sides(&c.role, |r| role_of(r));
                let (holder_before, holder_after) = sides(&c.holder_name, Option::clone);
                let (responsibilities_before, responsibilities_after) =
                    sides(&c.responsibilities, keys_of);
                Some(PositionValuesChange {
                    position,
                    title_before,
                    title_after,
                    role_before,
                    role_after,
                    holder_changed: c.holder_name.is_some(),
                    holder_before: holder_before.flatten(),
                    holder_after: holder_after.flatten(),
                    responsibilities_before,
                    responsibilities_after,
                })
            })
            .collect()
    }

    async fn lines_added(&self) -> Vec<ScenarioLine> {
        lines_of(&self.0, &self.0.diff.lines_added)
    }

    /// Lines in effect live that would end (a moved unit's old SOLID line among them).
    async fn lines_ended(&self) -> Vec<ScenarioLine> {
        lines_of(&self.0, &self.0.diff.lines_ended)
    }

    /// Span of control and depth, before and after.
    async fn shape(&self) -> ShapeChange {
        ShapeChange {
            before: self.0.diff.shape_before.into(),
            after: self.0.diff.shape_after.into(),
        }
    }

    /// Span and depth of each unit a change touches (added, archived, moved, and the
    /// superiors they leave or join).
    async fn changed_units(&self) -> Vec<UnitShapeChange> {
        self.0
            .diff
            .changed_units
            .iter()
            .map(|c| UnitShapeChange {
                unit: self.unit(c.unit),
                span_before: c.span_before,
                span_after: c.span_after,
                depth_before: c.depth_before,
                depth_after: c.depth_after,
            })
            .collect()
    }

    /// The collaboration model before and after, overall and per marketing branch.
    async fn collaboration_model(&self) -> ModelChange {
        let d = &self.0.diff;
        ModelChange {
            before: d.model_before.map(Into::into),
            after: d.model_after.map(Into::into),
            branches: d
                .branches
                .iter()
                .map(|b| BranchModelChange {
                    unit: self.unit(b.unit),
                    before: b.before.map(Into::into),
                    after: b.after.map(Into::into),
                })
                .collect(),
        }
    }

    /// Insights of the live structure the scenario's does not have (matched by code
    /// and evidence).
    async fn insights_resolved(&self) -> Vec<InsightObject> {
        Self::insights(&self.0.diff.insights_resolved)
    }

    /// Insights the scenario's structure would have that the live one does not.
    async fn insights_introduced(&self) -> Vec<InsightObject> {
        Self::insights(&self.0.diff.insights_introduced)
    }

    /// The KPI series recorded against units that move or are archived, and the
    /// branch their points roll up under before and after.
    async fn kpi_ownership(&self) -> Vec<KpiOwnershipChange> {
        self.0
            .diff
            .kpi_ownership
            .iter()
            .map(|k| KpiOwnershipChange {
                unit: self.unit(k.unit),
                series: k
                    .series
                    .iter()
                    .map(|(kpi, points)| KpiSeriesCount {
                        kpi: kpi.clone(),
                        points: *points,
                    })
                    .collect(),
                branch_before: k.branch_before.map(|u| self.unit(u)),
                branch_after: k.branch_after.map(|u| self.unit(u)),
                archived: k.archived,
            })
            .collect()
    }
}
