//! The org chart: one organization's units and reporting lines on a date, with the
//! insights that concern each unit, as Mermaid, DOT or SVG.

use std::{collections::HashMap, fmt::Write as _};

use chrono::NaiveDate;
use svg::{
    Document,
    node::element::{Definitions, Group, Marker, Path, Rectangle, Text, Title},
};
use uuid::Uuid;

use super::{palette, severity_colour, text};
use crate::{
    domain::{LineKind, Sourcing, UnitFunction},
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
}

/// One reporting line as drawn: from `superior` down to `unit`.
#[derive(Debug, Clone)]
pub struct Edge {
    pub id: Uuid,
    pub unit: usize,
    pub superior: usize,
    pub kind: LineKind,
}

/// Everything a picture of the structure shows.
#[derive(Debug, Clone)]
pub struct OrgChart {
    pub title: String,
    pub as_of: NaiveDate,
    /// Units that are not archived, by function then name.
    pub nodes: Vec<Node>,
    /// Lines in effect on the date between drawn units.
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
        let mut units: Vec<&entity::org_unit::Model> =
            snapshot.units.iter().filter(|u| !u.archived).collect();
        let mut keyed = Vec::with_capacity(units.len());
        for unit in units.drain(..) {
            keyed.push((UnitFunction::from_db(&unit.function)?, unit));
        }
        keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
        let index: HashMap<Uuid, usize> = keyed
            .iter()
            .enumerate()
            .map(|(i, (_, u))| (u.id, i))
            .collect();

        let mut positions: Vec<&entity::position::Model> =
            snapshot.positions.iter().filter(|p| !p.archived).collect();
        positions.sort_by_key(|p| (p.created_at, p.id));
        let mut titles: HashMap<Uuid, Vec<&str>> = HashMap::new();
        for p in &positions {
            titles.entry(p.unit_id).or_default().push(&p.title);
        }

        let mut nodes = Vec::with_capacity(keyed.len());
        for (function, unit) in &keyed {
            let held = titles.get(&unit.id).map(Vec::as_slice).unwrap_or_default();
            nodes.push(Node {
                id: unit.id,
                name: unit.name.clone(),
                function: *function,
                sourcing: Sourcing::from_db(&unit.sourcing)?,
                head: held.first().map(|t| (*t).to_owned()),
                more_positions: held.len().saturating_sub(1),
                insights: Vec::new(),
            });
        }

        let mut edges = Vec::new();
        let mut line_unit = HashMap::new();
        for line in &snapshot.lines {
            line_unit.insert(line.id, line.unit_id);
            if let (Some(&unit), Some(&superior)) =
                (index.get(&line.unit_id), index.get(&line.superior_unit_id))
            {
                edges.push(Edge {
                    id: line.id,
                    unit,
                    superior,
                    kind: LineKind::from_db(&line.kind)?,
                });
            }
        }
        edges.sort_by_key(|e| (e.kind, e.superior, e.unit));

        let position_unit: HashMap<Uuid, Uuid> = snapshot
            .positions
            .iter()
            .map(|p| (p.id, p.unit_id))
            .collect();
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
            as_of: snapshot.as_of,
            nodes,
            edges,
            insights,
        })
    }

    fn caption(&self) -> String {
        format!("{} — org chart as of {}", self.title, self.as_of)
    }

    /// Each node's SOLID superior (the first SOLID line of the unit, as the database
    /// allows one per date), or `None` at a top.
    fn solid_superiors(&self) -> Vec<Option<usize>> {
        let mut superior = vec![None; self.nodes.len()];
        for edge in self.edges.iter().filter(|e| e.kind == LineKind::Solid) {
            if superior[edge.unit].is_none() && edge.unit != edge.superior {
                superior[edge.unit] = Some(edge.superior);
            }
        }
        superior
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

    /// A Mermaid flowchart: SOLID lines as arrows, DOTTED lines as dotted arrows, a
    /// class per function, insight markers as "⚠ n" and a thick border.
    pub fn mermaid(&self) -> String {
        // Mermaid's entity codes: `#` first, then everything that could end the label
        // or start a directive (`%%{init: ...}%%`) or markup.
        fn esc(s: &str) -> String {
            s.replace('#', "#35;")
                .replace('&', "#amp;")
                .replace('"', "#quot;")
                .replace('<', "#lt;")
                .replace('>', "#gt;")
                .replace('%', "#37;")
                .replace('{', "#123;")
                .replace('}', "#125;")
        }
        let mut out = String::new();
        let _ = writeln!(out, "%% {}", esc(&self.caption()));
        out.push_str("flowchart TD\n");
        for (i, node) in self.nodes.iter().enumerate() {
            let mut label = format!(
                "<b>{}</b><br/>{}",
                esc(&node.name),
                esc(&Self::kind_label(node))
            );
            if let Some(head) = Self::head_label(node) {
                let _ = write!(label, "<br/><i>{}</i>", esc(&head));
            }
            if !node.insights.is_empty() {
                let _ = write!(label, "<br/>⚠ {}", node.insights.len());
            }
            let _ = writeln!(out, "  u{i}[\"{label}\"]");
        }
        for edge in &self.edges {
            let arrow = match edge.kind {
                LineKind::Solid => "-->",
                LineKind::Dotted => "-.->",
            };
            let _ = writeln!(out, "  u{} {arrow} u{}", edge.superior, edge.unit);
        }
        let mut functions: Vec<UnitFunction> = self.nodes.iter().map(|n| n.function).collect();
        functions.dedup();
        for function in functions {
            let (_, stroke, fill) = palette(function);
            let class = function.as_str().to_ascii_lowercase();
            let _ = writeln!(
                out,
                "  classDef {class} fill:{fill},stroke:{stroke},color:#111827"
            );
            let members: Vec<String> = self
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.function == function)
                .map(|(i, _)| format!("u{i}"))
                .collect();
            let _ = writeln!(out, "  class {} {class}", members.join(","));
        }
        for (i, node) in self.nodes.iter().enumerate() {
            if let Some(severity) = self.worst(node) {
                let _ = writeln!(
                    out,
                    "  style u{i} stroke:{},stroke-width:3px",
                    severity_colour(severity)
                );
            }
        }
        for (i, node) in self.nodes.iter().enumerate() {
            let _ = writeln!(out, "  %% u{i} = {}", node.id);
        }
        out
    }

    /// Graphviz DOT: SOLID lines rank the units top-down, DOTTED lines are dashed and do
    /// not constrain the ranks; units are filled by function, and units an insight rests
    /// on get a thick border and an "⚠ n" line. Node ids are the unit ids.
    pub fn dot(&self) -> String {
        fn esc(s: &str) -> String {
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        }
        let mut out = String::new();
        let _ = writeln!(out, "digraph \"{}\" {{", esc(&self.title));
        let _ = writeln!(
            out,
            "  graph [rankdir=TB, labelloc=t, fontname=\"Helvetica\", label=\"{}\"];",
            esc(&self.caption())
        );
        out.push_str(
            "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];\n",
        );
        out.push_str("  edge [color=\"#475569\", arrowsize=0.7];\n");
        for node in &self.nodes {
            let (_, stroke, fill) = palette(node.function);
            let mut label = format!("{}\n{}", node.name, Self::kind_label(node));
            if let Some(head) = Self::head_label(node) {
                let _ = write!(label, "\n{head}");
            }
            let mut attributes = format!("fillcolor=\"{fill}\", color=\"{stroke}\"");
            if node.sourcing != Sourcing::InHouse {
                attributes.push_str(", style=\"rounded,filled,dashed\"");
            }
            if let Some(severity) = self.worst(node) {
                let _ = write!(label, "\n⚠ {}", node.insights.len());
                let _ = write!(
                    attributes,
                    ", penwidth=3, color=\"{}\"",
                    severity_colour(severity)
                );
            }
            let _ = writeln!(
                out,
                "  \"{}\" [label=\"{}\", {attributes}];",
                node.id,
                esc(&label)
            );
        }
        for edge in &self.edges {
            let style = match edge.kind {
                LineKind::Solid => String::new(),
                LineKind::Dotted => {
                    " [style=dashed, constraint=false, color=\"#7c3aed\"]".to_owned()
                }
            };
            let _ = writeln!(
                out,
                "  \"{}\" -> \"{}\"{style};",
                self.nodes[edge.superior].id, self.nodes[edge.unit].id
            );
        }
        out.push_str("}\n");
        out
    }

    /// The most severe insight on a node.
    fn worst(&self, node: &Node) -> Option<crate::insights::Severity> {
        node.insights
            .iter()
            .filter_map(|&i| self.insights.get(i).map(|x| x.severity))
            .max()
    }

    /// A standalone SVG document, laid out here.
    pub fn svg(&self) -> String {
        let layout = Layout::new(self);
        let mut legend = Legend::new(MARGIN, HEADER_TOP + 30.0, layout.width.max(MIN_WIDTH));
        let width = layout.width.max(MIN_WIDTH) + 2.0 * MARGIN;
        let mut functions: Vec<UnitFunction> = self.nodes.iter().map(|n| n.function).collect();
        functions.dedup();
        let mut legend_group = Group::new().set("class", "legend");
        for function in functions {
            let (label, stroke, fill) = palette(function);
            legend_group = legend_group.add(legend.swatch(label, stroke, fill));
        }
        legend_group = legend_group.add(legend.line("reports to (SOLID)", false));
        if self.edges.iter().any(|e| e.kind == LineKind::Dotted) {
            legend_group = legend_group.add(legend.line("dotted line (matrix)", true));
        }
        if !self.insights.is_empty() {
            legend_group = legend_group.add(legend.marker("insight numbers, listed below"));
        }
        // Room above the first row for the lanes of dotted lines between its units.
        let tree_top = legend.bottom() + 36.0;
        let placed = layout.place(tree_top);

        let mut edges = Group::new()
            .set("class", "lines")
            .set("fill", "none")
            .set("stroke-linecap", "round");
        for (parent, children) in layout.children.iter().enumerate() {
            if children.is_empty() {
                continue;
            }
            let (px, py) = placed[parent];
            let d = if layout.stacked[parent] {
                let x = px + STACK_INDENT / 2.0;
                let last = placed[children[children.len() - 1]];
                let mut d = format!("M{x} {} V{}", py + BOX_H, last.1 + BOX_H / 2.0);
                for &c in children {
                    let (cx, cy) = placed[c];
                    let _ = write!(d, " M{x} {} H{cx}", cy + BOX_H / 2.0);
                }
                d
            } else {
                let bus = py + BOX_H + V_GAP / 2.0;
                let first = placed[children[0]].0 + BOX_W / 2.0;
                let last = placed[children[children.len() - 1]].0 + BOX_W / 2.0;
                let mut d = format!(
                    "M{} {} V{bus} M{first} {bus} H{last}",
                    px + BOX_W / 2.0,
                    py + BOX_H
                );
                for &c in children {
                    let (cx, cy) = placed[c];
                    let _ = write!(d, " M{} {bus} V{cy}", cx + BOX_W / 2.0);
                }
                d
            };
            edges = edges.add(
                Path::new()
                    .set("class", "solid")
                    .set("d", d)
                    .set("stroke", "#475569")
                    .set("stroke-width", 1.5),
            );
        }
        let mut lane_of_row: HashMap<i64, usize> = HashMap::new();
        for edge in self.edges.iter().filter(|e| e.kind == LineKind::Dotted) {
            let (sx, sy) = placed[edge.unit];
            let (tx, ty) = placed[edge.superior];
            // Up from the unit into a lane just above its row, across, and into the
            // superior's top (same row) or bottom (a row above), when no box is in the
            // way; lanes are shared out per row so parallel lines stay apart.
            let lane = lane_of_row.entry(sy.round() as i64).or_insert(0);
            let k = *lane as f64;
            let toward = if tx > sx { 1.0 } else { -1.0 };
            let offset = 16.0 + 6.0 * k;
            let x1 = sx + BOX_W / 2.0 + toward * offset;
            let x2 = tx + BOX_W / 2.0 - toward * offset;
            let y = sy - 8.0 - 5.0 * k;
            let end = if *lane >= LANES {
                // Every lane above this row is taken: a curve rather than a line
                // drawn over another.
                None
            } else if (sy - ty).abs() < 0.5 {
                Some(ty - 2.0)
            } else if ty + BOX_H < y {
                Some(ty + BOX_H + 2.0)
            } else {
                None
            };
            let d = if let Some(end) = end
                && Layout::route_is_clear(&placed, edge.superior, (x1, sy), (x2, y), end)
            {
                *lane += 1;
                format!("M{x1} {sy} V{y} H{x2} V{end}")
            } else {
                // No clear lane: a curve behind the boxes, from the unit to its superior.
                let (x1, y1) = (sx + BOX_W / 2.0, sy);
                let (x2, y2) = (tx + BOX_W / 2.0, ty + BOX_H + 2.0);
                let mid = (y1 + y2) / 2.0;
                format!("M{x1} {y1} C{x1} {mid} {x2} {mid} {x2} {y2}")
            };
            edges = edges.add(
                Path::new()
                    .set("class", "dotted")
                    .set("d", d)
                    .set("stroke", DOTTED)
                    .set("stroke-width", 1.5)
                    .set("stroke-dasharray", "5 4")
                    .set("marker-end", "url(#arrow)"),
            );
        }

        let mut units = Group::new().set("class", "units");
        for (i, node) in self.nodes.iter().enumerate() {
            units = units.add(self.unit_box(node, placed[i]));
        }

        let tree_bottom = tree_top + layout.height;
        let (insight_list, list_bottom) =
            self.insight_list(tree_bottom + 36.0, layout.width.max(MIN_WIDTH));
        let height = list_bottom + MARGIN;

        let document = Document::new()
            .set("width", width.ceil())
            .set("height", height.ceil())
            .set("viewBox", (0, 0, width.ceil(), height.ceil()))
            .set("font-family", FONT)
            .set("role", "img")
            .set("aria-label", self.caption())
            .add(Title::new(self.caption()))
            .add(
                Definitions::new().add(
                    Marker::new()
                        .set("id", "arrow")
                        .set("viewBox", (0, 0, 10, 10))
                        .set("refX", 9)
                        .set("refY", 5)
                        .set("markerWidth", 7)
                        .set("markerHeight", 7)
                        .set("orient", "auto-start-reverse")
                        .add(
                            Path::new()
                                .set("d", "M0 0 L10 5 L0 10 z")
                                .set("fill", DOTTED),
                        ),
                ),
            )
            .add(
                Rectangle::new()
                    .set("width", "100%")
                    .set("height", "100%")
                    .set("fill", "#ffffff"),
            )
            .add(
                Text::new(self.caption())
                    .set("x", MARGIN)
                    .set("y", HEADER_TOP)
                    .set("font-size", 18)
                    .set("font-weight", "bold")
                    .set("fill", "#111827"),
            )
            .add(legend_group)
            .add(edges)
            .add(units)
            .add(insight_list)
            .to_string();
        text::xml_safe(document)
    }

    fn unit_box(&self, node: &Node, (x, y): (f64, f64)) -> Group {
        let (_, stroke, fill) = palette(node.function);
        let numbers: Vec<String> = node.insights.iter().map(|i| (i + 1).to_string()).collect();
        let badge = match numbers.len() {
            0 => None,
            1..=3 => Some(numbers.join(",")),
            n => Some(format!("{},{} +{}", numbers[0], numbers[1], n - 2)),
        };
        let badge_w = badge.as_ref().map_or(0.0, |b| text::width(b, 11.0) + 12.0);
        let name_room = BOX_W - 2.0 * PAD - if badge.is_some() { badge_w + 4.0 } else { 0.0 };
        let name = text::wrap(&node.name, 13.0, name_room, 2);
        let mut tooltip = format!("{}\n{}", node.name, Self::kind_label(node));
        if let Some(head) = Self::head_label(node) {
            let _ = write!(tooltip, "\n{head}");
        }
        for &i in &node.insights {
            if let Some(insight) = self.insights.get(i) {
                let _ = write!(tooltip, "\n⚠ {}. {}", i + 1, insight.title);
            }
        }
        let mut rect = Rectangle::new()
            .set("x", x)
            .set("y", y)
            .set("width", BOX_W)
            .set("height", BOX_H)
            .set("rx", 6)
            .set("fill", fill)
            .set("stroke", stroke)
            .set("stroke-width", 1.5);
        if node.sourcing != Sourcing::InHouse {
            rect = rect.set("stroke-dasharray", "6 3");
        }
        let mut group = Group::new()
            .set(
                "class",
                format!("unit {}", node.function.as_str().to_ascii_lowercase()),
            )
            .set("id", format!("unit-{}", node.id))
            .add(Title::new(tooltip))
            .add(rect)
            .add(
                Rectangle::new()
                    .set("x", x)
                    .set("y", y)
                    .set("width", 5)
                    .set("height", BOX_H)
                    .set("rx", 2)
                    .set("fill", stroke),
            );
        for (line, content) in name.iter().enumerate() {
            group = group.add(
                Text::new(content.clone())
                    .set("x", x + PAD)
                    .set("y", y + 19.0 + 16.0 * line as f64)
                    .set("font-size", 13)
                    .set("font-weight", "bold")
                    .set("fill", "#111827"),
            );
        }
        let detail = |content: String, row: f64, colour: &str| {
            Text::new(text::fit(&content, 11.0, BOX_W - 2.0 * PAD))
                .set("x", x + PAD)
                .set("y", y + row)
                .set("font-size", 11)
                .set("fill", colour.to_owned())
        };
        group = group.add(detail(Self::kind_label(node), 55.0, stroke));
        if let Some(head) = Self::head_label(node) {
            group = group.add(detail(head, 71.0, "#374151"));
        }
        if let (Some(badge), Some(severity)) = (badge, self.worst(node)) {
            let bx = x + BOX_W - 6.0 - badge_w;
            group = group.add(
                Group::new()
                    .set("class", "marker")
                    .add(
                        Rectangle::new()
                            .set("x", bx)
                            .set("y", y + 6.0)
                            .set("width", badge_w)
                            .set("height", 17)
                            .set("rx", 8.5)
                            .set("fill", severity_colour(severity)),
                    )
                    .add(
                        Text::new(badge)
                            .set("x", bx + badge_w / 2.0)
                            .set("y", y + 18.5)
                            .set("text-anchor", "middle")
                            .set("font-size", 11)
                            .set("font-weight", "bold")
                            .set("fill", "#ffffff"),
                    ),
            );
        }
        group
    }

    /// The numbered list of insights under the tree; returns it and its bottom.
    fn insight_list(&self, top: f64, width: f64) -> (Group, f64) {
        let mut group = Group::new().set("class", "insights");
        let heading = if self.insights.is_empty() {
            "No insights on this date".to_owned()
        } else {
            format!("Insights ({})", self.insights.len())
        };
        group = group.add(
            Text::new(heading)
                .set("x", MARGIN)
                .set("y", top)
                .set("font-size", 14)
                .set("font-weight", "bold")
                .set("fill", "#111827"),
        );
        let mut y = top + 10.0;
        for (i, insight) in self.insights.iter().enumerate() {
            let number = (i + 1).to_string();
            let badge_w = text::width(&number, 11.0) + 12.0;
            let severity = match insight.severity {
                crate::insights::Severity::Critical => "CRITICAL",
                crate::insights::Severity::Warning => "WARNING",
                crate::insights::Severity::Info => "INFO",
            };
            let line = format!("{severity} · {} — {}", insight.code, insight.title);
            let lines = text::wrap(&line, 12.0, width - badge_w - 10.0, 3);
            group = group
                .add(
                    Rectangle::new()
                        .set("x", MARGIN)
                        .set("y", y + 5.0)
                        .set("width", badge_w)
                        .set("height", 17)
                        .set("rx", 8.5)
                        .set("fill", severity_colour(insight.severity)),
                )
                .add(
                    Text::new(number)
                        .set("x", MARGIN + badge_w / 2.0)
                        .set("y", y + 17.5)
                        .set("text-anchor", "middle")
                        .set("font-size", 11)
                        .set("font-weight", "bold")
                        .set("fill", "#ffffff"),
                );
            for (n, content) in lines.iter().enumerate() {
                group = group.add(
                    Text::new(content.clone())
                        .set("x", MARGIN + badge_w + 8.0)
                        .set("y", y + 18.0 + 16.0 * n as f64)
                        .set("font-size", 12)
                        .set("fill", "#1f2937"),
                );
            }
            y += 8.0 + 16.0 * lines.len().max(1) as f64;
        }
        (group, y)
    }
}

const FONT: &str = "Helvetica, Arial, sans-serif";
const DOTTED: &str = "#7c3aed";
/// Unit boxes.
const BOX_W: f64 = 200.0;
const BOX_H: f64 = 80.0;
const PAD: f64 = 12.0;
/// Between sibling subtrees, and between a unit and the row of its subordinates.
const H_GAP: f64 = 24.0;
const V_GAP: f64 = 56.0;
/// A unit whose subordinates are all leaves (and at least this many) lists them in a
/// column under itself instead of a row, so wide flat teams stay narrow.
const STACK_MIN: usize = 3;
const STACK_INDENT: f64 = 24.0;
const STACK_GAP: f64 = 12.0;
/// Dotted lines between units of one row run in these many lanes above it.
const LANES: usize = 4;
const MARGIN: f64 = 24.0;
const HEADER_TOP: f64 = 36.0;
const MIN_WIDTH: f64 = 680.0;

/// The tidy-tree layout of the SOLID structure: each subtree owns a band of the width
/// no other subtree uses, so no two boxes can overlap.
#[derive(Debug)]
pub struct Layout {
    /// SOLID subordinates of each node, in node order.
    pub children: Vec<Vec<usize>>,
    /// Whether a node lists its subordinates in a column.
    pub stacked: Vec<bool>,
    /// Roots (units without a SOLID superior), the executive first.
    pub roots: Vec<usize>,
    /// Subtree sizes.
    size: Vec<(f64, f64)>,
    /// Every node, superiors before subordinates.
    order: Vec<usize>,
    pub width: f64,
    pub height: f64,
}

impl Layout {
    /// Lays out the chart's SOLID structure.
    pub fn new(chart: &OrgChart) -> Self {
        let n = chart.nodes.len();
        let parent = chart.solid_superiors();
        // Preorder from the roots; a unit unreachable from any root (only possible if
        // the data held a cycle) becomes a root itself.
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (unit, superior) in parent.iter().enumerate() {
            if let Some(s) = superior {
                children[*s].push(unit);
            }
        }
        let mut roots: Vec<usize> = (0..n).filter(|&u| parent[u].is_none()).collect();
        let mut order = Vec::with_capacity(n);
        let mut seen = vec![false; n];
        fn visit(root: usize, children: &[Vec<usize>], order: &mut Vec<usize>, seen: &mut [bool]) {
            let mut stack = vec![root];
            while let Some(u) = stack.pop() {
                if std::mem::replace(&mut seen[u], true) {
                    continue;
                }
                order.push(u);
                stack.extend(children[u].iter().rev());
            }
        }
        for &root in &roots {
            visit(root, &children, &mut order, &mut seen);
        }
        for u in 0..n {
            if !seen[u] {
                if let Some(s) = parent[u] {
                    children[s].retain(|&c| c != u);
                }
                roots.push(u);
                visit(u, &children, &mut order, &mut seen);
            }
        }

        let mut size = vec![(BOX_W, BOX_H); n];
        let mut stacked = vec![false; n];
        for &u in order.iter().rev() {
            let kids = &children[u];
            if kids.is_empty() {
                continue;
            }
            if kids.len() >= STACK_MIN && kids.iter().all(|&c| children[c].is_empty()) {
                stacked[u] = true;
                size[u] = (
                    STACK_INDENT + BOX_W,
                    BOX_H + kids.len() as f64 * (BOX_H + STACK_GAP),
                );
            } else {
                let row: f64 =
                    kids.iter().map(|&c| size[c].0).sum::<f64>() + H_GAP * (kids.len() - 1) as f64;
                let tallest = kids.iter().map(|&c| size[c].1).fold(0.0, f64::max);
                size[u] = (row.max(BOX_W), BOX_H + V_GAP + tallest);
            }
        }
        let width = roots.iter().map(|&r| size[r].0).sum::<f64>()
            + H_GAP * roots.len().saturating_sub(1) as f64;
        let height = roots.iter().map(|&r| size[r].1).fold(0.0, f64::max);
        Self {
            children,
            stacked,
            roots,
            size,
            order,
            width,
            height,
        }
    }

    /// The top-left corner of every node's box, with the first row at `top`.
    pub fn place(&self, top: f64) -> Vec<(f64, f64)> {
        let mut at = vec![(0.0, 0.0); self.size.len()];
        let mut stack: Vec<(usize, f64, f64)> = Vec::new();
        let mut x = MARGIN;
        for &root in &self.roots {
            stack.push((root, x, top));
            x += self.size[root].0 + H_GAP;
        }
        while let Some((u, left, y)) = stack.pop() {
            let kids = &self.children[u];
            let (w, _) = self.size[u];
            if kids.is_empty() {
                at[u] = (left + (w - BOX_W) / 2.0, y);
            } else if self.stacked[u] {
                at[u] = (left, y);
                for (i, &c) in kids.iter().enumerate() {
                    let cy = y + BOX_H + STACK_GAP + i as f64 * (BOX_H + STACK_GAP);
                    at[c] = (left + STACK_INDENT, cy);
                }
            } else {
                let row: f64 = kids.iter().map(|&c| self.size[c].0).sum::<f64>()
                    + H_GAP * (kids.len() - 1) as f64;
                let mut cx = left + (w - row) / 2.0;
                for &c in kids {
                    stack.push((c, cx, y + BOX_H + V_GAP));
                    cx += self.size[c].0 + H_GAP;
                }
                // Centred over its subordinates below, once they are placed.
                at[u] = (left, y);
            }
        }
        // Subordinates before superiors: each row parent goes midway over the boxes of
        // its first and last subordinates, which stays inside its own band.
        for &u in self.order.iter().rev() {
            let kids = &self.children[u];
            if kids.is_empty() || self.stacked[u] {
                continue;
            }
            at[u].0 = (at[kids[0]].0 + at[kids[kids.len() - 1]].0) / 2.0;
        }
        at
    }

    /// Whether a dotted line's route crosses no box: up from `start` to the lane at
    /// `corner.1`, along it to `corner.0`, then to `end` at the edge of `target`'s box.
    pub fn route_is_clear(
        at: &[(f64, f64)],
        target: usize,
        start: (f64, f64),
        corner: (f64, f64),
        end: f64,
    ) -> bool {
        let (x1, sy) = start;
        let (x2, lane) = corner;
        let (lo, hi) = (x1.min(x2), x1.max(x2));
        let inside_x = |x: f64, bx: f64| bx < x && x < bx + BOX_W;
        let spans = |a: f64, b: f64, by: f64| by < a.max(b) && by + BOX_H > a.min(b);
        !at.iter().enumerate().any(|(i, &(bx, by))| {
            let across = by < lane && lane < by + BOX_H && bx < hi && bx + BOX_W > lo;
            let rising = inside_x(x1, bx) && spans(lane, sy - 0.5, by);
            let arriving = i != target && inside_x(x2, bx) && spans(lane, end, by);
            across || rising || arriving
        })
    }
}

/// The legend rows under the title.
struct Legend {
    x: f64,
    y: f64,
    left: f64,
    right: f64,
}

impl Legend {
    const ROW: f64 = 22.0;

    fn new(left: f64, top: f64, width: f64) -> Self {
        Self {
            x: left,
            y: top,
            left,
            right: left + width,
        }
    }

    /// Reserves `w` pixels on the current row (wrapping when full).
    fn slot(&mut self, w: f64) -> (f64, f64) {
        if self.x + w > self.right && self.x > self.left {
            self.x = self.left;
            self.y += Self::ROW;
        }
        let at = (self.x, self.y);
        self.x += w + 18.0;
        at
    }

    fn bottom(&self) -> f64 {
        self.y + Self::ROW
    }

    fn label(x: f64, y: f64, content: &str) -> Text {
        Text::new(content.to_owned())
            .set("x", x)
            .set("y", y + 12.0)
            .set("font-size", 12)
            .set("fill", "#374151")
    }

    fn swatch(&mut self, label: &str, stroke: &str, fill: &str) -> Group {
        let (x, y) = self.slot(20.0 + text::width(label, 12.0));
        Group::new()
            .add(
                Rectangle::new()
                    .set("x", x)
                    .set("y", y + 1.0)
                    .set("width", 14)
                    .set("height", 14)
                    .set("rx", 3)
                    .set("fill", fill.to_owned())
                    .set("stroke", stroke.to_owned())
                    .set("stroke-width", 1.5),
            )
            .add(Self::label(x + 20.0, y, label))
    }

    fn line(&mut self, label: &str, dotted: bool) -> Group {
        let (x, y) = self.slot(36.0 + text::width(label, 12.0));
        let mut path = Path::new()
            .set("d", format!("M{x} {} H{}", y + 8.0, x + 28.0))
            .set("stroke-width", 1.5)
            .set("stroke", if dotted { DOTTED } else { "#475569" });
        if dotted {
            path = path.set("stroke-dasharray", "5 4");
        }
        Group::new().add(path).add(Self::label(x + 36.0, y, label))
    }

    fn marker(&mut self, label: &str) -> Group {
        let (x, y) = self.slot(30.0 + text::width(label, 12.0));
        Group::new()
            .add(
                Rectangle::new()
                    .set("x", x)
                    .set("y", y)
                    .set("width", 22)
                    .set("height", 16)
                    .set("rx", 8)
                    .set("fill", severity_colour(crate::insights::Severity::Warning)),
            )
            .add(Self::label(x + 30.0, y, label))
    }
}
