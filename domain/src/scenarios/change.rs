//! A scenario's changes: the typed operations a draft is made of, as they are stored
//! (as JSON, in the scenario's row). The API takes them in the same shape
//! (`ScenarioChangeInput`, a `@oneOf` input the GraphQL schema maps to these).
//!
//! A unit or position a change refers to is named by its id, or — when an earlier
//! change of the same scenario creates it — by that change's temporary `key`
//! (lower-case letters, digits and dashes; never an id).

use serde::{Deserialize, Serialize};

use crate::{PositionRole, Responsibility, Sourcing, UnitFunction};

/// How a change names a unit, position or line: its id, or the temporary `key` an
/// earlier change of the same scenario gave it. Kept as the text given.
pub type Reference = String;

/// One change of a scenario.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub enum Change {
    /// A new unit, with a temporary key later changes refer to it by.
    CreateUnit(CreateUnitChange),
    /// Renames a unit or changes its function or sourcing.
    UpdateUnit(UpdateUnitChange),
    /// Archives a unit: its own lines end; units still reporting to it on a SOLID line
    /// must be moved first.
    ArchiveUnit(ArchiveUnitChange),
    /// Gives a unit a new SOLID superior (its current SOLID line ends).
    MoveUnit(MoveUnitChange),
    /// Adds a DOTTED (matrix) line.
    AddDottedLine(AddDottedLineChange),
    /// Ends a reporting line in effect.
    EndLine(EndLineChange),
    /// A new position heading a unit.
    CreatePosition(CreatePositionChange),
    /// Changes a position (including its responsibilities, or the unit it heads).
    UpdatePosition(UpdatePositionChange),
    /// Archives a position.
    ArchivePosition(ArchivePositionChange),
}

/// `createUnit`: a new unit.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CreateUnitChange {
    /// How later changes of this scenario refer to the unit: lower-case letters,
    /// digits and dashes, unique within the scenario (e.g. `marketing-center`).
    pub key: String,
    pub name: String,
    pub function: UnitFunction,
    #[serde(default = "in_house")]
    pub sourcing: Sourcing,
    pub description: Option<String>,
    /// Its SOLID superior from the scenario's date, if any: a unit id or key.
    pub superior_unit_id: Option<Reference>,
}

fn in_house() -> Sourcing {
    Sourcing::InHouse
}

/// `updateUnit`: absent fields stay.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UpdateUnitChange {
    pub unit_id: Reference,
    pub name: Option<String>,
    pub function: Option<UnitFunction>,
    pub sourcing: Option<Sourcing>,
}

/// `archiveUnit`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveUnitChange {
    pub unit_id: Reference,
}

/// `moveUnit`: a new SOLID superior.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MoveUnitChange {
    pub unit_id: Reference,
    pub superior_unit_id: Reference,
}

/// `addDottedLine`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AddDottedLineChange {
    pub unit_id: Reference,
    pub superior_unit_id: Reference,
}

/// `endLine`: a line in effect on the scenario's date ends on it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EndLineChange {
    pub line_id: Reference,
}

/// `createPosition`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CreatePositionChange {
    /// How later changes of this scenario refer to the position (optional).
    pub key: Option<String>,
    /// The unit it heads: an id or a key.
    pub unit_id: Reference,
    pub title: String,
    pub role: PositionRole,
    pub holder_name: Option<String>,
    #[serde(default)]
    pub responsibilities: Vec<Responsibility>,
}

/// `updatePosition`: absent fields stay.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePositionChange {
    /// An id or a key.
    pub position_id: Reference,
    /// Moves the position to another unit (an id or a key).
    pub unit_id: Option<Reference>,
    pub title: Option<String>,
    pub role: Option<PositionRole>,
    pub holder_name: Option<String>,
    pub responsibilities: Option<Vec<Responsibility>>,
}

/// `archivePosition`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ArchivePositionChange {
    pub position_id: Reference,
}

impl Change {
    /// The operation's name, as in the input (`moveUnit`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CreateUnit(_) => "createUnit",
            Self::UpdateUnit(_) => "updateUnit",
            Self::ArchiveUnit(_) => "archiveUnit",
            Self::MoveUnit(_) => "moveUnit",
            Self::AddDottedLine(_) => "addDottedLine",
            Self::EndLine(_) => "endLine",
            Self::CreatePosition(_) => "createPosition",
            Self::UpdatePosition(_) => "updatePosition",
            Self::ArchivePosition(_) => "archivePosition",
        }
    }
}

/// Reads a stored change list.
pub fn from_json(value: &serde_json::Value) -> crate::error::Result<Vec<Change>> {
    serde_json::from_value(value.clone())
        .map_err(|err| anyhow::anyhow!("a stored scenario's changes do not parse: {err}").into())
}

/// The JSON a change list is stored as.
pub fn to_json(changes: &[Change]) -> serde_json::Value {
    serde_json::to_value(changes).unwrap_or_else(|_| serde_json::Value::Array(Vec::new()))
}
