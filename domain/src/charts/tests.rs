//! The pictures over hand-built snapshots: no overlapping boxes however the structure
//! is shaped, lines drawn by kind, text escaped in every format.

use super::{
    ChartFormat,
    org::{Layout, OrgChart},
};
use crate::insights::{
    evaluate,
    tests::{head, line, snapshot, unit},
};

/// An organization shaped like a real one, scaled by `n`: an executive, `n` directors,
/// each with teams of varying size (flat teams listed in columns, deeper ones in rows),
/// a long chain, and two units reporting to no one.
fn shaped(n: usize) -> crate::insights::Snapshot {
    let mut units = vec![unit("Executive board", "EXECUTIVE", "IN_HOUSE")];
    let mut positions = vec![head(&units[0], "CEO")];
    let mut lines = Vec::new();
    for d in 0..n {
        let function = ["MARKETING", "SALES", "FINANCE", "IT", "BUSINESS_UNIT"][d % 5];
        let director = unit(
            &format!("Directorate {d} with a rather long name"),
            function,
            "IN_HOUSE",
        );
        lines.push(line(&director, &units[0], "SOLID"));
        positions.push(head(&director, "HEAD"));
        let teams = d % 7;
        let mut previous = director.clone();
        units.push(director.clone());
        for t in 0..teams {
            let team = unit(
                &format!("Team {d}.{t}"),
                function,
                if t == 1 { "OUTSOURCED" } else { "IN_HOUSE" },
            );
            lines.push(line(&team, &director, "SOLID"));
            if d % 3 == 0 && t == 0 {
                // A sub-team, so this directorate lays out as a row.
                let sub = unit(&format!("Sub-team {d}"), function, "IN_HOUSE");
                lines.push(line(&sub, &team, "SOLID"));
                units.push(sub);
            }
            units.push(team.clone());
            previous = team;
        }
        if d % 4 == 1 {
            lines.push(line(&previous, &units[1], "DOTTED"));
        }
    }
    // A chain four deep.
    let mut above = units[0].clone();
    for depth in 0..4 {
        let link = unit(&format!("Chain {depth}"), "OTHER", "SUBSIDIARY");
        lines.push(line(&link, &above, "SOLID"));
        units.push(link.clone());
        above = link;
    }
    units.push(unit("Orphan project", "OTHER", "IN_HOUSE"));
    units.push(unit("Another orphan", "PRODUCT", "IN_HOUSE"));
    snapshot(units, positions, lines)
}

#[test]
fn no_two_boxes_overlap_whatever_the_shape() {
    for n in [1, 5, 12, 40] {
        let snap = shaped(n);
        let chart = OrgChart::new("Shaped", &snap, evaluate(&snap, None))
            .unwrap_or_else(|e| panic!("{e:?}"));
        let layout = Layout::new(&chart);
        let boxes = layout.place(100.0);
        assert_eq!(boxes.len(), chart.nodes.len());
        for (i, a) in boxes.iter().enumerate() {
            assert!(
                a.0 >= 0.0 && a.1 >= 100.0,
                "box {i} outside the chart: {a:?}"
            );
            assert!(
                a.0 + 200.0 <= layout.width + 48.0 + 0.01,
                "box {i} beyond the width"
            );
            for (j, b) in boxes.iter().enumerate().skip(i + 1) {
                let apart = a.0 + 200.0 <= b.0
                    || b.0 + 200.0 <= a.0
                    || a.1 + 80.0 <= b.1
                    || b.1 + 80.0 <= a.1;
                assert!(apart, "n={n}: boxes {i} {a:?} and {j} {b:?} overlap");
            }
        }
        // Every unit reporting to no one is a root; the executive comes first.
        assert_eq!(layout.roots.len(), 3);
        assert_eq!(chart.nodes[layout.roots[0]].name, "Executive board");
    }
}

#[test]
fn lines_are_drawn_by_kind_in_every_format() {
    let snap = shaped(6);
    let chart =
        OrgChart::new("Shaped", &snap, evaluate(&snap, None)).unwrap_or_else(|e| panic!("{e:?}"));
    let solid = chart
        .edges
        .iter()
        .filter(|e| e.kind == crate::LineKind::Solid)
        .count();
    let dotted = chart.edges.len() - solid;
    assert!(dotted >= 1);

    let mermaid = chart.render(ChartFormat::Mermaid);
    assert!(mermaid.starts_with("%% Shaped — org chart as of 2024-06-30\nflowchart TD\n"));
    assert_eq!(mermaid.matches(" --> ").count(), solid);
    assert_eq!(mermaid.matches(" -.-> ").count(), dotted);
    assert!(mermaid.contains("classDef marketing fill:#fce7f3"));

    let dot = chart.render(ChartFormat::Dot);
    assert_eq!(dot.matches(" -> ").count(), chart.edges.len());
    assert_eq!(
        dot.matches("style=dashed, constraint=false").count(),
        dotted
    );
    assert!(
        dot.contains("style=\"rounded,filled,dashed\""),
        "outsourced units get a dashed border"
    );

    let svg = chart.render(ChartFormat::Svg);
    assert_eq!(svg.matches("class=\"dotted\"").count(), dotted);
    assert_eq!(svg.matches("class=\"unit ").count(), chart.nodes.len());
    // The orphans' insight puts a marker on each of them.
    let orphans = chart
        .insights
        .iter()
        .position(|i| i.code == "STRUCTURE_ORPHAN_UNITS")
        .map(|i| i + 1);
    assert!(orphans.is_some());
    assert!(svg.matches("class=\"marker\"").count() >= 2);
    // Well-formed: the svg crate's parser reads it to the end without an error.
    for event in svg::read(&svg).unwrap_or_else(|e| panic!("{e}")) {
        assert!(!matches!(event, svg::parser::Event::Error(_)), "{event:?}");
    }
}

#[test]
fn names_are_escaped_in_every_format() {
    let name = "Brand \"A&B\" <script>alert(1)</script> \\ team\u{FFFF}";
    let exec = unit("Executive", "EXECUTIVE", "IN_HOUSE");
    let odd = unit(name, "MARKETING", "IN_HOUSE");
    let lines = vec![line(&odd, &exec, "SOLID")];
    let snap = snapshot(vec![exec, odd], Vec::new(), lines);
    let chart =
        OrgChart::new("Q&A \"Corp\"", &snap, Vec::new()).unwrap_or_else(|e| panic!("{e:?}"));

    let mermaid = chart.mermaid();
    assert!(
        mermaid.contains("Brand #quot;A#amp;B#quot; #lt;script#gt;alert(1)#lt;/script#gt; \\ team"),
        "{mermaid}"
    );
    let dot = chart.dot();
    assert!(
        dot.contains(r#"Brand \"A&B\" <script>alert(1)</script> \\ team"#),
        "{dot}"
    );
    assert!(dot.starts_with("digraph \"Q&A \\\"Corp\\\"\" {"));
    let svg = chart.svg();
    assert!(!svg.contains("<script>"), "{svg}");
    assert!(
        !svg.contains('\u{FFFF}'),
        "a character XML forbids is dropped"
    );
    assert!(svg.contains("&lt;script&gt;"));
    for event in svg::read(&svg).unwrap_or_else(|e| panic!("{e}")) {
        assert!(!matches!(event, svg::parser::Event::Error(_)), "{event:?}");
    }

    // A name cannot smuggle a directive or an entity into Mermaid.
    let exec = unit("Executive", "EXECUTIVE", "IN_HOUSE");
    let sneaky = unit(
        "%%{init: {'theme':'dark'}}%% #quot; 100%",
        "MARKETING",
        "IN_HOUSE",
    );
    let lines = vec![line(&sneaky, &exec, "SOLID")];
    let snap = snapshot(vec![exec, sneaky], Vec::new(), lines);
    let chart =
        OrgChart::new("%%{init: {}}%%", &snap, Vec::new()).unwrap_or_else(|e| panic!("{e:?}"));
    let mermaid = chart.mermaid();
    assert!(
        !mermaid.contains("%%{") && !mermaid.contains("{'theme'"),
        "{mermaid}"
    );
    assert!(
        mermaid
            .contains("#37;#37;#123;init: #123;'theme':'dark'#125;#125;#37;#37; #35;quot; 100#37;"),
        "{mermaid}"
    );
}

#[test]
fn dotted_lines_take_lanes_between_rows_when_no_box_is_in_the_way() {
    let exec = unit("Executive", "EXECUTIVE", "IN_HOUSE");
    let marketing = unit("Marketing", "MARKETING", "IN_HOUSE");
    let brand = unit("Brand", "MARKETING", "IN_HOUSE");
    let demand = unit("Demand", "MARKETING", "IN_HOUSE");
    let east = unit("East", "BUSINESS_UNIT", "IN_HOUSE");
    let west = unit("West", "BUSINESS_UNIT", "IN_HOUSE");
    let lines = vec![
        line(&marketing, &exec, "SOLID"),
        line(&brand, &marketing, "SOLID"),
        line(&demand, &marketing, "SOLID"),
        line(&east, &exec, "SOLID"),
        line(&west, &exec, "SOLID"),
        // A team one row below its dotted superior, and a unit beside its own.
        line(&demand, &west, "DOTTED"),
        line(&marketing, &east, "DOTTED"),
    ];
    let snap = snapshot(
        vec![exec, marketing, brand, demand, east, west],
        Vec::new(),
        lines,
    );
    let chart = OrgChart::new("Lanes", &snap, Vec::new()).unwrap_or_else(|e| panic!("{e:?}"));
    let svg = chart.svg();
    let dotted: Vec<&str> = svg
        .split("<path")
        .filter(|p| p.contains("class=\"dotted\""))
        .filter_map(|p| p.split(" d=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(dotted.len(), 2);
    for d in dotted {
        assert!(
            d.contains(" V") && d.contains(" H") && !d.contains('C'),
            "an orthogonal route: {d}"
        );
    }

    // A lane through the middle of the business units' row crosses East on its way to
    // West: not clear, so such a line would be drawn as a curve instead. Just above
    // the row it is clear.
    let layout = Layout::new(&chart);
    let at = layout.place(100.0);
    let index = |name: &str| {
        chart
            .nodes
            .iter()
            .position(|n| n.name == name)
            .unwrap_or(usize::MAX)
    };
    let (marketing, east, west) = (at[index("Marketing")], at[index("East")], at[index("West")]);
    assert!(marketing.0 < east.0 && east.0 < west.0 && (marketing.1 - west.1).abs() < 0.5);
    // From the gap between Marketing and East, level with the row.
    let start = (east.0 - 5.0, west.1 + 60.0);
    assert!(start.0 > marketing.0 + 200.0);
    let through_row = (west.0 + 80.0, west.1 + 40.0);
    assert!(!Layout::route_is_clear(
        &at,
        index("West"),
        start,
        through_row,
        west.1 - 2.0
    ));
    let above_row = (west.0 + 80.0, west.1 - 8.0);
    assert!(Layout::route_is_clear(
        &at,
        index("West"),
        start,
        above_row,
        west.1 - 2.0
    ));
}
