//! A scenario's chart over hand-built snapshots: the marks it computes, and that every
//! format carries them while an unchanged scenario draws like the live chart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use entity::{org_unit, reporting_line};

use super::{ADDED, ENDED_DASH, MOVED, REMOVED_DASH};
use crate::{
    LineKind,
    charts::{
        ChartFormat,
        org::{Change, Layout, LineChange, OrgChart},
    },
    insights::{
        Snapshot, evaluate,
        tests::{head, line, snapshot, unit},
    },
};

/// The live organization and the "independent marketing center" draft of it.
struct Scenario {
    before: Snapshot,
    after: Snapshot,
    exec: org_unit::Model,
    sales: org_unit::Model,
    marketing: org_unit::Model,
    events: org_unit::Model,
    cmo: org_unit::Model,
    legacy: org_unit::Model,
    revived: org_unit::Model,
    /// Marketing's live SOLID line to Sales, which the draft ends.
    under_sales: reporting_line::Model,
}

/// Live: marketing (with its events team) reports to sales, a legacy PR unit to the
/// executive, and a dormant unit is archived. Draft: a new CMO unit under the
/// executive takes marketing (which keeps a DOTTED line back into sales), the legacy
/// unit is archived and the dormant one brought back.
fn center_of_marketing() -> Scenario {
    let exec = unit("Executive board", "EXECUTIVE", "IN_HOUSE");
    let sales = unit("Sales", "SALES", "IN_HOUSE");
    let marketing = unit("Marketing", "MARKETING", "IN_HOUSE");
    let events = unit("Events", "MARKETING", "IN_HOUSE");
    let legacy = unit("Legacy PR", "MARKETING", "OUTSOURCED");
    let mut revived = unit("Market research", "MARKETING", "IN_HOUSE");
    revived.archived = true;
    let under_sales = line(&marketing, &sales, "SOLID");
    let live_lines = vec![
        line(&sales, &exec, "SOLID"),
        under_sales.clone(),
        line(&events, &marketing, "SOLID"),
        line(&legacy, &exec, "SOLID"),
    ];
    let positions = vec![
        head(&exec, "CEO"),
        head(&sales, "VP Sales"),
        head(&marketing, "Head of marketing"),
        head(&legacy, "PR lead"),
    ];
    let before = snapshot(
        vec![
            exec.clone(),
            sales.clone(),
            marketing.clone(),
            events.clone(),
            legacy.clone(),
            revived.clone(),
        ],
        positions.clone(),
        live_lines.clone(),
    );

    let cmo = unit("Chief marketing office", "MARKETING", "IN_HOUSE");
    let mut archived_legacy = legacy.clone();
    archived_legacy.archived = true;
    let mut active_revived = revived.clone();
    active_revived.archived = false;
    // The archived unit's line is left in effect, as an in-memory scenario might: the
    // chart still shows it as ended, since the unit is gone.
    let draft_lines = vec![
        live_lines[0].clone(),
        live_lines[2].clone(),
        live_lines[3].clone(),
        line(&cmo, &exec, "SOLID"),
        line(&marketing, &cmo, "SOLID"),
        line(&marketing, &sales, "DOTTED"),
        line(&active_revived, &cmo, "SOLID"),
    ];
    let mut draft_positions = positions;
    draft_positions.push(head(&cmo, "CMO"));
    let after = snapshot(
        vec![
            exec.clone(),
            sales.clone(),
            marketing.clone(),
            events.clone(),
            archived_legacy,
            active_revived,
            cmo.clone(),
        ],
        draft_positions,
        draft_lines,
    );
    Scenario {
        before,
        after,
        exec,
        sales,
        marketing,
        events,
        cmo,
        legacy,
        revived,
        under_sales,
    }
}

fn compared(s: &Scenario) -> OrgChart {
    OrgChart::comparing("Northwind", &s.before, &s.after, evaluate(&s.after, None)).unwrap()
}

fn node<'a>(chart: &'a OrgChart, unit: &org_unit::Model) -> (usize, &'a super::Node) {
    chart
        .nodes
        .iter()
        .enumerate()
        .find(|(_, n)| n.id == unit.id)
        .unwrap_or_else(|| panic!("{} is not drawn", unit.name))
}

fn assert_well_formed(svg: &str) {
    for event in svg::read(svg).unwrap_or_else(|e| panic!("{e}")) {
        assert!(!matches!(event, svg::parser::Event::Error(_)), "{event:?}");
    }
}

#[test]
fn units_are_marked_added_moved_or_removed_by_id() {
    let s = center_of_marketing();
    let chart = compared(&s);

    assert_eq!(chart.nodes.len(), 7, "the removed unit is still drawn");
    assert_eq!(node(&chart, &s.cmo).1.change, Some(Change::Added));
    assert_eq!(
        node(&chart, &s.revived).1.change,
        Some(Change::Added),
        "archived live, active in the draft"
    );
    assert_eq!(
        node(&chart, &s.marketing).1.change,
        Some(Change::Moved {
            from: Some(s.sales.id),
            from_name: Some("Sales".to_owned()),
        })
    );
    let (_, legacy) = node(&chart, &s.legacy);
    assert_eq!(legacy.change, Some(Change::Removed));
    assert_eq!(
        legacy.head.as_deref(),
        Some("PR lead"),
        "drawn from the live data"
    );
    for unchanged in [&s.exec, &s.sales, &s.events] {
        assert_eq!(node(&chart, unchanged).1.change, None, "{}", unchanged.name);
    }
    assert_eq!(node(&chart, &s.cmo).1.head.as_deref(), Some("CMO"));
}

#[test]
fn lines_are_marked_added_or_ended_and_the_draft_places_the_boxes() {
    let s = center_of_marketing();
    let chart = compared(&s);
    let index = |u: &org_unit::Model| node(&chart, u).0;
    let find = |unit: &org_unit::Model, superior: &org_unit::Model, kind: LineKind| {
        let found: Vec<Option<LineChange>> = chart
            .edges
            .iter()
            .filter(|e| e.unit == index(unit) && e.superior == index(superior) && e.kind == kind)
            .map(|e| e.change)
            .collect();
        found
    };
    assert_eq!(
        find(&s.cmo, &s.exec, LineKind::Solid),
        [Some(LineChange::Added)]
    );
    assert_eq!(
        find(&s.marketing, &s.cmo, LineKind::Solid),
        [Some(LineChange::Added)]
    );
    assert_eq!(
        find(&s.marketing, &s.sales, LineKind::Dotted),
        [Some(LineChange::Added)]
    );
    assert_eq!(
        find(&s.marketing, &s.sales, LineKind::Solid),
        [Some(LineChange::Ended)]
    );
    assert!(
        chart
            .edges
            .iter()
            .any(|e| e.id == s.under_sales.id && e.change == Some(LineChange::Ended))
    );
    assert_eq!(
        find(&s.legacy, &s.exec, LineKind::Solid),
        [Some(LineChange::Ended)],
        "a removed unit's lines are ended even when the draft leaves them in effect"
    );
    assert_eq!(find(&s.sales, &s.exec, LineKind::Solid), [None]);
    assert_eq!(find(&s.events, &s.marketing, LineKind::Solid), [None]);

    // The draft's structure places the boxes; the removed unit hangs where it was.
    let superiors = chart.solid_superiors();
    assert_eq!(superiors[index(&s.marketing)], Some(index(&s.cmo)));
    assert_eq!(superiors[index(&s.legacy)], Some(index(&s.exec)));
    assert_eq!(superiors[index(&s.revived)], Some(index(&s.cmo)));
    let layout = Layout::new(&chart);
    assert_eq!(layout.roots, [index(&s.exec)]);
}

#[test]
fn the_svg_marks_changes_and_explains_them_in_the_legend() {
    let s = center_of_marketing();
    let svg = compared(&s).render(ChartFormat::Svg);
    assert_well_formed(&svg);
    let legend = svg
        .split("<g class=\"legend\">")
        .nth(1)
        .and_then(|rest| rest.split("<g class=\"lines\"").next())
        .expect("a legend");
    for entry in [
        "added unit",
        "moved unit",
        "removed unit",
        "added line",
        "ended line",
    ] {
        assert!(legend.contains(entry), "legend: {entry}");
    }
    // The removed unit: a dashed grey outline, its tag, its tooltip.
    let removed = svg
        .split("<g class=\"unit marketing removed\"")
        .nth(1)
        .and_then(|g| g.split("</g>").next())
        .expect("a removed unit");
    assert!(removed.contains("Legacy PR"));
    assert!(removed.contains(&format!("stroke-dasharray=\"{REMOVED_DASH}\"")));
    assert!(removed.contains("In this scenario: removed"));
    // The moved unit says from where; the added ones are outlined in their colour.
    let moved = svg
        .split("<g class=\"unit marketing moved\"")
        .nth(1)
        .and_then(|g| g.split("</g>").next())
        .expect("a moved unit");
    assert!(moved.contains(&format!("stroke=\"{MOVED}\"")));
    assert!(moved.contains("In this scenario: moved from Sales"));
    assert!(moved.contains("from Sales\n</text>"), "the tag: {moved}");
    assert_eq!(svg.matches("class=\"unit marketing added\"").count(), 2);
    // Lines: the two new SOLID lines' legs, the new DOTTED line, and the two ended
    // lines (the removed unit's connector and marketing's old line, routed).
    assert_eq!(svg.matches("class=\"solid added\"").count(), 3, "{svg}");
    assert_eq!(svg.matches("class=\"dotted added\"").count(), 1);
    assert_eq!(svg.matches("class=\"solid ended\"").count(), 2);
    assert!(svg.contains(&format!("stroke-dasharray=\"{ENDED_DASH}\"")));
    assert!(svg.contains("url(#arrow-ended)") && svg.contains("id=\"arrow-ended\""));
}

#[test]
fn mermaid_and_dot_carry_the_marks() {
    let s = center_of_marketing();
    let chart = compared(&s);
    let index = |u: &org_unit::Model| node(&chart, u).0;

    let mermaid = chart.render(ChartFormat::Mermaid);
    assert!(mermaid.contains("%% Scenario changes:"), "{mermaid}");
    assert!(mermaid.contains(&format!("classDef added stroke:{ADDED}")));
    assert!(mermaid.contains("classDef moved "));
    assert!(mermaid.contains("classDef removed "));
    assert!(mermaid.contains(&format!("  class u{} removed\n", index(&s.legacy))));
    assert!(mermaid.contains(&format!("  class u{} moved\n", index(&s.marketing))));
    assert!(mermaid.contains("moved from Sales"));
    let links = |change: LineChange| -> String {
        chart
            .edges
            .iter()
            .enumerate()
            .filter(|(_, e)| e.change == Some(change))
            .map(|(i, _)| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    assert!(mermaid.contains(&format!(
        "  linkStyle {} stroke:{ADDED}",
        links(LineChange::Added)
    )));
    assert!(mermaid.contains(&format!(
        "  linkStyle {} stroke:#9ca3af",
        links(LineChange::Ended)
    )));

    let dot = chart.render(ChartFormat::Dot);
    assert!(dot.contains("Scenario: green = added"), "{dot}");
    assert_eq!(dot.matches("style=dotted").count(), 2);
    // Marketing's old line no longer ranks it; the removed unit's still places it.
    assert_eq!(
        dot.matches("style=dotted, color=\"#9ca3af\", penwidth=2, constraint=false")
            .count(),
        1
    );
    assert!(dot.contains(&format!(
        "\"{}\" -> \"{}\" [color=\"{ADDED}\", penwidth=2.5];",
        s.cmo.id, s.marketing.id
    )));
    let moved = dot
        .lines()
        .find(|l| l.contains("(moved from Sales)"))
        .expect("the moved unit");
    assert!(
        moved.contains(&format!("color=\"{MOVED}\", penwidth=3")),
        "{moved}"
    );
    assert_eq!(
        moved.matches(" color=").count(),
        1,
        "one border colour: {moved}"
    );
    assert!(dot.contains("Legacy PR\\nMarketing · outsourced\\nPR lead\\n(removed)"));
}

#[test]
fn an_unchanged_scenario_draws_exactly_like_the_live_chart() {
    let s = center_of_marketing();
    for snap in [&s.before, &s.after] {
        let insights = evaluate(snap, None);
        let live = OrgChart::new("Same", snap, insights.clone()).unwrap();
        let draft = OrgChart::comparing("Same", snap, snap, insights).unwrap();
        assert!(!draft.has_changes() && !live.has_changes());
        for format in [ChartFormat::Svg, ChartFormat::Mermaid, ChartFormat::Dot] {
            assert_eq!(draft.render(format), live.render(format), "{format:?}");
        }
        let svg = live.svg();
        assert!(!svg.contains("added unit") && !svg.contains("arrow-added"));
    }
}

#[test]
fn a_compared_chart_can_be_cut_to_a_branch() {
    let s = center_of_marketing();
    let branch = compared(&s)
        .restrict(Some(s.cmo.id), None, "unitId")
        .unwrap();
    let names: Vec<&str> = branch.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    for name in [
        "Chief marketing office",
        "Marketing",
        "Events",
        "Market research",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    // Sales is cut away, and with it both of marketing's lines into it; the label
    // still names the former superior.
    assert!(branch.edges.iter().all(|e| e.kind == LineKind::Solid));
    assert_eq!(
        branch
            .edges
            .iter()
            .filter(|e| e.change == Some(LineChange::Added))
            .count(),
        2
    );
    let svg = branch.svg();
    assert_well_formed(&svg);
    assert!(svg.contains("moved from Sales"));

    // One level under the executive: the removed unit is kept where it hung.
    let top = compared(&s)
        .restrict(Some(s.exec.id), Some(1), "unitId")
        .unwrap();
    let legacy = top
        .nodes
        .iter()
        .find(|n| n.id == s.legacy.id)
        .expect("the removed unit");
    assert_eq!(legacy.change, Some(Change::Removed));
    assert_eq!(top.nodes.len(), 4, "executive, sales, CMO, legacy");
    assert_well_formed(&top.svg());
    // And a removed unit can be the root of its own branch.
    let alone = compared(&s)
        .restrict(Some(s.legacy.id), None, "unitId")
        .unwrap();
    assert_eq!(alone.nodes.len(), 1);
}
