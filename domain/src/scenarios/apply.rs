//! Applying a scenario's changes to a snapshot, in memory: the structure as it would
//! be on the scenario's date. Pure; the same [`Snapshot`] the insight rules, the
//! collaboration model and the chart read, so a scenario is judged exactly as the live
//! organization is.
//!
//! Each change is checked against the state the changes before it left, with the
//! invariants live data keeps on that date: units and positions of this organization
//! only, nothing archived is changed, at most one SOLID superior, no SOLID cycle, text
//! and key rules. What only the full history can tell (a line dated after the
//! scenario's date that would clash) is checked again at promotion, by the services.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{org_unit, position, reporting_line};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::change::Change;
use crate::{
    Description, LineKind, Name, Responsibility,
    error::{Error, Result},
    insights::{Snapshot, model::infer},
};

/// The limits a draft keeps to, the live ones.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_units: u64,
    pub max_positions: u64,
}

/// A snapshot with changes applied so far.
#[derive(Debug, Clone)]
pub struct Draft {
    scenario: Uuid,
    /// The structure as the changes so far leave it (`model` is refreshed by
    /// [`Draft::finish`]).
    pub snapshot: Snapshot,
    /// Units and positions the changes created, by key.
    pub unit_keys: HashMap<String, Uuid>,
    pub position_keys: HashMap<String, Uuid>,
    /// How many changes were applied (the next synthetic line's number).
    applied: usize,
    /// When the scenario's rows are said to be created (its own creation time).
    stamp: DateTime<Utc>,
}

/// The id a scenario gives an object it creates: stable for the scenario and the
/// label, so evaluating the same draft twice names its new units the same.
pub fn synthetic_id(scenario: Uuid, label: &str) -> Uuid {
    let digest = Sha256::new()
        .chain_update(scenario.as_bytes())
        .chain_update(label.as_bytes())
        .finalize();
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Whether `raw` is a well-formed temporary key.
fn valid_key(raw: &str) -> bool {
    (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && raw.bytes().next().is_some_and(|b| b != b'-')
        && Uuid::parse_str(raw).is_err()
}

/// The id `raw` names for the input `field`: the key of a `what` an earlier change
/// creates (one of `keys`), or an id.
fn named_id(
    keys: &HashMap<String, Uuid>,
    raw: &str,
    what: &'static str,
    field: &str,
) -> Result<Uuid> {
    match keys.get(raw) {
        Some(id) => Ok(*id),
        None => Uuid::parse_str(raw).map_err(|_| {
            Error::bad_input(
                field,
                format!("neither a {what} id nor the key of a {what} an earlier change creates"),
            )
        }),
    }
}

/// The index of `id` among `rows` (each an id and whether it is archived): refused on
/// `field` when there is no such `what` or it is archived.
fn active_index(
    rows: impl Iterator<Item = (Uuid, bool)>,
    id: Uuid,
    what: &'static str,
    field: &str,
) -> Result<usize> {
    match rows.enumerate().find(|(_, (row, _))| *row == id) {
        None => Err(Error::not_found_at(what, field)),
        Some((_, (_, true))) => Err(Error::bad_input(field, format!("the {what} is archived"))),
        Some((i, _)) => Ok(i),
    }
}

impl Draft {
    /// A draft of `scenario` starting from the live `snapshot` on its date.
    pub fn new(scenario: Uuid, snapshot: Snapshot, stamp: DateTime<Utc>) -> Self {
        Self {
            scenario,
            snapshot,
            unit_keys: HashMap::new(),
            position_keys: HashMap::new(),
            applied: 0,
            stamp,
        }
    }

    /// The structure after every change: the collaboration model recomputed.
    pub fn finish(mut self) -> (Snapshot, HashMap<String, Uuid>) {
        let s = &mut self.snapshot;
        s.model = infer(&s.units, &s.positions, &s.lines);
        (self.snapshot, self.unit_keys)
    }

    fn unit_index(&self, id: Uuid) -> Option<usize> {
        self.snapshot.units.iter().position(|u| u.id == id)
    }

    /// The active unit `raw` names (an id or a key), for the input `field`.
    fn unit(&self, raw: &str, field: &str) -> Result<Uuid> {
        let id = named_id(&self.unit_keys, raw, "unit", field)?;
        let units = self.snapshot.units.iter().map(|u| (u.id, u.archived));
        active_index(units, id, "unit", field).map(|_| id)
    }

    /// The index of the active position `raw` names (an id or a key), for the input
    /// `field`.
    fn position(&self, raw: &str, field: &str) -> Result<usize> {
        let id = named_id(&self.position_keys, raw, "position", field)?;
        let positions = self.snapshot.positions.iter().map(|p| (p.id, p.archived));
        active_index(positions, id, "position", field)
    }

    fn solid_superior(&self, unit: Uuid) -> Option<usize> {
        self.snapshot
            .lines
            .iter()
            .position(|l| l.unit_id == unit && l.kind == LineKind::Solid.as_str())
    }

    /// Whether `candidate` is `unit` or below it on SOLID lines.
    fn is_at_or_below(&self, candidate: Uuid, unit: Uuid) -> bool {
        let mut current = candidate;
        for _ in 0..=self.snapshot.lines.len() {
            if current == unit {
                return true;
            }
            match self.solid_superior(current) {
                Some(i) => current = self.snapshot.lines[i].superior_unit_id,
                None => return false,
            }
        }
        // Only corrupt (cyclic) data gets here; refusing is the safe answer.
        true
    }

    /// The organization the objects a change creates belong to, read from the
    /// snapshot's units (nil when it has none).
    fn organization_id(&self) -> Uuid {
        self.snapshot
            .units
            .first()
            .map_or(Uuid::nil(), |u| u.organization_id)
    }

    /// Refuses (on `field`) a `key` for a new object that is malformed or that an
    /// earlier change of the scenario already uses.
    fn check_new_key(&self, key: &str, field: &str) -> Result<()> {
        if !valid_key(key) {
            return Err(Error::bad_input(
                field,
                "a key is 1-64 lower-case letters, digits and dashes, and not an id",
            ));
        }
        if self.unit_keys.contains_key(key) || self.position_keys.contains_key(key) {
            return Err(Error::bad_input(
                field,
                "an earlier change of this scenario uses this key",
            ));
        }
        Ok(())
    }

    fn new_line(&mut self, unit: Uuid, superior: Uuid, kind: LineKind) {
        let id = synthetic_id(self.scenario, &format!("line:{}", self.applied));
        self.snapshot.lines.push(reporting_line::Model {
            id,
            organization_id: self.organization_id(),
            unit_id: unit,
            superior_unit_id: superior,
            kind: kind.as_str().to_owned(),
            effective_from: self.snapshot.as_of,
            effective_to: None,
            created_at: self.stamp,
            updated_at: self.stamp,
            version: 1,
        });
    }

    fn check_superior(&self, unit: Uuid, superior: Uuid, field: &str) -> Result<()> {
        if unit == superior {
            return Err(Error::bad_input(field, "a unit cannot report to itself"));
        }
        if self.is_at_or_below(superior, unit) {
            return Err(Error::bad_input(
                field,
                "this SOLID line would close a cycle: the superior reports (directly or not) to the unit",
            ));
        }
        Ok(())
    }

    /// Applies one change, checked against the state so far; `at` names it in errors
    /// (`changes[2]`). A refused change leaves the draft as it was.
    pub fn apply(&mut self, at: &str, change: &Change, limits: Limits) -> Result<()> {
        let f = |name: &str| format!("{at}.{name}");
        match change {
            Change::CreateUnit(c) => {
                self.check_new_key(&c.key, &f("key"))?;
                let name = Name::parse(&f("name"), &c.name)?;
                let description =
                    Description::parse_opt(&f("description"), c.description.as_deref())?;
                let superior = c
                    .superior_unit_id
                    .as_ref()
                    .map(|s| self.unit(s, &f("superiorUnitId")))
                    .transpose()?;
                if self.snapshot.units.len() as u64 >= limits.max_units {
                    return Err(Error::LimitExceeded(format!(
                        "an organization holds at most {} units",
                        limits.max_units
                    )));
                }
                let id = synthetic_id(self.scenario, &format!("unit:{}", c.key));
                self.snapshot.units.push(org_unit::Model {
                    id,
                    organization_id: self.organization_id(),
                    name: name.into_inner(),
                    function: c.function.as_str().to_owned(),
                    sourcing: c.sourcing.as_str().to_owned(),
                    description: description.map(Description::into_inner),
                    effective_from: self.snapshot.as_of,
                    effective_to: None,
                    archived: false,
                    created_at: self.stamp,
                    updated_at: self.stamp,
                    version: 1,
                });
                self.unit_keys.insert(c.key.clone(), id);
                if let Some(superior) = superior {
                    self.new_line(id, superior, LineKind::Solid);
                }
            }
            Change::UpdateUnit(c) => {
                let id = self.unit(&c.unit_id, &f("unitId"))?;
                if c.name.is_none() && c.function.is_none() && c.sourcing.is_none() {
                    return Err(Error::bad_input(
                        at,
                        "an updateUnit change names at least one of name, function, sourcing",
                    ));
                }
                let name = c
                    .name
                    .as_deref()
                    .map(|n| Name::parse(&f("name"), n))
                    .transpose()?;
                let Some(i) = self.unit_index(id) else {
                    return Err(Error::not_found_at("unit", f("unitId")));
                };
                let unit = &mut self.snapshot.units[i];
                if let Some(name) = name {
                    unit.name = name.into_inner();
                }
                if let Some(function) = c.function {
                    unit.function = function.as_str().to_owned();
                }
                if let Some(sourcing) = c.sourcing {
                    unit.sourcing = sourcing.as_str().to_owned();
                }
            }
            Change::ArchiveUnit(c) => {
                let id = self.unit(&c.unit_id, &f("unitId"))?;
                let reports = self
                    .snapshot
                    .lines
                    .iter()
                    .filter(|l| l.superior_unit_id == id && l.kind == LineKind::Solid.as_str())
                    .count();
                if reports > 0 {
                    return Err(Error::bad_input(
                        f("unitId"),
                        format!(
                            "{reports} unit(s) still report to this unit on a SOLID line; move them first"
                        ),
                    ));
                }
                self.snapshot
                    .lines
                    .retain(|l| l.unit_id != id && l.superior_unit_id != id);
                if let Some(i) = self.unit_index(id) {
                    let unit = &mut self.snapshot.units[i];
                    (unit.archived, unit.effective_to) = (true, Some(self.snapshot.as_of));
                }
            }
            Change::MoveUnit(c) => {
                let unit = self.unit(&c.unit_id, &f("unitId"))?;
                let superior = self.unit(&c.superior_unit_id, &f("superiorUnitId"))?;
                self.check_superior(unit, superior, &f("superiorUnitId"))?;
                if let Some(i) = self.solid_superior(unit) {
                    if self.snapshot.lines[i].superior_unit_id == superior {
                        return Err(Error::bad_input(
                            f("superiorUnitId"),
                            "the unit already reports to this superior",
                        ));
                    }
                    self.snapshot.lines.remove(i);
                }
                self.new_line(unit, superior, LineKind::Solid);
            }
            Change::AddDottedLine(c) => {
                let unit = self.unit(&c.unit_id, &f("unitId"))?;
                let superior = self.unit(&c.superior_unit_id, &f("superiorUnitId"))?;
                if unit == superior {
                    return Err(Error::bad_input(
                        f("superiorUnitId"),
                        "a unit cannot report to itself",
                    ));
                }
                if self.snapshot.lines.iter().any(|l| {
                    l.unit_id == unit
                        && l.superior_unit_id == superior
                        && l.kind == LineKind::Dotted.as_str()
                }) {
                    return Err(Error::bad_input(
                        f("superiorUnitId"),
                        "a DOTTED line between these units is already in effect",
                    ));
                }
                self.new_line(unit, superior, LineKind::Dotted);
            }
            Change::EndLine(c) => {
                let id = Uuid::parse_str(c.line_id.as_str())
                    .map_err(|_| Error::bad_input(f("lineId"), "not a reporting line id"))?;
                let Some(i) = self.snapshot.lines.iter().position(|l| l.id == id) else {
                    return Err(Error::not_found_at(
                        "reporting line in effect on the scenario's date",
                        f("lineId"),
                    ));
                };
                self.snapshot.lines.remove(i);
            }
            Change::CreatePosition(c) => {
                if let Some(key) = &c.key {
                    self.check_new_key(key, &f("key"))?;
                }
                let unit = self.unit(&c.unit_id, &f("unitId"))?;
                let title = Name::parse(&f("title"), &c.title)?;
                let holder = Name::parse_opt(&f("holderName"), c.holder_name.as_deref())?;
                let held = self
                    .snapshot
                    .positions
                    .iter()
                    .filter(|p| p.unit_id == unit)
                    .count();
                if held as u64 >= limits.max_positions {
                    return Err(Error::LimitExceeded(format!(
                        "a unit holds at most {} positions",
                        limits.max_positions
                    )));
                }
                let label = c
                    .key
                    .clone()
                    .unwrap_or_else(|| format!("#{}", self.applied));
                let id = synthetic_id(self.scenario, &format!("position:{label}"));
                self.snapshot.positions.push(position::Model {
                    id,
                    organization_id: self.organization_id(),
                    unit_id: unit,
                    title: title.into_inner(),
                    role: c.role.as_str().to_owned(),
                    holder_name: holder.map(Name::into_inner),
                    responsibilities: Responsibility::json(&c.responsibilities),
                    effective_from: self.snapshot.as_of,
                    effective_to: None,
                    archived: false,
                    created_at: self.stamp,
                    updated_at: self.stamp,
                    version: 1,
                });
                if let Some(key) = &c.key {
                    self.position_keys.insert(key.clone(), id);
                }
            }
            Change::UpdatePosition(c) => {
                let i = self.position(&c.position_id, &f("positionId"))?;
                let unit = c
                    .unit_id
                    .as_ref()
                    .map(|u| self.unit(u, &f("unitId")))
                    .transpose()?;
                let title = c
                    .title
                    .as_deref()
                    .map(|t| Name::parse(&f("title"), t))
                    .transpose()?;
                let holder = Name::parse_opt(&f("holderName"), c.holder_name.as_deref())?;
                if unit.is_none()
                    && title.is_none()
                    && c.role.is_none()
                    && holder.is_none()
                    && c.responsibilities.is_none()
                {
                    return Err(Error::bad_input(
                        at,
                        "an updatePosition change names at least one field to change",
                    ));
                }
                let p = &mut self.snapshot.positions[i];
                if let Some(unit) = unit {
                    p.unit_id = unit;
                }
                if let Some(title) = title {
                    p.title = title.into_inner();
                }
                if let Some(role) = c.role {
                    p.role = role.as_str().to_owned();
                }
                if let Some(holder) = holder {
                    p.holder_name = Some(holder.into_inner());
                }
                if let Some(list) = &c.responsibilities {
                    p.responsibilities = Responsibility::json(list);
                }
            }
            Change::ArchivePosition(c) => {
                let i = self.position(&c.position_id, &f("positionId"))?;
                let position = &mut self.snapshot.positions[i];
                (position.archived, position.effective_to) = (true, Some(self.snapshot.as_of));
            }
        }
        self.applied += 1;
        Ok(())
    }
}
