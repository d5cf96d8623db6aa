//! A scenario's changes: the typed operations a draft is made of, as the API takes
//! them (`ScenarioChangeInput`, a `@oneOf` input) and as they are stored (the same
//! shape, as JSON, in the scenario's row).
//!
//! A unit or position a change refers to is named by its id, or — when an earlier
//! change of the same scenario creates it — by that change's temporary `key`
//! (lower-case letters, digits and dashes; never an id).

use async_graphql::{ID, InputObject, OneofObject};
use serde::{Deserialize, Serialize};

use crate::domain::{PositionRole, Responsibility, Sourcing, UnitFunction};

/// One change of a scenario.
#[derive(OneofObject, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioChangeInput")]
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
#[derive(InputObject, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioCreateUnit")]
#[serde(rename_all = "camelCase")]
pub struct CreateUnitChange {
    /// How later changes of this scenario refer to the unit: lower-case letters,
    /// digits and dashes, unique within the scenario (e.g. `marketing-center`).
    pub key: String,
    pub name: String,
    pub function: UnitFunction,
    #[graphql(default_with = "Sourcing::InHouse")]
    #[serde(default = "in_house")]
    pub sourcing: Sourcing,
    pub description: Option<String>,
    /// Its SOLID superior from the scenario's date, if any: a unit id or key.
    pub superior_unit_id: Option<ID>,
}

fn in_house() -> Sourcing {
    Sourcing::InHouse
}

/// `updateUnit`: absent fields stay.
#[derive(InputObject, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioUpdateUnit")]
#[serde(rename_all = "camelCase")]
pub struct UpdateUnitChange {
    pub unit_id: ID,
    pub name: Option<String>,
    pub function: Option<UnitFunction>,
    pub sourcing: Option<Sourcing>,
}

/// `archiveUnit`.
#[derive(InputObject, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioArchiveUnit")]
#[serde(rename_all = "camelCase")]
pub struct ArchiveUnitChange {
    pub unit_id: ID,
}

/// `moveUnit`: a new SOLID superior.
#[derive(InputObject, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioMoveUnit")]
#[serde(rename_all = "camelCase")]
pub struct MoveUnitChange {
    pub unit_id: ID,
    pub superior_unit_id: ID,
}

/// `addDottedLine`.
#[derive(InputObject, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioAddDottedLine")]
#[serde(rename_all = "camelCase")]
pub struct AddDottedLineChange {
    pub unit_id: ID,
    pub superior_unit_id: ID,
}

/// `endLine`: a line in effect on the scenario's date ends on it.
#[derive(InputObject, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioEndLine")]
#[serde(rename_all = "camelCase")]
pub struct EndLineChange {
    pub line_id: ID,
}

/// `createPosition`.
#[derive(InputObject, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioCreatePosition")]
#[serde(rename_all = "camelCase")]
pub struct CreatePositionChange {
    /// How later changes of this scenario refer to the position (optional).
    pub key: Option<String>,
    /// The unit it heads: an id or a key.
    pub unit_id: ID,
    pub title: String,
    pub role: PositionRole,
    pub holder_name: Option<String>,
    #[graphql(default)]
    #[serde(default)]
    pub responsibilities: Vec<Responsibility>,
}

/// `updatePosition`: absent fields stay.
#[derive(InputObject, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioUpdatePosition")]
#[serde(rename_all = "camelCase")]
pub struct UpdatePositionChange {
    /// An id or a key.
    pub position_id: ID,
    /// Moves the position to another unit (an id or a key).
    pub unit_id: Option<ID>,
    pub title: Option<String>,
    pub role: Option<PositionRole>,
    pub holder_name: Option<String>,
    pub responsibilities: Option<Vec<Responsibility>>,
}

/// `archivePosition`.
#[derive(InputObject, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioArchivePosition")]
#[serde(rename_all = "camelCase")]
pub struct ArchivePositionChange {
    pub position_id: ID,
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
