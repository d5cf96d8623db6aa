//! The org chart as text another tool draws: a Mermaid flowchart and a Graphviz DOT
//! graph. Both carry the same facts as the SVG (lines by kind, colours by function,
//! insight markers), escaped for their own syntax.

use std::fmt::Write as _;

use super::{
    Change, LineChange, OrgChart,
    changes::{ADDED, MOVED, REMOVED, REMOVED_FILL, REMOVED_TEXT},
};
use crate::{
    LineKind, Sourcing, UnitFunction,
    charts::{palette, severity_colour},
};

impl OrgChart {
    /// A Mermaid flowchart: SOLID lines as arrows, DOTTED lines as dotted arrows, a
    /// class per function, insight markers as "⚠ n" and a thick border. On a scenario's
    /// chart, classes `added`, `moved` and `removed` and a `linkStyle` per added or
    /// ended line mark the changes (a changed unit's border shows the change, not its
    /// insights, whose count stays in the label).
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
            if let Some(change) = Self::change_label(node) {
                let _ = write!(label, "<br/><i>{}</i>", esc(&change));
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
            if node.change.is_some() {
                continue;
            }
            if let Some(severity) = self.worst(node) {
                let _ = writeln!(
                    out,
                    "  style u{i} stroke:{},stroke-width:3px",
                    severity_colour(severity)
                );
            }
        }
        if self.has_changes() {
            self.mermaid_changes(&mut out);
        }
        for (i, node) in self.nodes.iter().enumerate() {
            let _ = writeln!(out, "  %% u{i} = {}", node.id);
        }
        out
    }

    /// The scenario's marks: a class per kind of unit change (declared after the
    /// function classes, so its border wins) and a style per changed link, by the
    /// link's index in the order the links were written.
    fn mermaid_changes(&self, out: &mut String) {
        out.push_str(
            "  %% Scenario changes: green border = added unit, cyan = moved, dashed grey = \
             removed; green link = added line, grey dotted = ended line\n",
        );
        for (class, style) in [
            ("added", format!("stroke:{ADDED},stroke-width:3px")),
            ("moved", format!("stroke:{MOVED},stroke-width:3px")),
            (
                "removed",
                format!(
                    "fill:{REMOVED_FILL},stroke:{REMOVED},stroke-dasharray:3 3,color:{REMOVED_TEXT}"
                ),
            ),
        ] {
            let members: Vec<String> = self
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.change.as_ref().map(Change::as_str) == Some(class))
                .map(|(i, _)| format!("u{i}"))
                .collect();
            let _ = writeln!(out, "  classDef {class} {style}");
            if !members.is_empty() {
                let _ = writeln!(out, "  class {} {class}", members.join(","));
            }
        }
        for (change, style) in [
            (
                LineChange::Added,
                format!("stroke:{ADDED},stroke-width:3px"),
            ),
            (
                LineChange::Ended,
                format!("stroke:{REMOVED},stroke-width:2px,stroke-dasharray:1 4"),
            ),
        ] {
            let links: Vec<String> = self
                .edges
                .iter()
                .enumerate()
                .filter(|(_, e)| e.change == Some(change))
                .map(|(i, _)| i.to_string())
                .collect();
            if !links.is_empty() {
                let _ = writeln!(out, "  linkStyle {} {style}", links.join(","));
            }
        }
    }

    /// Graphviz DOT: SOLID lines rank the units top-down, DOTTED lines are dashed and do
    /// not constrain the ranks; units are filled by function, and units an insight rests
    /// on get a thick border and an "⚠ n" line. Node ids are the unit ids. On a
    /// scenario's chart, added units and lines are green, moved units cyan, removed ones
    /// dashed grey and ended lines dotted grey (ranking nothing, unless one still places
    /// a removed unit), with a legend under the title.
    pub fn dot(&self) -> String {
        fn esc(s: &str) -> String {
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        }
        let mut out = String::new();
        let _ = writeln!(out, "digraph \"{}\" {{", esc(&self.title));
        let mut caption = self.caption();
        if self.has_changes() {
            out.push_str("  // Scenario changes, as the legend under the title says.\n");
            caption.push_str(
                "\nScenario: green = added unit or line · cyan = moved unit · \
                 dashed grey = removed unit · dotted grey = ended line",
            );
        }
        let _ = writeln!(
            out,
            "  graph [rankdir=TB, labelloc=t, fontname=\"Helvetica\", label=\"{}\"];",
            esc(&caption)
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
            // A changed unit's border shows the change rather than its insights, whose
            // count stays in the label.
            if let Some(change) = Self::change_label(node) {
                let _ = write!(label, "\n({change})");
                attributes = match node.change {
                    Some(Change::Removed) => format!(
                        "fillcolor=\"{REMOVED_FILL}\", color=\"{REMOVED}\", \
                         fontcolor=\"{REMOVED_TEXT}\", style=\"rounded,filled,dashed\""
                    ),
                    _ => {
                        let colour = if node.change == Some(Change::Added) {
                            ADDED
                        } else {
                            MOVED
                        };
                        let mut changed =
                            format!("fillcolor=\"{fill}\", color=\"{colour}\", penwidth=3");
                        if node.sourcing != Sourcing::InHouse {
                            changed.push_str(", style=\"rounded,filled,dashed\"");
                        }
                        changed
                    }
                };
            }
            let _ = writeln!(
                out,
                "  \"{}\" [label=\"{}\", {attributes}];",
                node.id,
                esc(&label)
            );
        }
        let tree = self.tree_edges();
        for (i, edge) in self.edges.iter().enumerate() {
            let style = match (edge.kind, edge.change) {
                (LineKind::Solid, None) => String::new(),
                (LineKind::Dotted, None) => {
                    " [style=dashed, constraint=false, color=\"#7c3aed\"]".to_owned()
                }
                (LineKind::Solid, Some(LineChange::Added)) => {
                    format!(" [color=\"{ADDED}\", penwidth=2.5]")
                }
                (LineKind::Dotted, Some(LineChange::Added)) => {
                    format!(" [style=dashed, constraint=false, color=\"{ADDED}\", penwidth=2.5]")
                }
                (_, Some(LineChange::Ended)) => {
                    let constraint = if tree[edge.unit] == Some(i) {
                        ""
                    } else {
                        ", constraint=false"
                    };
                    format!(" [style=dotted, color=\"{REMOVED}\", penwidth=2{constraint}]")
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
}
