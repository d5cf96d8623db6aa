//! A scenario's changes as the API takes them: `ScenarioChangeInput`, a `@oneOf`
//! input of the same shape the domain stores (`orgdesign_domain::scenarios::change`),
//! into which each converts field by field.
//!
//! A unit or position a change refers to is named by its id, or — when an earlier
//! change of the same scenario creates it — by that change's temporary `key`
//! (lower-case letters, digits and dashes; never an id).

use async_graphql::{ID, InputObject, OneofObject};
use orgdesign_domain::scenarios::change as domain;

use crate::enums::{PositionRole, Responsibility, Sourcing, UnitFunction};

/// One change of a scenario.
#[derive(OneofObject, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioChangeInput")]
pub enum ChangeInput {
    /// A new unit, with a temporary key later changes refer to it by.
    CreateUnit(CreateUnitInput),
    /// Renames a unit or changes its function or sourcing.
    UpdateUnit(UpdateUnitInput),
    /// Archives a unit: its own lines end; units still reporting to it on a SOLID line
    /// must be moved first.
    ArchiveUnit(ArchiveUnitInput),
    /// Gives a unit a new SOLID superior (its current SOLID line ends).
    MoveUnit(MoveUnitInput),
    /// Adds a DOTTED (matrix) line.
    AddDottedLine(AddDottedLineInput),
    /// Ends a reporting line in effect.
    EndLine(EndLineInput),
    /// A new position heading a unit.
    CreatePosition(CreatePositionInput),
    /// Changes a position (including its responsibilities, or the unit it heads).
    UpdatePosition(UpdatePositionInput),
    /// Archives a position.
    ArchivePosition(ArchivePositionInput),
}

/// `createUnit`: a new unit.
#[derive(InputObject, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioCreateUnit")]
pub struct CreateUnitInput {
    /// How later changes of this scenario refer to the unit: lower-case letters,
    /// digits and dashes, unique within the scenario (e.g. `marketing-center`).
    pub key: String,
    /// Display name: one line, up to 200 characters.
    pub name: String,
    /// What the unit does.
    pub function: UnitFunction,
    /// Who staffs it (default `IN_HOUSE`).
    #[graphql(default_with = "Sourcing::InHouse")]
    pub sourcing: Sourcing,
    /// Free text, up to 2,000 characters; null or blank for none.
    pub description: Option<String>,
    /// Its SOLID superior from the scenario's date, if any: a unit id or key.
    pub superior_unit_id: Option<ID>,
}

/// `updateUnit`: absent fields stay.
#[derive(InputObject, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioUpdateUnit")]
pub struct UpdateUnitInput {
    /// The unit: an id or a key.
    pub unit_id: ID,
    /// A new name, up to 200 characters.
    pub name: Option<String>,
    /// A new function.
    pub function: Option<UnitFunction>,
    /// A new sourcing.
    pub sourcing: Option<Sourcing>,
}

/// `archiveUnit`.
#[derive(InputObject, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioArchiveUnit")]
pub struct ArchiveUnitInput {
    /// The unit: an id or a key.
    pub unit_id: ID,
}

/// `moveUnit`: a new SOLID superior.
#[derive(InputObject, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioMoveUnit")]
pub struct MoveUnitInput {
    /// The unit that moves: an id or a key.
    pub unit_id: ID,
    /// Its new SOLID superior: an id or a key.
    pub superior_unit_id: ID,
}

/// `addDottedLine`.
#[derive(InputObject, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioAddDottedLine")]
pub struct AddDottedLineInput {
    /// The unit that reports: an id or a key.
    pub unit_id: ID,
    /// The unit it reports to on the DOTTED line: an id or a key.
    pub superior_unit_id: ID,
}

/// `endLine`: a line in effect on the scenario's date ends on it.
#[derive(InputObject, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioEndLine")]
pub struct EndLineInput {
    /// The line's id.
    pub line_id: ID,
}

/// `createPosition`.
#[derive(InputObject, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioCreatePosition")]
pub struct CreatePositionInput {
    /// How later changes of this scenario refer to the position (optional).
    pub key: Option<String>,
    /// The unit it heads: an id or a key.
    pub unit_id: ID,
    /// Its title: one line, up to 200 characters.
    pub title: String,
    /// Its leadership role.
    pub role: PositionRole,
    /// Display name of whoever would hold it; null or blank for none.
    pub holder_name: Option<String>,
    /// What it answers for (default: none).
    #[graphql(default)]
    pub responsibilities: Vec<Responsibility>,
}

/// `updatePosition`: absent fields stay.
#[derive(InputObject, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioUpdatePosition")]
pub struct UpdatePositionInput {
    /// An id or a key.
    pub position_id: ID,
    /// Moves the position to another unit (an id or a key).
    pub unit_id: Option<ID>,
    /// A new title, up to 200 characters.
    pub title: Option<String>,
    /// A new leadership role.
    pub role: Option<PositionRole>,
    /// A new holder's display name; null or blank leaves the holder as it is.
    pub holder_name: Option<String>,
    /// Replaces the whole list.
    pub responsibilities: Option<Vec<Responsibility>>,
}

/// `archivePosition`.
#[derive(InputObject, Debug, Clone, PartialEq)]
#[graphql(name = "ScenarioArchivePosition")]
pub struct ArchivePositionInput {
    /// The position: an id or a key.
    pub position_id: ID,
}

/// The text of an id as the domain keeps it.
fn reference(id: ID) -> domain::Reference {
    id.0
}

impl From<ChangeInput> for domain::Change {
    fn from(input: ChangeInput) -> Self {
        match input {
            ChangeInput::CreateUnit(c) => Self::CreateUnit(domain::CreateUnitChange {
                key: c.key,
                name: c.name,
                function: c.function.into(),
                sourcing: c.sourcing.into(),
                description: c.description,
                superior_unit_id: c.superior_unit_id.map(reference),
            }),
            ChangeInput::UpdateUnit(c) => Self::UpdateUnit(domain::UpdateUnitChange {
                unit_id: reference(c.unit_id),
                name: c.name,
                function: c.function.map(Into::into),
                sourcing: c.sourcing.map(Into::into),
            }),
            ChangeInput::ArchiveUnit(c) => Self::ArchiveUnit(domain::ArchiveUnitChange {
                unit_id: reference(c.unit_id),
            }),
            ChangeInput::MoveUnit(c) => Self::MoveUnit(domain::MoveUnitChange {
                unit_id: reference(c.unit_id),
                superior_unit_id: reference(c.superior_unit_id),
            }),
            ChangeInput::AddDottedLine(c) => Self::AddDottedLine(domain::AddDottedLineChange {
                unit_id: reference(c.unit_id),
                superior_unit_id: reference(c.superior_unit_id),
            }),
            ChangeInput::EndLine(c) => Self::EndLine(domain::EndLineChange {
                line_id: reference(c.line_id),
            }),
            ChangeInput::CreatePosition(c) => Self::CreatePosition(domain::CreatePositionChange {
                key: c.key,
                unit_id: reference(c.unit_id),
                title: c.title,
                role: c.role.into(),
                holder_name: c.holder_name,
                responsibilities: c.responsibilities.into_iter().map(Into::into).collect(),
            }),
            ChangeInput::UpdatePosition(c) => Self::UpdatePosition(domain::UpdatePositionChange {
                position_id: reference(c.position_id),
                unit_id: c.unit_id.map(reference),
                title: c.title,
                role: c.role.map(Into::into),
                holder_name: c.holder_name,
                responsibilities: c
                    .responsibilities
                    .map(|list| list.into_iter().map(Into::into).collect()),
            }),
            ChangeInput::ArchivePosition(c) => {
                Self::ArchivePosition(domain::ArchivePositionChange {
                    position_id: reference(c.position_id),
                })
            }
        }
    }
}
