//! The org chart as text another tool draws: a Mermaid flowchart and a Graphviz DOT
//! graph. Both carry the same facts as the SVG (lines by kind, colours by function,
//! insight markers), escaped for their own syntax.

use std::fmt::Write as _;

use super::OrgChart;
use crate::{
    charts::{palette, severity_colour},
    domain::{LineKind, Sourcing, UnitFunction},
};

impl OrgChart {
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
}
