//! Pictures of what orgdesign holds: the org chart (as Mermaid, Graphviz DOT or a
//! ready-made SVG) and a KPI's trend against its target (SVG).
//!
//! Everything is drawn here, in Rust, with the `svg` crate writing (and escaping) the
//! documents: no Graphviz or browser is needed on the server. The org chart's layout is
//! a tidy tree of the SOLID lines (each subtree owns its own horizontal band, so boxes
//! never overlap), with DOTTED lines drawn dashed in their own lanes, units coloured by
//! function and insight markers on the units an insight rests on.

pub mod org;
#[cfg(test)]
mod tests;
pub mod text;
pub mod trend;

use svg::{
    Document,
    node::element::{Definitions, Rectangle, Title},
};

use crate::UnitFunction;

/// The font every picture is set in.
pub(crate) const FONT: &str = "Helvetica, Arial, sans-serif";

/// A standalone SVG document `width` by `height` as every picture starts: sized, set in
/// [`FONT`], named by `caption` for screen readers (its `aria-label` and title), with
/// the `definitions` its elements refer to, on a white background.
pub(crate) fn document(
    width: f64,
    height: f64,
    caption: String,
    definitions: Option<Definitions>,
) -> Document {
    let document = Document::new()
        .set("width", width)
        .set("height", height)
        .set("viewBox", (0, 0, width, height))
        .set("font-family", FONT)
        .set("role", "img")
        .set("aria-label", caption.clone())
        .add(Title::new(caption));
    let document = match definitions {
        Some(definitions) => document.add(definitions),
        None => document,
    };
    document.add(
        Rectangle::new()
            .set("width", "100%")
            .set("height", "100%")
            .set("fill", "#ffffff"),
    )
}

/// The formats `chart` renders the org chart in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ChartFormat {
    /// A Mermaid `flowchart` (renders in Markdown viewers, GitHub and most wikis).
    Mermaid,
    /// Graphviz DOT, for `dot -Tsvg` or any Graphviz-based tool.
    Dot,
    /// A standalone SVG document, laid out and drawn by orgdesign.
    Svg,
}

/// How a unit of each function is drawn: (label, stroke colour, fill colour).
pub fn palette(function: UnitFunction) -> (&'static str, &'static str, &'static str) {
    match function {
        UnitFunction::Executive => ("Executive", "#334155", "#e2e8f0"),
        UnitFunction::Marketing => ("Marketing", "#9d174d", "#fce7f3"),
        UnitFunction::Sales => ("Sales", "#1d4ed8", "#dbeafe"),
        UnitFunction::Commercial => ("Commercial", "#0f766e", "#ccfbf1"),
        UnitFunction::Product => ("Product", "#c2410c", "#ffedd5"),
        UnitFunction::CustomerSuccess => ("Customer success", "#15803d", "#dcfce7"),
        UnitFunction::Finance => ("Finance", "#a16207", "#fef9c3"),
        UnitFunction::It => ("IT", "#4338ca", "#e0e7ff"),
        UnitFunction::BusinessUnit => ("Business unit", "#7c2d12", "#f5e6dc"),
        UnitFunction::Other => ("Other", "#57534e", "#f5f5f4"),
    }
}

/// The colour of an insight marker by severity.
pub fn severity_colour(severity: crate::insights::Severity) -> &'static str {
    match severity {
        crate::insights::Severity::Critical => "#b91c1c",
        crate::insights::Severity::Warning => "#d97706",
        crate::insights::Severity::Info => "#2563eb",
    }
}
