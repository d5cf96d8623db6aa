//! The org chart: one organization's units and reporting lines on a date, with the
//! insights that concern each unit, as Mermaid, DOT or SVG.
//!
//! This file holds the model (what a chart shows, built from a snapshot and cut down to
//! a branch) and its entry points; the rest lives beside it, one concern a file:
//!
//! - `org/changes.rs`: the chart of a scenario against the live organization, with
//!   what it adds, moves and removes marked.
//! - `org/layout.rs`: where the boxes go and how DOTTED lines are routed, as pure
//!   geometry over node indexes, unit-tested on bare trees.
//! - `org/text_formats.rs`: Mermaid and Graphviz DOT.
//! - `org/draw.rs`: the SVG document.

mod changes;
mod draw;
mod layout;
mod text_formats;

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

pub use self::layout::{DottedRoute, Layout};
use super::palette;
use crate::{
    LineKind, Sourcing, UnitFunction,
    error::Result,
    insights::{Insight, Snapshot},
};

/// One unit as drawn.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: Uuid,
    pub name: String,
    pub function: UnitFunction,
    pub sourcing: Sourcing,
    /// The title of its first position, if any.
    pub head: Option<String>,
    /// How many more positions it has.
    pub more_positions: usize,
    /// Indexes into [`OrgChart::insights`] of the insights resting on this unit (or on
    /// one of its positions or lines).
    pub insights: Vec<usize>,
    /// What a scenario does to this unit, on a chart [comparing](OrgChart::comparing)
    /// two snapshots; always `None` on a chart of one.
    pub change: Option<Change>,
}

/// How a scenario changes a unit: the marks a compared chart draws, kept as data so
/// the scenario's diff can list the same facts the picture shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Active in the scenario, not (or archived) in the live organization.
    Added,
    /// Active in both, under another SOLID superior.
    Moved {
        /// The live SOLID superior, `None` when the unit was at a top.
        from: Option<Uuid>,
        /// `from`'s name, so the "moved from" label needs no other lookup and survives
        /// [`OrgChart::restrict`] cutting the former superior away.
        from_name: Option<String>,
    },
    /// Active in the live organization, archived (or gone) in the scenario: still drawn,
    /// from the live data, so the reader sees what disappears.
    Removed,
}

/// How a scenario changes a reporting line (by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineChange {
    /// In effect in the scenario, not in the live organization.
    Added,
    /// In effect in the live organization, not in the scenario, between units the chart
    /// still draws: drawn from the live data in its own dash and colour, so it is not
    /// mistaken for a DOTTED line.
    Ended,
}

/// One reporting line as drawn: from `superior` down to `unit`.
#[derive(Debug, Clone)]
pub struct Edge {
    pub id: Uuid,
    pub unit: usize,
    pub superior: usize,
    pub kind: LineKind,
    /// What a scenario does to this line; always `None` on a chart of one snapshot.
    pub change: Option<LineChange>,
}

/// What a chart draws before it is laid out: units with their marks, the positions
/// that label them and the lines with theirs.
struct Drawn<'a> {
    units: Vec<(&'a entity::org_unit::Model, Option<Change>)>,
    positions: Vec<&'a entity::position::Model>,
    lines: Vec<(&'a entity::reporting_line::Model, Option<LineChange>)>,
}

/// Everything a picture of the structure shows.
#[derive(Debug, Clone)]
pub struct OrgChart {
    pub title: String,
    pub as_of: NaiveDate,
    /// Units that are not archived (and, on a scenario's chart, those it removes), by
    /// function then name.
    pub nodes: Vec<Node>,
    /// Lines in effect on the date between drawn units (and, on a scenario's chart, the
    /// live lines it ends).
    pub edges: Vec<Edge>,
    /// Most severe first.
    pub insights: Vec<Insight>,
}

/// Loads an organization's snapshot on `as_of` and builds its chart (with every
/// insight): the same fixed set of queries as `insights`.
pub async fn load(
    db: &sea_orm::DatabaseConnection,
    organization: &entity::organization::Model,
    as_of: NaiveDate,
) -> Result<OrgChart> {
    let snapshot = crate::insights::snapshot(db, organization.id, as_of).await?;
    let insights = crate::insights::evaluate(&snapshot, None);
    OrgChart::new(&organization.name, &snapshot, insights)
}

impl OrgChart {
    /// The chart in `format`.
    pub fn render(&self, format: super::ChartFormat) -> String {
        match format {
            super::ChartFormat::Mermaid => self.mermaid(),
            super::ChartFormat::Dot => self.dot(),
            super::ChartFormat::Svg => self.svg(),
        }
    }

    /// Builds the chart of a snapshot and its insights.
    pub fn new(title: &str, snapshot: &Snapshot, insights: Vec<Insight>) -> Result<Self> {
        let units = snapshot
            .units
            .iter()
            .filter(|u| !u.archived)
            .map(|u| (u, None))
            .collect();
        let positions = snapshot.positions.iter().filter(|p| !p.archived).collect();
        let lines = snapshot.lines.iter().map(|l| (l, None)).collect();
        Self::assemble(
            title,
            snapshot.as_of,
            Drawn {
                units,
                positions,
                lines,
            },
            &[snapshot],
            insights,
        )
    }

    /// The chart of `drawn`, marking each node with the insights whose evidence rests on
    /// it; `sources` resolve evidence that names a position or a line to its unit (the
    /// first source that knows an id wins).
    fn assemble(
        title: &str,
        as_of: NaiveDate,
        drawn: Drawn<'_>,
        sources: &[&Snapshot],
        insights: Vec<Insight>,
    ) -> Result<Self> {
        let Drawn {
            units,
            mut positions,
            lines,
        } = drawn;
        let mut keyed = Vec::with_capacity(units.len());
        for (unit, change) in units {
            keyed.push((UnitFunction::from_db(&unit.function)?, unit, change));
        }
        keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
        let index: HashMap<Uuid, usize> = keyed
            .iter()
            .enumerate()
            .map(|(i, (_, u, _))| (u.id, i))
            .collect();

        positions.sort_by_key(|p| (p.created_at, p.id));
        let mut titles: HashMap<Uuid, Vec<&str>> = HashMap::new();
        for p in &positions {
            titles.entry(p.unit_id).or_default().push(&p.title);
        }

        let mut nodes = Vec::with_capacity(keyed.len());
        for (function, unit, change) in keyed {
            let held = titles.get(&unit.id).map(Vec::as_slice).unwrap_or_default();
            nodes.push(Node {
                id: unit.id,
                name: unit.name.clone(),
                function,
                sourcing: Sourcing::from_db(&unit.sourcing)?,
                head: held.first().map(|t| (*t).to_owned()),
                more_positions: held.len().saturating_sub(1),
                insights: Vec::new(),
                change,
            });
        }

        let mut edges = Vec::new();
        for (line, change) in lines {
            if let (Some(&unit), Some(&superior)) =
                (index.get(&line.unit_id), index.get(&line.superior_unit_id))
            {
                edges.push(Edge {
                    id: line.id,
                    unit,
                    superior,
                    kind: LineKind::from_db(&line.kind)?,
                    change,
                });
            }
        }
        edges.sort_by_key(|e| (e.kind, e.superior, e.unit));

        let mut line_unit = HashMap::new();
        let mut position_unit = HashMap::new();
        for source in sources.iter().rev() {
            line_unit.extend(source.lines.iter().map(|l| (l.id, l.unit_id)));
            position_unit.extend(source.positions.iter().map(|p| (p.id, p.unit_id)));
        }
        for (i, insight) in insights.iter().enumerate() {
            for evidence in &insight.evidence {
                let unit = position_unit
                    .get(evidence)
                    .or_else(|| line_unit.get(evidence))
                    .unwrap_or(evidence);
                if let Some(&n) = index.get(unit)
                    && !nodes[n].insights.contains(&i)
                {
                    nodes[n].insights.push(i);
                }
            }
        }
        Ok(Self {
            title: title.to_owned(),
            as_of,
            nodes,
            edges,
            insights,
        })
    }

    fn caption(&self) -> String {
        format!("{} — org chart as of {}", self.title, self.as_of)
    }

    /// Each node's SOLID superior, or `None` at a top: the superior of its
    /// [`tree_edge`](Self::tree_edges).
    fn solid_superiors(&self) -> Vec<Option<usize>> {
        self.tree_edges()
            .into_iter()
            .map(|e| e.map(|e| self.edges[e].superior))
            .collect()
    }

    /// The edge that places each node in the tree, or `None` at a top: its first SOLID
    /// line (the database allows one per date) that the scenario did not end. A removed
    /// unit has only ended lines, so it hangs from the one it had before; a moved unit's
    /// ended line is drawn but does not place it.
    fn tree_edges(&self) -> Vec<Option<usize>> {
        let mut tree = vec![None; self.nodes.len()];
        for (i, edge) in self.edges.iter().enumerate() {
            if edge.kind != LineKind::Solid || edge.unit == edge.superior {
                continue;
            }
            let ended = edge.change == Some(LineChange::Ended);
            let current: Option<usize> = tree[edge.unit];
            let replaces = match current {
                None => !ended || self.nodes[edge.unit].change == Some(Change::Removed),
                // A live line takes the place of an ended one met first.
                Some(e) => !ended && self.edges[e].change == Some(LineChange::Ended),
            };
            if replaces {
                tree[edge.unit] = Some(i);
            }
        }
        tree
    }

    /// Keeps `root` (default: every unit at the top) and its SOLID subordinates down to
    /// `depth` levels below it (default: all), with the lines between kept units and the
    /// insights that mark one of them (renumbered). An unknown or archived `root` is
    /// `NOT_FOUND` on `field`.
    pub fn restrict(mut self, root: Option<Uuid>, depth: Option<u32>, field: &str) -> Result<Self> {
        if root.is_none() && depth.is_none() {
            return Ok(self);
        }
        let n = self.nodes.len();
        let superior = self.solid_superiors();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (unit, above) in superior.iter().enumerate() {
            if let Some(s) = above {
                children[*s].push(unit);
            }
        }
        let starts: Vec<usize> = match root {
            Some(id) => vec![
                self.nodes
                    .iter()
                    .position(|node| node.id == id)
                    .ok_or_else(|| crate::error::Error::not_found("unit").on_field(field))?,
            ],
            None => (0..n).filter(|&u| superior[u].is_none()).collect(),
        };
        let limit = depth.unwrap_or(u32::MAX);
        let mut keep = vec![false; n];
        let mut queue: std::collections::VecDeque<(usize, u32)> =
            starts.into_iter().map(|s| (s, 0)).collect();
        while let Some((u, level)) = queue.pop_front() {
            if std::mem::replace(&mut keep[u], true) {
                continue;
            }
            if level < limit {
                queue.extend(children[u].iter().map(|&c| (c, level + 1)));
            }
        }
        if let Some(id) = root
            && let Some(node) = self.nodes.iter().find(|node| node.id == id)
        {
            self.title = format!("{}, {} and below", self.title, node.name);
        }
        // New indexes of kept nodes and of insights still marking one.
        let mut node_index = vec![usize::MAX; n];
        let mut kept_nodes = Vec::new();
        for (old, node) in std::mem::take(&mut self.nodes).into_iter().enumerate() {
            if keep[old] {
                node_index[old] = kept_nodes.len();
                kept_nodes.push(node);
            }
        }
        // Below one unit, only the insights about what is drawn; from the top, all.
        if root.is_some() {
            let mut insight_index: HashMap<usize, usize> = HashMap::new();
            let mut kept_insights = Vec::new();
            let mut marked: Vec<usize> = kept_nodes
                .iter()
                .flat_map(|node| node.insights.iter().copied())
                .collect();
            marked.sort_unstable();
            marked.dedup();
            let mut insights: Vec<Option<Insight>> = std::mem::take(&mut self.insights)
                .into_iter()
                .map(Some)
                .collect();
            for old in marked {
                if let Some(insight) = insights.get_mut(old).and_then(Option::take) {
                    insight_index.insert(old, kept_insights.len());
                    kept_insights.push(insight);
                }
            }
            for node in &mut kept_nodes {
                node.insights = node
                    .insights
                    .iter()
                    .filter_map(|i| insight_index.get(i).copied())
                    .collect();
            }
            self.insights = kept_insights;
        }
        self.edges = std::mem::take(&mut self.edges)
            .into_iter()
            .filter(|e| keep[e.unit] && keep[e.superior])
            .map(|e| Edge {
                unit: node_index[e.unit],
                superior: node_index[e.superior],
                ..e
            })
            .collect();
        self.nodes = kept_nodes;
        Ok(self)
    }

    /// The function (and sourcing, when not in-house) of a node, in words.
    fn kind_label(node: &Node) -> String {
        let (function, _, _) = palette(node.function);
        match node.sourcing {
            Sourcing::InHouse => function.to_owned(),
            Sourcing::Outsourced => format!("{function} · outsourced"),
            Sourcing::Subsidiary => format!("{function} · subsidiary"),
        }
    }

    fn head_label(node: &Node) -> Option<String> {
        node.head.as_ref().map(|h| {
            if node.more_positions > 0 {
                format!("{h} +{}", node.more_positions)
            } else {
                h.clone()
            }
        })
    }

    /// The most severe insight on a node.
    fn worst(&self, node: &Node) -> Option<crate::insights::Severity> {
        node.insights
            .iter()
            .filter_map(|&i| self.insights.get(i).map(|x| x.severity))
            .max()
    }
}
