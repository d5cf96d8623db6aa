//! The org chart as a standalone SVG document: the boxes where `layout` puts them, the
//! SOLID connectors and DOTTED routes between them, a legend and the insight list.

use std::fmt::Write as _;

use svg::node::element::{Definitions, Group, Marker, Path, Rectangle, Text, Title};

use super::{
    Change, DottedRoute, Edge, Layout, LineChange, Node, OrgChart,
    changes::{ADDED, ENDED_DASH, MOVED, REMOVED, REMOVED_DASH, REMOVED_FILL, REMOVED_TEXT},
    layout::{BOX_H, BOX_W, MARGIN, STACK_INDENT, V_GAP},
};
use crate::{
    LineKind, Sourcing, UnitFunction,
    charts::{self, palette, severity_colour, text},
};

const DOTTED: &str = "#7c3aed";
/// Inside a unit box, between its border and its text.
const PAD: f64 = 12.0;
const HEADER_TOP: f64 = 36.0;
const MIN_WIDTH: f64 = 680.0;

impl OrgChart {
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
        if self.has_changes() {
            legend_group = legend_group
                .add(legend.change_swatch("added unit", ADDED, "#ffffff", None))
                .add(legend.change_swatch("moved unit", MOVED, "#ffffff", None))
                .add(legend.change_swatch(
                    "removed unit",
                    REMOVED,
                    REMOVED_FILL,
                    Some(REMOVED_DASH),
                ))
                .add(legend.styled_line("added line", ADDED, None))
                .add(legend.styled_line("ended line", REMOVED, Some(ENDED_DASH)));
        }
        // Room above the first row for the lanes of dotted lines between its units.
        let tree_top = legend.bottom() + 36.0;
        let placed = layout.place(tree_top);

        let mut edges = Group::new()
            .set("class", "lines")
            .set("fill", "none")
            .set("stroke-linecap", "round");
        let tree = self.tree_edges();
        let change_of = |unit: usize| tree[unit].and_then(|e| self.edges[e].change);
        for (parent, children) in layout.children.iter().enumerate() {
            if children.is_empty() {
                continue;
            }
            if children.iter().any(|&c| change_of(c).is_some()) {
                for path in Self::changed_connectors(&placed, &layout, parent, &change_of) {
                    edges = edges.add(path);
                }
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
            edges = edges.add(connector(d, None));
        }
        // DOTTED lines, and the SOLID lines a scenario ends that no longer place a unit
        // (a moved unit's former superior), each routed through the lanes.
        let routed: Vec<&Edge> = self
            .edges
            .iter()
            .enumerate()
            .filter(|&(i, e)| {
                e.kind == LineKind::Dotted
                    || (e.change == Some(LineChange::Ended) && tree[e.unit] != Some(i))
            })
            .map(|(_, e)| e)
            .collect();
        let routes = Layout::dotted_routes(&placed, routed.iter().map(|e| (e.unit, e.superior)));
        for (edge, route) in routed.into_iter().zip(routes) {
            let d = match route {
                DottedRoute::Lane {
                    x1,
                    from,
                    lane,
                    x2,
                    end,
                } => format!("M{x1} {from} V{lane} H{x2} V{end}"),
                DottedRoute::Curve {
                    from: (x1, y1),
                    to: (x2, y2),
                } => {
                    let mid = (y1 + y2) / 2.0;
                    format!("M{x1} {y1} C{x1} {mid} {x2} {mid} {x2} {y2}")
                }
            };
            let kind = edge.kind.as_str().to_ascii_lowercase();
            // Class, colour, width, dashes and arrowhead, by what the scenario does.
            let (class, stroke, width, dashes, marker) = match edge.change {
                None => ("dotted".to_owned(), DOTTED, 1.5, "5 4", "url(#arrow)"),
                Some(LineChange::Added) => (
                    format!("{kind} added"),
                    ADDED,
                    2.5,
                    "5 4",
                    "url(#arrow-added)",
                ),
                Some(LineChange::Ended) => (
                    format!("{kind} ended"),
                    REMOVED,
                    2.0,
                    ENDED_DASH,
                    "url(#arrow-ended)",
                ),
            };
            edges = edges.add(
                Path::new()
                    .set("class", class)
                    .set("d", d)
                    .set("stroke", stroke)
                    .set("stroke-width", width)
                    .set("stroke-dasharray", dashes)
                    .set("marker-end", marker),
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

        let mut definitions = Definitions::new().add(arrow("arrow", DOTTED));
        if self.has_changes() {
            definitions = definitions
                .add(arrow("arrow-added", ADDED))
                .add(arrow("arrow-ended", REMOVED));
        }
        let (width, height) = (width.ceil(), height.ceil());
        let document = charts::document(width, height, self.caption(), Some(definitions))
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
        if let Some(change) = Self::change_label(node) {
            let _ = write!(tooltip, "\nIn this scenario: {change}");
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
        let removed = node.change == Some(Change::Removed);
        let (bar, name_colour, detail_colour) = if removed {
            (REMOVED, REMOVED_TEXT, REMOVED_TEXT)
        } else {
            (stroke, "#111827", "#374151")
        };
        let mut class = format!("unit {}", node.function.as_str().to_ascii_lowercase());
        if let Some(change) = &node.change {
            let _ = write!(class, " {}", change.as_str());
            rect = match change {
                Change::Added => rect.set("stroke", ADDED).set("stroke-width", 3),
                Change::Moved { .. } => rect.set("stroke", MOVED).set("stroke-width", 3),
                Change::Removed => rect
                    .set("fill", REMOVED_FILL)
                    .set("stroke", REMOVED)
                    .set("stroke-dasharray", REMOVED_DASH),
            };
        }
        let mut group = Group::new()
            .set("class", class)
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
                    .set("fill", bar),
            );
        for (line, content) in name.iter().enumerate() {
            group = group.add(
                Text::new(content.clone())
                    .set("x", x + PAD)
                    .set("y", y + 19.0 + 16.0 * line as f64)
                    .set("font-size", 13)
                    .set("font-weight", "bold")
                    .set("fill", name_colour),
            );
        }
        let detail = |content: String, row: f64, colour: &str| {
            Text::new(text::fit(&content, 11.0, BOX_W - 2.0 * PAD))
                .set("x", x + PAD)
                .set("y", y + row)
                .set("font-size", 11)
                .set("fill", colour.to_owned())
        };
        group = group.add(detail(Self::kind_label(node), 55.0, bar));
        if let Some(head) = Self::head_label(node) {
            group = group.add(detail(head, 71.0, detail_colour));
        }
        if let Some(change) = &node.change {
            group = group.add(change_tag(change, (x, y)));
        }
        if let (Some(badge), Some(severity)) = (badge, self.worst(node)) {
            let bx = x + BOX_W - 6.0 - badge_w;
            let pill = Pill::number(bx, (y + 6.0, y + 18.5), badge_w, severity_colour(severity));
            group = group.add(pill.draw(Group::new().set("class", "marker"), badge));
        }
        group
    }

    /// The connectors from `parent` down to subordinates of which some a scenario
    /// changes: the trunk and bus in the usual colour as far as the lines kept or added
    /// reach, each added line's last leg in the added colour, and each ended line (to a
    /// removed unit) on its own, dotted grey, from the end of the bus.
    fn changed_connectors(
        placed: &[(f64, f64)],
        layout: &Layout,
        parent: usize,
        change_of: &dyn Fn(usize) -> Option<LineChange>,
    ) -> Vec<Path> {
        let children = &layout.children[parent];
        let (px, py) = placed[parent];
        let live: Vec<usize> = children
            .iter()
            .copied()
            .filter(|&c| change_of(c) != Some(LineChange::Ended))
            .collect();
        let mut trunk = String::new();
        let mut paths = Vec::new();
        if layout.stacked[parent] {
            let x = px + STACK_INDENT / 2.0;
            let mid = |c: usize| placed[c].1 + BOX_H / 2.0;
            let reach = live.last().map_or(py + BOX_H, |&c| mid(c));
            if !live.is_empty() {
                trunk = format!("M{x} {} V{reach}", py + BOX_H);
            }
            for &c in children {
                let (cx, cy) = (placed[c].0, mid(c));
                let leg = format!("M{x} {cy} H{cx}");
                let ended = if cy > reach {
                    format!("M{x} {reach} V{cy} H{cx}")
                } else {
                    leg.clone()
                };
                connect_child(&mut trunk, &mut paths, change_of(c), leg, ended);
            }
        } else {
            let bus = py + BOX_H + V_GAP / 2.0;
            let centre = |c: usize| placed[c].0 + BOX_W / 2.0;
            let px = px + BOX_W / 2.0;
            let (lo, hi) = live.iter().fold((px, px), |(lo, hi), &c| {
                (lo.min(centre(c)), hi.max(centre(c)))
            });
            if !live.is_empty() {
                trunk = format!("M{px} {} V{bus} M{lo} {bus} H{hi}", py + BOX_H);
            }
            for &c in children {
                let (cx, cy) = (centre(c), placed[c].1);
                let ended = if live.is_empty() {
                    format!("M{px} {} V{bus} H{cx} V{cy}", py + BOX_H)
                } else {
                    format!("M{} {bus} H{cx} V{cy}", cx.clamp(lo, hi))
                };
                let leg = format!("M{cx} {bus} V{cy}");
                connect_child(&mut trunk, &mut paths, change_of(c), leg, ended);
            }
        }
        if !trunk.is_empty() {
            paths.insert(0, connector(trunk, None));
        }
        paths
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
            let colour = severity_colour(insight.severity);
            group = Pill::number(MARGIN, (y + 5.0, y + 17.5), badge_w, colour).draw(group, number);
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

/// A SOLID connector, in the colour and dash of what a scenario does to it.
/// Draws the connector of one subordinate by what a scenario does to its line: a kept
/// line's last `leg` joins the parent's `trunk`; an added one is drawn on its own in
/// the added colour; an ended one on its own along `ended` (which may start from the
/// end of the bus rather than the child's place on it).
fn connect_child(
    trunk: &mut String,
    paths: &mut Vec<Path>,
    change: Option<LineChange>,
    leg: String,
    ended: String,
) {
    match change {
        None => {
            trunk.push(' ');
            trunk.push_str(&leg);
        }
        Some(LineChange::Added) => paths.push(connector(leg, Some(LineChange::Added))),
        Some(LineChange::Ended) => paths.push(connector(ended, Some(LineChange::Ended))),
    }
}

/// A pill the size of `font_size` text: the rounded box (`x`, `top`, `width`,
/// `height`) in `colour` and `label` centred in it, bold and white, on the baseline
/// `baseline`. What numbers insights (on a unit's box, in the insight list) and tags
/// a unit a scenario changes.
struct Pill<'a> {
    x: f64,
    top: f64,
    width: f64,
    height: f64,
    baseline: f64,
    font_size: f64,
    colour: &'a str,
}

impl Pill<'_> {
    /// Adds the pill with `label` to `group`.
    fn draw(&self, group: Group, label: String) -> Group {
        group
            .add(
                Rectangle::new()
                    .set("x", self.x)
                    .set("y", self.top)
                    .set("width", self.width)
                    .set("height", self.height)
                    .set("rx", self.height / 2.0)
                    .set("fill", self.colour),
            )
            .add(
                Text::new(label)
                    .set("x", self.x + self.width / 2.0)
                    .set("y", self.baseline)
                    .set("text-anchor", "middle")
                    .set("font-size", self.font_size)
                    .set("font-weight", "bold")
                    .set("fill", "#ffffff"),
            )
    }

    /// An insight's number, `width` wide at `x`, its box from `top`.
    fn number(x: f64, (top, baseline): (f64, f64), width: f64, colour: &'static str) -> Self {
        Pill {
            x,
            top,
            width,
            height: 17.0,
            baseline,
            font_size: 11.0,
            colour,
        }
    }
}

fn connector(d: String, change: Option<LineChange>) -> Path {
    let path = Path::new().set("d", d);
    match change {
        None => path
            .set("class", "solid")
            .set("stroke", "#475569")
            .set("stroke-width", 1.5),
        Some(LineChange::Added) => path
            .set("class", "solid added")
            .set("stroke", ADDED)
            .set("stroke-width", 2.5),
        Some(LineChange::Ended) => path
            .set("class", "solid ended")
            .set("stroke", REMOVED)
            .set("stroke-width", 2)
            .set("stroke-dasharray", ENDED_DASH),
    }
}

/// The arrowhead at the superior's end of a routed line, in `colour`.
fn arrow(id: &str, colour: &str) -> Marker {
    Marker::new()
        .set("id", id.to_owned())
        .set("viewBox", (0, 0, 10, 10))
        .set("refX", 9)
        .set("refY", 5)
        .set("markerWidth", 7)
        .set("markerHeight", 7)
        .set("orient", "auto-start-reverse")
        .add(
            Path::new()
                .set("d", "M0 0 L10 5 L0 10 z")
                .set("fill", colour.to_owned()),
        )
}

/// The tag on a changed unit, straddling the bottom border at the right, clear of the
/// trunk that leaves the box's middle. That leaves room for a few words only: a moved
/// unit's tag names its former superior, its colour saying "moved" (the tooltip says
/// both).
fn change_tag(change: &Change, (x, y): (f64, f64)) -> Group {
    let (label, colour) = match change {
        Change::Added => ("added".to_owned(), ADDED),
        Change::Removed => ("removed".to_owned(), REMOVED),
        Change::Moved {
            from_name: Some(name),
            ..
        } => (format!("from {name}"), MOVED),
        Change::Moved {
            from_name: None, ..
        } => ("from the top".to_owned(), MOVED),
    };
    let label = text::fit(&label, 10.0, BOX_W / 2.0 - 26.0);
    let w = text::width(&label, 10.0) + 12.0;
    let tag = Pill {
        x: x + BOX_W - 6.0 - w,
        top: y + BOX_H - 4.0,
        width: w,
        height: 14.0,
        baseline: y + BOX_H + 6.5,
        font_size: 10.0,
        colour,
    };
    tag.draw(Group::new().set("class", "change"), label)
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

    /// A scenario's unit mark: a box outlined thick in `stroke`, or thin and dashed.
    fn change_swatch(
        &mut self,
        label: &str,
        stroke: &str,
        fill: &str,
        dash: Option<&str>,
    ) -> Group {
        let (x, y) = self.slot(20.0 + text::width(label, 12.0));
        let mut rect = Rectangle::new()
            .set("x", x)
            .set("y", y + 1.0)
            .set("width", 14)
            .set("height", 14)
            .set("rx", 3)
            .set("fill", fill.to_owned())
            .set("stroke", stroke.to_owned());
        rect = match dash {
            Some(dash) => rect
                .set("stroke-width", 1.5)
                .set("stroke-dasharray", dash.to_owned()),
            None => rect.set("stroke-width", 3),
        };
        Group::new()
            .set("class", "change")
            .add(rect)
            .add(Self::label(x + 20.0, y, label))
    }

    /// A scenario's line mark.
    fn styled_line(&mut self, label: &str, colour: &str, dash: Option<&str>) -> Group {
        let (x, y) = self.slot(36.0 + text::width(label, 12.0));
        let mut path = Path::new()
            .set("d", format!("M{x} {} H{}", y + 8.0, x + 28.0))
            .set("stroke-width", 2)
            .set("stroke-linecap", "round")
            .set("stroke", colour.to_owned());
        if let Some(dash) = dash {
            path = path.set("stroke-dasharray", dash.to_owned());
        }
        Group::new()
            .set("class", "change")
            .add(path)
            .add(Self::label(x + 36.0, y, label))
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
