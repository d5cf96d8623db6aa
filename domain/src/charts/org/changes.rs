//! The chart of a scenario: the structure as the scenario would make it, with what it
//! changes against the live organization marked, so one picture answers "what moves?".
//!
//! Units and lines are matched by id. The scenario's structure places the boxes; a unit
//! the scenario removes is still drawn (from the live data, dashed and greyed) under its
//! live SOLID superior, and a line it ends is still drawn between the units it joined.

use std::collections::{HashMap, HashSet};

use entity::{org_unit, reporting_line};
use uuid::Uuid;

use super::{Change, Drawn, LineChange, Node, OrgChart};
use crate::{
    LineKind,
    error::Result,
    insights::{Insight, Snapshot},
};

/// Added units and lines.
pub(super) const ADDED: &str = "#16a34a";
/// Moved units. Not the violet of DOTTED lines, so a moved box never reads as matrix.
pub(super) const MOVED: &str = "#0891b2";
/// Removed units and ended lines.
pub(super) const REMOVED: &str = "#9ca3af";
pub(super) const REMOVED_FILL: &str = "#f3f4f6";
pub(super) const REMOVED_TEXT: &str = "#6b7280";
/// A removed unit's outline: shorter than an outsourced unit's "6 3".
pub(super) const REMOVED_DASH: &str = "3 3";
/// An ended line: dots, where a DOTTED line has dashes ("5 4").
pub(super) const ENDED_DASH: &str = "1 4";

impl OrgChart {
    /// The chart of a scenario: `after` is the scenario's snapshot (the structure as it
    /// would be), `before` the live snapshot on the same date, and `insights` those of
    /// `after`. Units the scenario adds or moves and lines it adds are marked; units it
    /// removes and lines it ends are drawn from `before`, marked as such. Two equal
    /// snapshots give the same chart as [`OrgChart::new`].
    pub fn comparing(
        title: &str,
        before: &Snapshot,
        after: &Snapshot,
        insights: Vec<Insight>,
    ) -> Result<Self> {
        let live = active(before);
        let planned = active(after);
        let live_superior = solid_superiors(before, &live);
        let planned_superior = solid_superiors(after, &planned);

        let mut units: Vec<(&org_unit::Model, Option<Change>)> = Vec::new();
        for unit in after.units.iter().filter(|u| planned.contains_key(&u.id)) {
            let change = if !live.contains_key(&unit.id) {
                Some(Change::Added)
            } else {
                let from = live_superior.get(&unit.id).copied();
                if from == planned_superior.get(&unit.id).copied() {
                    None
                } else {
                    Some(Change::Moved {
                        from,
                        from_name: from.and_then(|s| live.get(&s)).map(|s| s.name.clone()),
                    })
                }
            };
            units.push((unit, change));
        }
        let removed: HashSet<Uuid> = before
            .units
            .iter()
            .filter(|u| live.contains_key(&u.id) && !planned.contains_key(&u.id))
            .map(|u| u.id)
            .collect();
        units.extend(
            before
                .units
                .iter()
                .filter(|u| removed.contains(&u.id))
                .map(|u| (u, Some(Change::Removed))),
        );

        // Each unit's positions come from the snapshot it is drawn from.
        let positions = after
            .positions
            .iter()
            .filter(|p| !p.archived && planned.contains_key(&p.unit_id))
            .chain(
                before
                    .positions
                    .iter()
                    .filter(|p| !p.archived && removed.contains(&p.unit_id)),
            )
            .collect();

        // A line is the same line when its id, its two units and its kind are: a
        // scenario that re-points a line in place ends one line and adds another.
        let live_lines: HashMap<Uuid, &reporting_line::Model> =
            before.lines.iter().map(|l| (l.id, l)).collect();
        let mut lines: Vec<(&reporting_line::Model, Option<LineChange>)> = Vec::new();
        let mut kept = HashSet::new();
        for line in after.lines.iter().filter(|l| {
            planned.contains_key(&l.unit_id) && planned.contains_key(&l.superior_unit_id)
        }) {
            let unchanged = live_lines.get(&line.id).is_some_and(|l| same_line(l, line));
            if unchanged {
                kept.insert(line.id);
            }
            lines.push((line, (!unchanged).then_some(LineChange::Added)));
        }
        let drawn = |id: &Uuid| planned.contains_key(id) || removed.contains(id);
        lines.extend(
            before
                .lines
                .iter()
                .filter(|l| {
                    !kept.contains(&l.id) && drawn(&l.unit_id) && drawn(&l.superior_unit_id)
                })
                .map(|l| (l, Some(LineChange::Ended))),
        );

        Self::assemble(
            title,
            after.as_of,
            Drawn {
                units,
                positions,
                lines,
            },
            &[after, before],
            insights,
        )
    }

    /// Whether anything on the chart is marked as changed: only then do the pictures
    /// carry the change legend and styles, so a scenario that changes nothing (and every
    /// chart of one snapshot) draws exactly like the live chart.
    pub fn has_changes(&self) -> bool {
        self.nodes.iter().any(|n| n.change.is_some())
            || self.edges.iter().any(|e| e.change.is_some())
    }

    /// A node's change in a few words, for labels and tooltips.
    pub(super) fn change_label(node: &Node) -> Option<String> {
        node.change.as_ref().map(|change| match change {
            Change::Added => "added".to_owned(),
            Change::Removed => "removed".to_owned(),
            Change::Moved {
                from_name: Some(name),
                ..
            } => format!("moved from {name}"),
            Change::Moved {
                from_name: None, ..
            } => "moved from the top".to_owned(),
        })
    }
}

impl Change {
    /// The change's name in lower case, as the SVG and Mermaid classes spell it, so a
    /// stylesheet or a test can pick the changed units out.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Moved { .. } => "moved",
            Self::Removed => "removed",
        }
    }
}

/// The units of a snapshot that are not archived, by id.
fn active(snapshot: &Snapshot) -> HashMap<Uuid, &org_unit::Model> {
    snapshot
        .units
        .iter()
        .filter(|u| !u.archived)
        .map(|u| (u.id, u))
        .collect()
}

/// Each active unit's SOLID superior among the active units (the first such line, as
/// the database allows one per date).
fn solid_superiors(
    snapshot: &Snapshot,
    active: &HashMap<Uuid, &org_unit::Model>,
) -> HashMap<Uuid, Uuid> {
    let mut superior = HashMap::new();
    for line in &snapshot.lines {
        if line.unit_id != line.superior_unit_id
            && active.contains_key(&line.unit_id)
            && active.contains_key(&line.superior_unit_id)
            && LineKind::from_db(&line.kind).ok() == Some(LineKind::Solid)
        {
            superior
                .entry(line.unit_id)
                .or_insert(line.superior_unit_id);
        }
    }
    superior
}

fn same_line(a: &reporting_line::Model, b: &reporting_line::Model) -> bool {
    a.unit_id == b.unit_id && a.superior_unit_id == b.superior_unit_id && a.kind == b.kind
}

#[cfg(test)]
mod tests;
