//! The pieces of a scenario's structure as the schema shows them (units, lines,
//! positions), shared by the scenario's own fields and by its diff.

use async_graphql::{ID, SimpleObject};
use entity::reporting_line;
use orgdesign_domain::{insights::Snapshot, scenarios::evaluation::Evaluation};
use uuid::Uuid;

use crate::enums::{LineKind, PositionRole, Sourcing, UnitFunction};

/// A unit in a scenario's structure (live or created by the scenario).
#[derive(SimpleObject, Debug, Clone)]
pub struct ScenarioUnit {
    /// The unit's id; a unit the scenario creates has an id of the scenario's own,
    /// stable while the draft lasts (promotion gives it a new one).
    pub id: ID,
    /// The temporary key of a unit the scenario creates.
    pub key: Option<String>,
    /// Display name in this structure.
    pub name: String,
    /// What it does in this structure.
    pub function: UnitFunction,
    /// Who staffs it in this structure.
    pub sourcing: Sourcing,
    /// Whether this structure archives it.
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
    /// The unit that reports.
    pub unit_id: ID,
    /// The unit reported to.
    pub superior_unit_id: ID,
    /// SOLID or DOTTED.
    pub kind: LineKind,
    /// Whether the scenario adds it.
    pub created: bool,
}

/// A position in a scenario's structure.
#[derive(SimpleObject, Debug, Clone)]
pub struct ScenarioPosition {
    /// The position's id; a position the scenario creates has an id of the
    /// scenario's own.
    pub id: ID,
    /// The unit it heads in this structure.
    pub unit_id: ID,
    /// Its title in this structure.
    pub title: String,
    /// Its leadership role in this structure.
    pub role: PositionRole,
    /// What it answers for, as `Responsibility` values (e.g. `BRAND`).
    pub responsibilities: Vec<String>,
    /// Whether this structure archives it.
    pub archived: bool,
}

pub(super) fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

/// Builds the API's unit from a snapshot (`None` when the snapshot lacks it).
pub(super) fn unit_of(
    evaluation: &Evaluation,
    snapshot: &Snapshot,
    unit: Uuid,
) -> Option<ScenarioUnit> {
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
pub(super) fn unit_after_or_before(evaluation: &Evaluation, unit: Uuid) -> Option<ScenarioUnit> {
    unit_of(evaluation, &evaluation.after, unit)
        .or_else(|| unit_of(evaluation, &evaluation.before, unit))
}

/// `lines` as the scenario shows them (see [`line_of`]).
pub(super) fn lines_of(
    evaluation: &Evaluation,
    lines: &[reporting_line::Model],
) -> Vec<ScenarioLine> {
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

/// The API's position from a snapshot's row.
pub(super) fn position_of(p: &entity::position::Model) -> ScenarioPosition {
    ScenarioPosition {
        id: id(p.id),
        unit_id: id(p.unit_id),
        title: p.title.clone(),
        role: role_of(&p.role),
        responsibilities: keys_of(&p.responsibilities),
        archived: p.archived,
    }
}

pub(super) fn role_of(role: &str) -> PositionRole {
    PositionRole::from_db(role).unwrap_or(PositionRole::Other)
}

/// The keys of a stored list of responsibilities.
pub(super) fn keys_of(responsibilities: &serde_json::Value) -> Vec<String> {
    responsibilities
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}
