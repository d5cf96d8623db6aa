//! The scenario changes that turn the live structure into a file's.

use std::collections::HashSet;

use entity::org_unit;
use uuid::Uuid;

use super::*;
use crate::{
    error::{Error, Result},
    insights::Snapshot,
    scenarios::change::{
        AddDottedLineChange, ArchivePositionChange, ArchiveUnitChange, Change,
        CreatePositionChange, CreateUnitChange, EndLineChange, MoveUnitChange,
        UpdatePositionChange, UpdateUnitChange,
    },
};

/// A temporary key for a unit the file creates, from its name: lower-case letters,
/// digits and dashes, unique among `taken`.
pub(super) fn key_for(name: &str, taken: &mut HashSet<String>) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut base: String = slug.trim_matches('-').chars().take(50).collect();
    base = base.trim_end_matches('-').to_owned();
    // A key is never an id: a name spelled like one gets a prefix.
    if base.is_empty() || Uuid::parse_str(&base).is_ok() {
        base = format!("unit-{base}").trim_end_matches('-').to_owned();
    }
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// The changes that turn `live` (the organization on the scenario's date) into the
/// structure of `rows`, in an order in which each passes the checks of
/// [`crate::scenarios::apply`]:
///
/// 1. units renamed or given another function or sourcing;
/// 2. new units, top-down, each with its SOLID superior;
/// 3. DOTTED lines the file no longer has, ended;
/// 4. SOLID superiors changed (moved, or a line ended for a new top), top-down by
///    depth in the file, so every superior already sits where the file puts it and
///    no intermediate state has a cycle;
/// 5. DOTTED lines added;
/// 6. head positions created, updated (title, role) or archived (when the file
///    leaves `head_position` empty; other positions of the unit are left alone);
/// 7. units of the live structure the file leaves out, archived deepest first (their
///    subordinates in the file were moved away in step 4).
///
/// `BAD_USER_INPUT` on `line[N].id` when an id is not an active unit of `live`.
pub fn changes(live: &Snapshot, rows: &[Row]) -> Result<Vec<Change>> {
    let current = Live::new(live);
    for row in rows {
        let Some(id) = row.id else { continue };
        match live.units.iter().find(|u| u.id == id) {
            None => {
                return Err(Error::bad_input(
                    at(row.line, "id"),
                    format!(
                        "no unit of this organization has the id {id}; leave the id empty to create a unit"
                    ),
                ));
            }
            Some(u) if u.archived => {
                return Err(Error::bad_input(
                    at(row.line, "id"),
                    format!("the unit {id} is archived; leave the id empty to create a new one"),
                ));
            }
            Some(_) => {}
        }
    }

    // How changes refer to each row's unit: its id, or the key its creation gets.
    let mut taken = HashSet::new();
    let refs: Vec<String> = rows
        .iter()
        .map(|r| match r.id {
            Some(id) => id.to_string(),
            None => key_for(&r.name, &mut taken),
        })
        .collect();
    let unit_ref = |i: usize| refs[i].clone();
    // Depth in the file's tree (acyclic: `parse` refused cycles).
    let depth = |mut i: usize| {
        let mut d = 0;
        while let Some(up) = rows[i].solid_superior {
            d += 1;
            i = up;
            if d > rows.len() {
                break;
            }
        }
        d
    };
    let mut top_down: Vec<usize> = (0..rows.len()).collect();
    top_down.sort_by_key(|&i| (depth(i), i));

    let mut out = Vec::new();
    // 1. Names, functions, sourcing.
    for row in rows {
        let Some(unit) = row.id.and_then(|id| current.units.get(&id)) else {
            continue;
        };
        let name = (unit.name != row.name).then(|| row.name.clone());
        let function = (unit.function != row.function.as_str()).then_some(row.function);
        let sourcing = (unit.sourcing != row.sourcing.as_str()).then_some(row.sourcing);
        if name.is_some() || function.is_some() || sourcing.is_some() {
            out.push(Change::UpdateUnit(UpdateUnitChange {
                unit_id: unit.id.to_string(),
                name,
                function,
                sourcing,
            }));
        }
    }
    // 2. New units, parents first.
    for &i in &top_down {
        let row = &rows[i];
        if row.id.is_some() {
            continue;
        }
        out.push(Change::CreateUnit(CreateUnitChange {
            key: refs[i].clone(),
            name: row.name.clone(),
            function: row.function,
            sourcing: row.sourcing,
            description: None,
            superior_unit_id: row.solid_superior.map(unit_ref),
        }));
    }
    // 3. DOTTED lines the file drops.
    let mut kept_dotted: HashSet<(Uuid, Uuid)> = HashSet::new();
    for row in rows {
        let Some(id) = row.id else { continue };
        let wanted: HashSet<Uuid> = row
            .dotted_superiors
            .iter()
            .filter_map(|&s| rows[s].id)
            .collect();
        for line in current.dotted.get(&id).into_iter().flatten() {
            if wanted.contains(&line.superior_unit_id)
                && kept_dotted.insert((id, line.superior_unit_id))
            {
                continue;
            }
            out.push(Change::EndLine(EndLineChange {
                line_id: line.id.to_string(),
            }));
        }
    }
    // 4. SOLID superiors, top-down.
    for &i in &top_down {
        let Some(id) = rows[i].id else { continue };
        let before = current.superior(id);
        match rows[i].solid_superior {
            None => {
                if let Some(line) = current.solid.get(&id) {
                    out.push(Change::EndLine(EndLineChange {
                        line_id: line.id.to_string(),
                    }));
                }
            }
            // A new superior has no id yet, so it is never the current one.
            Some(superior) if rows[superior].id.is_none() || rows[superior].id != before => {
                out.push(Change::MoveUnit(MoveUnitChange {
                    unit_id: id.to_string(),
                    superior_unit_id: unit_ref(superior),
                }));
            }
            Some(_) => {}
        }
    }
    // 5. DOTTED lines the file adds.
    for (i, row) in rows.iter().enumerate() {
        for &s in &row.dotted_superiors {
            let exists = match (row.id, rows[s].id) {
                (Some(unit), Some(superior)) => kept_dotted.contains(&(unit, superior)),
                _ => false,
            };
            if !exists {
                out.push(Change::AddDottedLine(AddDottedLineChange {
                    unit_id: unit_ref(i),
                    superior_unit_id: unit_ref(s),
                }));
            }
        }
    }
    // 6. Head positions.
    for (i, row) in rows.iter().enumerate() {
        let before = row.id.and_then(|id| current.heads.get(&id));
        match (before, &row.head) {
            (None, None) => {}
            (None, Some(head)) => out.push(Change::CreatePosition(CreatePositionChange {
                key: None,
                unit_id: unit_ref(i),
                title: head.title.clone(),
                role: head.role,
                holder_name: None,
                responsibilities: Vec::new(),
            })),
            (Some(p), None) => out.push(Change::ArchivePosition(ArchivePositionChange {
                position_id: p.id.to_string(),
            })),
            (Some(p), Some(head)) => {
                let title = (p.title != head.title).then(|| head.title.clone());
                let role = (p.role != head.role.as_str()).then_some(head.role);
                if title.is_some() || role.is_some() {
                    out.push(Change::UpdatePosition(UpdatePositionChange {
                        position_id: p.id.to_string(),
                        unit_id: None,
                        title,
                        role,
                        holder_name: None,
                        responsibilities: None,
                    }));
                }
            }
        }
    }
    // 7. Units the file leaves out, deepest first.
    let in_file: HashSet<Uuid> = rows.iter().filter_map(|r| r.id).collect();
    let depths = current.depths();
    let mut gone: Vec<&org_unit::Model> = current
        .units
        .values()
        .copied()
        .filter(|u| !in_file.contains(&u.id))
        .collect();
    gone.sort_by(|a, b| {
        (depths.get(&b.id), &a.name, a.id).cmp(&(depths.get(&a.id), &b.name, b.id))
    });
    for unit in gone {
        out.push(Change::ArchiveUnit(ArchiveUnitChange {
            unit_id: unit.id.to_string(),
        }));
    }
    Ok(out)
}
