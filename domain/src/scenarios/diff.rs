//! What a scenario would change: the live structure and the scenario's, both on the
//! scenario's date, compared. Pure; the figures come from the same snapshot functions
//! the live organization is judged by (the collaboration model, the insight rules).

use std::collections::{BTreeSet, HashMap, HashSet};

use entity::reporting_line;
use uuid::Uuid;

use crate::{
    CollaborationModel, LineKind,
    insights::{Insight, Snapshot},
};

/// A unit that reports elsewhere afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub unit: Uuid,
    /// Its SOLID superior before (`None`: it was at the top).
    pub from: Option<Uuid>,
    /// Its SOLID superior after (`None`: at the top).
    pub to: Option<Uuid>,
}

/// Span of control and depth over a structure's active units.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Shape {
    pub units: usize,
    /// Most SOLID subordinates of one unit.
    pub max_span: usize,
    /// Mean SOLID subordinates of the units that have any.
    pub mean_span: f64,
    /// Most SOLID steps from a unit to its top.
    pub max_depth: usize,
    /// Mean steps to the top over every unit.
    pub mean_depth: f64,
}

/// A unit's span and depth before and after (`None`: not active then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitShape {
    pub unit: Uuid,
    pub span_before: Option<usize>,
    pub span_after: Option<usize>,
    pub depth_before: Option<usize>,
    pub depth_after: Option<usize>,
}

/// One marketing branch's model before and after (`None`: not a branch then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchChange {
    pub unit: Uuid,
    pub before: Option<CollaborationModel>,
    pub after: Option<CollaborationModel>,
}

/// The KPI series recorded against a unit that moves or is archived, and where they
/// roll up before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiOwnership {
    pub unit: Uuid,
    /// KPI keys and how many points each holds for the unit.
    pub series: Vec<(String, u64)>,
    /// The branch (the unit's ancestor just under its top) before and after; `None`
    /// after when the unit is archived.
    pub branch_before: Option<Uuid>,
    pub branch_after: Option<Uuid>,
    pub archived: bool,
}

/// A value of a unit or position before and after, when it differs.
pub type Changed<T> = Option<(T, T)>;

/// A unit active on both sides whose values differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitChange {
    pub unit: Uuid,
    pub name: Changed<String>,
    pub function: Changed<String>,
    pub sourcing: Changed<String>,
}

/// A position present on both sides whose values differ.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionChange {
    pub position: Uuid,
    pub title: Changed<String>,
    pub role: Changed<String>,
    pub holder_name: Changed<Option<String>>,
    pub responsibilities: Changed<serde_json::Value>,
}

/// The comparison.
#[derive(Debug, Clone)]
pub struct Diff {
    pub units_added: Vec<Uuid>,
    pub units_archived: Vec<Uuid>,
    pub units_moved: Vec<Moved>,
    /// Units renamed, re-sourced or given another function.
    pub units_changed: Vec<UnitChange>,
    pub positions_added: Vec<Uuid>,
    pub positions_ended: Vec<Uuid>,
    /// Positions retitled, given another role, holder or responsibilities.
    pub positions_changed: Vec<PositionChange>,
    pub lines_added: Vec<reporting_line::Model>,
    pub lines_ended: Vec<reporting_line::Model>,
    pub shape_before: Shape,
    pub shape_after: Shape,
    /// Units added, archived or moved, and the superiors they leave or join.
    pub changed_units: Vec<UnitShape>,
    pub model_before: Option<CollaborationModel>,
    pub model_after: Option<CollaborationModel>,
    pub branches: Vec<BranchChange>,
    pub insights_resolved: Vec<Insight>,
    pub insights_introduced: Vec<Insight>,
    pub kpi_ownership: Vec<KpiOwnership>,
}

impl Diff {
    /// Whether the scenario changes nothing the diff shows.
    pub fn is_empty(&self) -> bool {
        self.units_added.is_empty()
            && self.units_archived.is_empty()
            && self.units_moved.is_empty()
            && self.units_changed.is_empty()
            && self.positions_added.is_empty()
            && self.positions_ended.is_empty()
            && self.positions_changed.is_empty()
            && self.lines_added.is_empty()
            && self.lines_ended.is_empty()
            && self.insights_resolved.is_empty()
            && self.insights_introduced.is_empty()
    }
}

/// One structure's SOLID tree, indexed once: superiors, subordinate counts, depths.
struct Tree {
    active: Vec<Uuid>,
    superior: HashMap<Uuid, Uuid>,
    span: HashMap<Uuid, usize>,
    depth: HashMap<Uuid, usize>,
    branch: HashMap<Uuid, Uuid>,
}

impl Tree {
    fn new(s: &Snapshot) -> Self {
        let active: Vec<Uuid> = s
            .units
            .iter()
            .filter(|u| !u.archived)
            .map(|u| u.id)
            .collect();
        let is_active: HashSet<Uuid> = active.iter().copied().collect();
        let mut superior = HashMap::new();
        let mut span: HashMap<Uuid, usize> = HashMap::new();
        for line in s.lines.iter().filter(|l| {
            l.kind == LineKind::Solid.as_str()
                && is_active.contains(&l.unit_id)
                && is_active.contains(&l.superior_unit_id)
        }) {
            superior.insert(line.unit_id, line.superior_unit_id);
            *span.entry(line.superior_unit_id).or_default() += 1;
        }
        let mut depth = HashMap::with_capacity(active.len());
        let mut branch = HashMap::with_capacity(active.len());
        for &unit in &active {
            if depth.contains_key(&unit) {
                continue;
            }
            // Walk up to the top or to a unit whose depth is known, then fill the path
            // top-down: each unit is visited once however deep the tree.
            let mut path = vec![unit];
            let mut current = unit;
            let base = loop {
                match superior.get(&current) {
                    Some(up) => match depth.get(up) {
                        Some(d) => break d + 1,
                        // Only corrupt (cyclic) data walks longer than there are units.
                        None if path.len() > active.len() => break 0,
                        None => {
                            path.push(*up);
                            current = *up;
                        }
                    },
                    None => break 0,
                }
            };
            for (i, &u) in path.iter().rev().enumerate() {
                let d = base + i;
                depth.insert(u, d);
                // The branch: the ancestor at depth 1; a top is its own.
                let b = match superior.get(&u).and_then(|up| branch.get(up)) {
                    Some(&up_branch) if d > 1 => up_branch,
                    _ => u,
                };
                branch.insert(u, b);
            }
        }
        Self {
            active,
            superior,
            span,
            depth,
            branch,
        }
    }

    fn shape(&self) -> Shape {
        let managers: Vec<usize> = self.span.values().copied().filter(|&n| n > 0).collect();
        let units = self.active.len();
        Shape {
            units,
            max_span: managers.iter().copied().max().unwrap_or(0),
            mean_span: mean(managers.iter().copied(), managers.len()),
            max_depth: self.depth.values().copied().max().unwrap_or(0),
            mean_depth: mean(self.depth.values().copied(), self.depth.len()),
        }
    }

    fn is_active(&self, unit: Uuid) -> bool {
        self.depth.contains_key(&unit)
    }
}

fn mean(values: impl Iterator<Item = usize>, n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let sum: usize = values.sum();
    // Counts of units: far below 2^52, exact as f64.
    #[allow(clippy::cast_precision_loss)]
    let mean = sum as f64 / n as f64;
    (mean * 100.0).round() / 100.0
}

/// An insight's identity across the two structures: its code and its evidence.
fn insight_key(insight: &Insight) -> (&'static str, BTreeSet<Uuid>) {
    (insight.code, insight.evidence.iter().copied().collect())
}

/// Compares `before` (live) and `after` (the scenario), both on the scenario's date.
/// The KPI ownership is left empty: it needs the series recorded against the units
/// that move, which [`Diff::with_kpi_series`] adds once they are read.
pub fn diff(
    before: &Snapshot,
    after: &Snapshot,
    insights_before: &[Insight],
    insights_after: &[Insight],
) -> Diff {
    let old = Tree::new(before);
    let new = Tree::new(after);
    let units_added: Vec<Uuid> = new
        .active
        .iter()
        .copied()
        .filter(|u| !old.is_active(*u))
        .collect();
    let units_archived: Vec<Uuid> = old
        .active
        .iter()
        .copied()
        .filter(|u| !new.is_active(*u))
        .collect();
    let units_moved: Vec<Moved> = old
        .active
        .iter()
        .copied()
        .filter(|u| new.is_active(*u))
        .filter_map(|unit| {
            let (from, to) = (old.superior.get(&unit), new.superior.get(&unit));
            (from != to).then(|| Moved {
                unit,
                from: from.copied(),
                to: to.copied(),
            })
        })
        .collect();
    let before_lines: HashSet<Uuid> = before.lines.iter().map(|l| l.id).collect();
    let after_lines: HashSet<Uuid> = after.lines.iter().map(|l| l.id).collect();
    let lines_added = after
        .lines
        .iter()
        .filter(|l| !before_lines.contains(&l.id))
        .cloned()
        .collect();
    let lines_ended = before
        .lines
        .iter()
        .filter(|l| !after_lines.contains(&l.id))
        .cloned()
        .collect();

    // Units whose span or depth a change touches directly.
    let mut touched: Vec<Uuid> = Vec::new();
    let mut seen = HashSet::new();
    let mut touch = |u: Uuid| {
        if seen.insert(u) {
            touched.push(u);
        }
    };
    for &u in units_added.iter().chain(&units_archived) {
        touch(u);
        for tree in [&old, &new] {
            if let Some(&s) = tree.superior.get(&u) {
                touch(s);
            }
        }
    }
    for m in &units_moved {
        touch(m.unit);
        m.from.into_iter().chain(m.to).for_each(&mut touch);
    }
    let changed_units = touched
        .into_iter()
        .map(|unit| UnitShape {
            unit,
            span_before: old
                .is_active(unit)
                .then(|| old.span.get(&unit).copied().unwrap_or(0)),
            span_after: new
                .is_active(unit)
                .then(|| new.span.get(&unit).copied().unwrap_or(0)),
            depth_before: old.depth.get(&unit).copied(),
            depth_after: new.depth.get(&unit).copied(),
        })
        .collect();

    let mut branches: Vec<BranchChange> = Vec::new();
    for b in &before.model.branches {
        branches.push(BranchChange {
            unit: b.unit_id,
            before: Some(b.model),
            after: None,
        });
    }
    for b in &after.model.branches {
        match branches.iter_mut().find(|c| c.unit == b.unit_id) {
            Some(c) => c.after = Some(b.model),
            None => branches.push(BranchChange {
                unit: b.unit_id,
                before: None,
                after: Some(b.model),
            }),
        }
    }

    let keys_before: HashSet<_> = insights_before.iter().map(insight_key).collect();
    let keys_after: HashSet<_> = insights_after.iter().map(insight_key).collect();
    let insights_resolved = insights_before
        .iter()
        .filter(|i| !keys_after.contains(&insight_key(i)))
        .cloned()
        .collect();
    let insights_introduced = insights_after
        .iter()
        .filter(|i| !keys_before.contains(&insight_key(i)))
        .cloned()
        .collect();

    let (positions_added, positions_ended, positions_changed) = positions(before, after);
    Diff {
        units_added,
        units_archived,
        units_moved,
        units_changed: units_changed(before, after),
        positions_added,
        positions_ended,
        positions_changed,
        lines_added,
        lines_ended,
        shape_before: old.shape(),
        shape_after: new.shape(),
        changed_units,
        model_before: before.model.overall,
        model_after: after.model.overall,
        branches,
        insights_resolved,
        insights_introduced,
        kpi_ownership: Vec::new(),
    }
}

impl Diff {
    /// The units whose KPI series the diff reports: those that move or are archived.
    pub fn units_losing_their_place(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.units_moved
            .iter()
            .map(|m| m.unit)
            .chain(self.units_archived.iter().copied())
    }

    /// Fills in the KPI ownership from `kpi_series` (per unit, the KPI keys and point
    /// counts recorded against it): where each moved or archived unit's points roll
    /// up before and after.
    pub fn with_kpi_series(
        mut self,
        before: &Snapshot,
        after: &Snapshot,
        kpi_series: &HashMap<Uuid, Vec<(String, u64)>>,
    ) -> Self {
        let (old, new) = (Tree::new(before), Tree::new(after));
        let archived: HashSet<Uuid> = self.units_archived.iter().copied().collect();
        self.kpi_ownership = self
            .units_losing_their_place()
            .filter_map(|unit| {
                let series = kpi_series.get(&unit).filter(|s| !s.is_empty())?;
                let archived = archived.contains(&unit);
                Some(KpiOwnership {
                    unit,
                    series: series.clone(),
                    branch_before: old.branch.get(&unit).copied(),
                    branch_after: if archived {
                        None
                    } else {
                        new.branch.get(&unit).copied()
                    },
                    archived,
                })
            })
            .collect();
        self
    }
}

/// `before` → `after` when they differ.
fn changed<T: PartialEq + Clone>(before: &T, after: &T) -> Changed<T> {
    (before != after).then(|| (before.clone(), after.clone()))
}

/// The units active on both sides whose name, function or sourcing differ, in
/// `after`'s order.
fn units_changed(before: &Snapshot, after: &Snapshot) -> Vec<UnitChange> {
    let old: HashMap<Uuid, &entity::org_unit::Model> = before
        .units
        .iter()
        .filter(|u| !u.archived)
        .map(|u| (u.id, u))
        .collect();
    after
        .units
        .iter()
        .filter(|u| !u.archived)
        .filter_map(|new| {
            let old = old.get(&new.id)?;
            let change = UnitChange {
                unit: new.id,
                name: changed(&old.name, &new.name),
                function: changed(&old.function, &new.function),
                sourcing: changed(&old.sourcing, &new.sourcing),
            };
            (change.name.is_some() || change.function.is_some() || change.sourcing.is_some())
                .then_some(change)
        })
        .collect()
}

/// The positions added, ended and changed between the two sides.
fn positions(before: &Snapshot, after: &Snapshot) -> (Vec<Uuid>, Vec<Uuid>, Vec<PositionChange>) {
    let live = |s: &Snapshot| -> HashMap<Uuid, entity::position::Model> {
        s.positions
            .iter()
            .filter(|p| !p.archived)
            .map(|p| (p.id, p.clone()))
            .collect()
    };
    let (old, new) = (live(before), live(after));
    let ids = |s: &Snapshot, keep: &dyn Fn(Uuid) -> bool| -> Vec<Uuid> {
        s.positions
            .iter()
            .filter(|p| !p.archived && keep(p.id))
            .map(|p| p.id)
            .collect()
    };
    let added = ids(after, &|id| !old.contains_key(&id));
    let ended = ids(before, &|id| !new.contains_key(&id));
    let changes = ids(after, &|id| old.contains_key(&id))
        .into_iter()
        .filter_map(|id| {
            let (was, is) = (&old[&id], &new[&id]);
            let change = PositionChange {
                position: id,
                title: changed(&was.title, &is.title),
                role: changed(&was.role, &is.role),
                holder_name: changed(&was.holder_name, &is.holder_name),
                responsibilities: changed(&was.responsibilities, &is.responsibilities),
            };
            (change.title.is_some()
                || change.role.is_some()
                || change.holder_name.is_some()
                || change.responsibilities.is_some())
            .then_some(change)
        })
        .collect();
    (added, ended, changes)
}
