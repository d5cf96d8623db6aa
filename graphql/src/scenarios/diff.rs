//! A scenario's comparison with the live structure, and two days of the live
//! structure compared (`Organization.structureChanges`): `ScenarioDiff` and the types
//! of its fields.

use std::sync::Arc;

use async_graphql::{Description, Object, SimpleObject};
use orgdesign_domain::{
    insights::{Insight, Snapshot},
    scenarios::{
        diff::{Moved, Shape},
        evaluation::Evaluation,
    },
};
use uuid::Uuid;

use crate::{
    enums::{CollaborationModel, PositionRole, Sourcing, UnitFunction},
    insights::InsightObject,
};

use super::parts::{
    ScenarioLine, ScenarioPosition, ScenarioUnit, id, keys_of, lines_of, position_of, role_of,
    unit_after_or_before,
};

/// A unit on both sides whose values differ: each pair is null when that value is
/// the same on both.
#[derive(SimpleObject, Debug)]
pub struct UnitValuesChange {
    /// The unit as it is after.
    pub unit: ScenarioUnit,
    /// The name before, when it changes.
    pub name_before: Option<String>,
    /// The name after, when it changes.
    pub name_after: Option<String>,
    /// The function before, when it changes.
    pub function_before: Option<UnitFunction>,
    /// The function after, when it changes.
    pub function_after: Option<UnitFunction>,
    /// The sourcing before, when it changes.
    pub sourcing_before: Option<Sourcing>,
    /// The sourcing after, when it changes.
    pub sourcing_after: Option<Sourcing>,
}

/// A position on both sides whose values differ: each pair is null when that value
/// is the same on both (`holderChanged` tells a holder that came or went from one
/// that stayed).
#[derive(SimpleObject, Debug)]
pub struct PositionValuesChange {
    /// The position as it is after.
    pub position: ScenarioPosition,
    /// The title before, when it changes.
    pub title_before: Option<String>,
    /// The title after, when it changes.
    pub title_after: Option<String>,
    /// The role before, when it changes.
    pub role_before: Option<PositionRole>,
    /// The role after, when it changes.
    pub role_after: Option<PositionRole>,
    /// Whether the holder changes (also when one comes or goes).
    pub holder_changed: bool,
    /// The holder's name before; null when the holder stays or there was none.
    pub holder_before: Option<String>,
    /// The holder's name after; null when the holder stays or there is none.
    pub holder_after: Option<String>,
    /// The responsibilities before (`Responsibility` values), when they change.
    pub responsibilities_before: Option<Vec<String>>,
    /// The responsibilities after, when they change.
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
    /// The unit that moves, as it is after.
    pub unit: ScenarioUnit,
    /// Its SOLID superior before (null: at the top).
    pub from: Option<ScenarioUnit>,
    /// Its SOLID superior after (null: at the top).
    pub to: Option<ScenarioUnit>,
}

/// Span of control and depth of a structure's active units.
#[derive(SimpleObject, Debug)]
pub struct StructureShape {
    /// How many active units the structure has.
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
    /// The shape before.
    pub before: StructureShape,
    /// The shape after.
    pub after: StructureShape,
}

/// One unit's span and depth before and after (null: not active then).
#[derive(SimpleObject, Debug)]
pub struct UnitShapeChange {
    /// The unit, as it is after (or before, when it is gone after).
    pub unit: ScenarioUnit,
    /// Its SOLID subordinates before.
    pub span_before: Option<usize>,
    /// Its SOLID subordinates after.
    pub span_after: Option<usize>,
    /// SOLID steps up to its top before.
    pub depth_before: Option<usize>,
    /// SOLID steps up to its top after.
    pub depth_after: Option<usize>,
}

/// One marketing branch's model before and after (null: not a branch then).
#[derive(SimpleObject, Debug)]
pub struct BranchModelChange {
    /// The marketing unit at the top of the branch.
    pub unit: ScenarioUnit,
    /// The branch's model before.
    pub before: Option<CollaborationModel>,
    /// The branch's model after.
    pub after: Option<CollaborationModel>,
}

/// The collaboration model before and after, overall and per marketing branch.
#[derive(SimpleObject, Debug)]
pub struct ModelChange {
    /// The inferred model before; null when there was no marketing unit.
    pub before: Option<CollaborationModel>,
    /// The inferred model after; null when there is no marketing unit.
    pub after: Option<CollaborationModel>,
    /// Per marketing branch.
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
    /// The unit that moves or is archived.
    pub unit: ScenarioUnit,
    /// The KPI series recorded against it.
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

/// What a scenario would change against the live structure on its date (or what
/// changed between two days, for `Organization.structureChanges`).
#[derive(Description)]
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

#[Object(use_type_description)]
impl ScenarioDiff {
    /// Whether nothing changes: no unit, position, line or insight.
    async fn empty(&self) -> bool {
        self.0.diff.is_empty()
    }

    /// Units active after and not before.
    async fn units_added(&self) -> Vec<ScenarioUnit> {
        self.units(&self.0.diff.units_added)
    }

    /// Units active before and not after (archived or ended).
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

    /// Lines in effect after that were not before.
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
