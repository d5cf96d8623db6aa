//! The structure as a CSV file, HRIS-style: one row per unit, with its function,
//! sourcing, SOLID superior, DOTTED superiors and head position. [`export`] writes the
//! live structure on a date; [`parse`] reads a file back, checked line by line; and
//! [`changes`] computes the scenario changes that turn the live structure into the
//! file's. Pure: no database, no transport.
//!
//! The columns, in the order [`export`] writes them ([`COLUMNS`]):
//!
//! | column | meaning |
//! |---|---|
//! | `id` | the unit's id; empty for a unit the file creates |
//! | `unit` | its name |
//! | `function` | a `UnitFunction` key (`MARKETING`, `SALES`, ...) |
//! | `sourcing` | a `Sourcing` key; empty means `IN_HOUSE` |
//! | `solid_superior` | the unit it reports to on a SOLID line, by name or by id; empty at the top |
//! | `dotted_superiors` | the units it reports to on DOTTED lines, `;`-separated |
//! | `head_position` | the title of the unit's head position (its first by creation); empty when none |
//! | `head_role` | that position's `PositionRole` key |
//!
//! Superiors name units **of the same file**: by name when only one row has that
//! name, else by id (the export writes ids where a name is not unique). A unit of the
//! live structure that the file leaves out is archived by the import.
//!
//! **Invariant:** `changes(live, parse(export(live)))` is empty: export, import and
//! diff round-trip.

mod changes;
mod parse;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use entity::{org_unit, position, reporting_line};
use uuid::Uuid;

pub use self::{changes::changes, parse::parse};
use crate::{
    LineKind, PositionRole, Sourcing, UnitFunction,
    error::{Error, Result},
    insights::Snapshot,
};

/// The header row [`export`] writes, in order.
pub const COLUMNS: [&str; 8] = [
    "id",
    "unit",
    "function",
    "sourcing",
    "solid_superior",
    "dotted_superiors",
    "head_position",
    "head_role",
];

/// A unit's head position as a file gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub title: String,
    pub role: PositionRole,
}

/// One unit of a file, parsed and resolved: its superiors are indexes into the same
/// list of rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The file line the row starts on (line 1 is the header), for errors.
    pub line: u64,
    /// The live unit it describes; `None` for a unit the file creates.
    pub id: Option<Uuid>,
    pub name: String,
    pub function: UnitFunction,
    pub sourcing: Sourcing,
    /// The row of its SOLID superior; `None` at the top.
    pub solid_superior: Option<usize>,
    /// The rows of its DOTTED superiors, each once.
    pub dotted_superiors: Vec<usize>,
    pub head: Option<Head>,
}

/// The error field of a row's column: `line[12].function`.
fn at(line: u64, column: &str) -> String {
    format!("line[{line}].{column}")
}

// ---------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------

/// The active units of `s`, their SOLID superiors and depths, for export and diffing.
struct Live<'a> {
    units: HashMap<Uuid, &'a org_unit::Model>,
    /// Active unit → its SOLID line to an active superior.
    solid: HashMap<Uuid, &'a reporting_line::Model>,
    /// Active unit → its DOTTED lines to active superiors.
    dotted: HashMap<Uuid, Vec<&'a reporting_line::Model>>,
    /// Active unit → its head position (the first active one by creation).
    heads: HashMap<Uuid, &'a position::Model>,
}

impl<'a> Live<'a> {
    fn new(s: &'a Snapshot) -> Self {
        let units: HashMap<Uuid, &org_unit::Model> = s
            .units
            .iter()
            .filter(|u| !u.archived)
            .map(|u| (u.id, u))
            .collect();
        let mut solid = HashMap::new();
        let mut dotted: HashMap<Uuid, Vec<&reporting_line::Model>> = HashMap::new();
        // Lines touching an archived unit are not part of the active structure (the
        // diff ignores them too), so the file neither shows nor ends them.
        for line in s
            .lines
            .iter()
            .filter(|l| units.contains_key(&l.unit_id) && units.contains_key(&l.superior_unit_id))
        {
            if line.kind == LineKind::Solid.as_str() {
                solid.insert(line.unit_id, line);
            } else {
                dotted.entry(line.unit_id).or_default().push(line);
            }
        }
        let mut heads: HashMap<Uuid, &position::Model> = HashMap::new();
        for p in s
            .positions
            .iter()
            .filter(|p| !p.archived && units.contains_key(&p.unit_id))
        {
            let first = heads.entry(p.unit_id).or_insert(p);
            if (p.created_at, p.id) < (first.created_at, first.id) {
                *first = p;
            }
        }
        Self {
            units,
            solid,
            dotted,
            heads,
        }
    }

    fn superior(&self, unit: Uuid) -> Option<Uuid> {
        self.solid.get(&unit).map(|l| l.superior_unit_id)
    }

    /// SOLID steps from each active unit to its top (a cycle, which stored data never
    /// holds, stops the walk rather than looping).
    fn depths(&self) -> HashMap<Uuid, usize> {
        let mut depths = HashMap::with_capacity(self.units.len());
        for &unit in self.units.keys() {
            let mut depth = 0;
            let mut current = unit;
            while let Some(up) = self.superior(current) {
                depth += 1;
                current = up;
                if depth > self.units.len() {
                    break;
                }
            }
            depths.insert(unit, depth);
        }
        depths
    }
}

/// The active structure of `s` as CSV: the header row, then one row per active unit,
/// top-down (by depth, then name, then id). A superior is written by name, or by id
/// when its name is not unique among the active units.
pub fn export(s: &Snapshot) -> Result<String> {
    let live = Live::new(s);
    let depths = live.depths();
    let mut name_counts: HashMap<&str, usize> = HashMap::new();
    for u in live.units.values() {
        *name_counts.entry(u.name.as_str()).or_default() += 1;
    }
    let reference = |id: Uuid| -> String {
        match live.units.get(&id) {
            Some(u) if name_counts.get(u.name.as_str()) == Some(&1) => u.name.clone(),
            _ => id.to_string(),
        }
    };
    let mut units: Vec<&org_unit::Model> = live.units.values().copied().collect();
    units.sort_by(|a, b| {
        (depths.get(&a.id), &a.name, a.id).cmp(&(depths.get(&b.id), &b.name, b.id))
    });

    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| Error::Internal(anyhow::anyhow!("writing the CSV: {e}"));
    writer.write_record(COLUMNS).map_err(failed)?;
    for u in units {
        let mut dotted: Vec<String> = live
            .dotted
            .get(&u.id)
            .into_iter()
            .flatten()
            .map(|l| reference(l.superior_unit_id))
            .collect();
        dotted.sort();
        dotted.dedup();
        let head = live.heads.get(&u.id);
        writer
            .write_record([
                u.id.to_string(),
                u.name.clone(),
                u.function.clone(),
                u.sourcing.clone(),
                live.superior(u.id).map(reference).unwrap_or_default(),
                dotted.join(";"),
                head.map(|p| p.title.clone()).unwrap_or_default(),
                head.map(|p| p.role.clone()).unwrap_or_default(),
            ])
            .map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::Internal(anyhow::anyhow!("writing the CSV: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|e| Error::Internal(anyhow::anyhow!("the CSV is not UTF-8: {e}")))
}
