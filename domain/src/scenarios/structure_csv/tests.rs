//! Export, parse and changes over hand-built snapshots.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use super::{changes::key_for, *};
use crate::{
    insights::tests::{head, line, snapshot, unit},
    scenarios::{
        apply::{Draft, Limits},
        change::Change,
        diff::diff,
    },
};

const LIMITS: Limits = Limits {
    max_units: 5_000,
    max_positions: 50,
};

/// Northwind's shape: an executive board, two business units each with sales
/// and marketing under sales, finance; a DOTTED line from one marketing team to
/// the board; two units named the same.
fn northwind() -> Snapshot {
    let exec = unit("Executive board", "EXECUTIVE", "IN_HOUSE");
    let pumps = unit("Pumps", "BUSINESS_UNIT", "IN_HOUSE");
    let valves = unit("Valves", "BUSINESS_UNIT", "IN_HOUSE");
    let pumps_sales = unit("Sales", "SALES", "IN_HOUSE");
    let valves_sales = unit("Sales", "SALES", "IN_HOUSE");
    let pumps_mkt = unit("Pumps marketing", "MARKETING", "IN_HOUSE");
    let valves_mkt = unit("Valves marketing", "MARKETING", "OUTSOURCED");
    let finance = unit("Finance, \"group\"", "FINANCE", "IN_HOUSE");
    let mut archived = unit("Old team", "OTHER", "IN_HOUSE");
    archived.archived = true;
    let lines = vec![
        line(&pumps, &exec, "SOLID"),
        line(&valves, &exec, "SOLID"),
        line(&finance, &exec, "SOLID"),
        line(&pumps_sales, &pumps, "SOLID"),
        line(&valves_sales, &valves, "SOLID"),
        line(&pumps_mkt, &pumps_sales, "SOLID"),
        line(&valves_mkt, &valves_sales, "SOLID"),
        line(&pumps_mkt, &exec, "DOTTED"),
    ];
    let mut ceo = head(&exec, "CEO");
    ceo.title = "Chief Executive Officer".to_owned();
    let mut deputy = head(&exec, "OTHER");
    deputy.title = "Deputy".to_owned();
    let positions = vec![ceo, deputy, head(&pumps_mkt, "HEAD")];
    snapshot(
        vec![
            exec,
            pumps,
            valves,
            pumps_sales,
            valves_sales,
            pumps_mkt,
            valves_mkt,
            finance,
            archived,
        ],
        positions,
        lines,
    )
}

fn id_of(s: &Snapshot, name: &str) -> Uuid {
    s.units.iter().find(|u| u.name == name).unwrap().id
}

/// Applies `changes` to `live` as a draft does, and returns the structure.
fn applied(live: &Snapshot, changes: &[Change]) -> Snapshot {
    let mut draft = Draft::new(Uuid::now_v7(), live.clone(), chrono::Utc::now());
    for (i, c) in changes.iter().enumerate() {
        draft
            .apply(&format!("changes[{i}]"), c, LIMITS)
            .unwrap_or_else(|e| panic!("change {i} {c:?}: {e}"));
    }
    draft.finish().0
}

/// The structure as comparable text: each active unit's name, function, sourcing,
/// SOLID superior's name, DOTTED superiors' names and head.
fn shape(s: &Snapshot) -> Vec<String> {
    let text = export(s).unwrap();
    let rows = parse(text.as_bytes(), 10_000).unwrap();
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| {
            let mut dotted: Vec<&str> = r
                .dotted_superiors
                .iter()
                .map(|&d| rows[d].name.as_str())
                .collect();
            dotted.sort_unstable();
            format!(
                "{} {} {} <{}> [{}] {:?}",
                r.name,
                r.function.as_str(),
                r.sourcing.as_str(),
                r.solid_superior.map_or("", |s| rows[s].name.as_str()),
                dotted.join(";"),
                r.head
            )
        })
        .collect();
    out.sort();
    out
}

fn csv(live: &Snapshot, edit: impl FnOnce(&mut Vec<Vec<String>>)) -> String {
    let text = export(live).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut records: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    edit(&mut records);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS).unwrap();
    for r in records {
        writer.write_record(r).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

fn row_named<'a>(records: &'a mut [Vec<String>], name: &str) -> &'a mut Vec<String> {
    records.iter_mut().find(|r| r[1] == name).unwrap()
}

fn error_of(text: &str) -> (String, String) {
    match parse(text.as_bytes(), 10_000) {
        Err(Error::BadInput { field, message }) => (field, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn an_exported_structure_parsed_back_changes_nothing() {
    let live = northwind();
    let text = export(&live).unwrap();
    let rows = parse(text.as_bytes(), 10_000).unwrap();
    assert_eq!(rows.len(), 8, "{text}");
    assert!(changes(&live, &rows).unwrap().is_empty(), "{text}");
}

#[test]
fn the_export_is_top_down_writes_ids_for_names_that_repeat_and_quotes_what_needs_it() {
    let live = northwind();
    let text = export(&live).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "id,unit,function,sourcing,solid_superior,dotted_superiors,head_position,head_role"
    );
    let exec = id_of(&live, "Executive board");
    assert_eq!(
        lines[1],
        format!("{exec},Executive board,EXECUTIVE,IN_HOUSE,,,Chief Executive Officer,CEO")
    );
    assert!(!text.contains("Old team"), "archived units are left out");
    assert!(text.contains("\"Finance, \"\"group\"\"\""), "{text}");
    // "Sales" names two units: their subordinates name them by id.
    let pumps_sales = live
        .lines
        .iter()
        .find(|l| l.unit_id == id_of(&live, "Pumps marketing") && l.kind == "SOLID")
        .unwrap()
        .superior_unit_id;
    let pumps_mkt = lines
        .iter()
        .find(|l| l.contains("Pumps marketing,"))
        .unwrap();
    assert!(
        pumps_mkt.contains(&format!(",{pumps_sales},Executive board,")),
        "{pumps_mkt}"
    );
    // Depth order: the board, then its three, then the sales teams, then marketing.
    let depth_of = |name: &str| lines.iter().position(|l| l.contains(name)).unwrap();
    assert!(depth_of("Finance") < depth_of(",Sales,"));
    assert!(depth_of(",Sales,") < depth_of("Pumps marketing"));
}

#[test]
fn a_unit_moved_under_a_new_unit_creates_it_then_moves() {
    let live = northwind();
    let text = csv(&live, |records| {
        row_named(records, "Pumps marketing")[4] = "Marketing center".to_owned();
        records.push(
            [
                "",
                "Marketing center",
                "MARKETING",
                "",
                "Executive board",
                "",
                "Chief Marketing Officer",
                "CMO",
            ]
            .map(str::to_owned)
            .to_vec(),
        );
    });
    let rows = parse(text.as_bytes(), 10_000).unwrap();
    let list = changes(&live, &rows).unwrap();
    let exec = id_of(&live, "Executive board").to_string();
    let pumps_mkt = id_of(&live, "Pumps marketing").to_string();
    assert_eq!(list.len(), 3, "{list:#?}");
    assert!(matches!(&list[0], Change::CreateUnit(c)
        if c.key == "marketing-center" && c.superior_unit_id.as_deref() == Some(exec.as_str())));
    assert!(matches!(&list[1], Change::MoveUnit(c)
        if c.unit_id.as_str() == pumps_mkt && c.superior_unit_id.as_str() == "marketing-center"));
    assert!(matches!(&list[2], Change::CreatePosition(c)
        if c.unit_id.as_str() == "marketing-center" && c.role == PositionRole::Cmo));

    let after = applied(&live, &list);
    assert_eq!(shape(&after), {
        let mut expected = shape(&live);
        for s in &mut expected {
            if s.starts_with("Pumps marketing ") {
                *s = s.replace("<Sales>", "<Marketing center>");
            }
        }
        expected.push(
            "Marketing center MARKETING IN_HOUSE <Executive board> [] Some(Head { title: \"Chief Marketing Officer\", role: Cmo })"
                .to_owned(),
        );
        expected.sort();
        expected
    });
    let d = diff(&live, &after, &[], &[]);
    assert_eq!(d.units_added.len(), 1);
    assert_eq!(d.units_moved.len(), 1);
    assert_eq!(d.units_moved[0].unit.to_string(), pumps_mkt);
}

#[test]
fn a_unit_left_out_is_archived_after_its_subordinates_move_away() {
    let live = northwind();
    let valves = id_of(&live, "Valves").to_string();
    // Valves and its sales team go; Valves marketing moves to the board.
    let text = csv(&live, |records| {
        records.retain(|r| r[1] != "Valves" && r[4] != "Valves");
        row_named(records, "Valves marketing")[4] = "Executive board".to_owned();
    });
    let rows = parse(text.as_bytes(), 10_000).unwrap();
    let list = changes(&live, &rows).unwrap();
    let kinds: Vec<&str> = list.iter().map(Change::kind).collect();
    assert_eq!(
        kinds,
        ["moveUnit", "archiveUnit", "archiveUnit"],
        "{list:#?}"
    );
    // The sales team (deeper) is archived before its business unit.
    let valves_sales = live
        .lines
        .iter()
        .find(|l| l.unit_id == id_of(&live, "Valves marketing") && l.kind == "SOLID")
        .unwrap()
        .superior_unit_id
        .to_string();
    assert!(matches!(&list[1], Change::ArchiveUnit(c) if c.unit_id.as_str() == valves_sales));
    assert!(matches!(&list[2], Change::ArchiveUnit(c) if c.unit_id.as_str() == valves));
    let after = applied(&live, &list);
    let d = diff(&live, &after, &[], &[]);
    assert_eq!(d.units_archived.len(), 2);
    assert_eq!(d.units_moved.len(), 1);
    assert_eq!(
        changes(&after, &parse(text.as_bytes(), 10_000).unwrap())
            .unwrap()
            .len(),
        0,
        "the file describes the structure the changes make"
    );
}

#[test]
fn a_reshuffled_file_applies_without_a_cycle_and_yields_its_structure() {
    let live = northwind();
    // Turn the tree upside down: Pumps marketing on top, the board under it, the
    // business units under finance; the DOTTED line goes to Valves; heads change.
    let text = csv(&live, |records| {
        row_named(records, "Pumps marketing")[4] = String::new();
        row_named(records, "Pumps marketing")[5] = "Valves".to_owned();
        row_named(records, "Pumps marketing")[6] = String::new();
        row_named(records, "Pumps marketing")[7] = String::new();
        row_named(records, "Executive board")[4] = "Pumps marketing".to_owned();
        row_named(records, "Executive board")[6] = "CEO".to_owned();
        row_named(records, "Pumps")[4] = "Finance, \"group\"".to_owned();
        row_named(records, "Pumps")[3] = "OUTSOURCED".to_owned();
        row_named(records, "Valves")[4] = "Finance, \"group\"".to_owned();
        row_named(records, "Valves marketing")[1] = "Valves marketing team".to_owned();
        row_named(records, "Finance, \"group\"")[6] = "CFO".to_owned();
        row_named(records, "Finance, \"group\"")[7] = "OTHER".to_owned();
    });
    let rows = parse(text.as_bytes(), 10_000).unwrap();
    let list = changes(&live, &rows).unwrap();
    let after = applied(&live, &list);
    let expected: Vec<String> = {
        let reparsed = parse(text.as_bytes(), 10_000).unwrap();
        let mut out: Vec<String> = reparsed
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} <{}> [{}] {:?}",
                    r.name,
                    r.function.as_str(),
                    r.sourcing.as_str(),
                    r.solid_superior.map_or("", |s| reparsed[s].name.as_str()),
                    r.dotted_superiors
                        .iter()
                        .map(|&d| reparsed[d].name.as_str())
                        .collect::<Vec<_>>()
                        .join(";"),
                    r.head
                )
            })
            .collect();
        out.sort();
        out
    };
    assert_eq!(shape(&after), expected, "{list:#?}");
    assert!(changes(&after, &rows).unwrap().is_empty());
    // The head the file drops is archived; the deputy stays.
    assert!(list.iter().any(|c| matches!(c, Change::ArchivePosition(_))));
}

#[test]
fn new_units_are_keyed_by_name_uniquely_and_never_like_an_id() {
    let mut taken = HashSet::new();
    assert_eq!(key_for("Marketing center", &mut taken), "marketing-center");
    assert_eq!(
        key_for("Marketing  Center!", &mut taken),
        "marketing-center-2"
    );
    assert_eq!(key_for("Über-Team", &mut taken), "ber-team");
    assert_eq!(key_for("???", &mut taken), "unit");
    let id = Uuid::now_v7().to_string();
    assert_eq!(key_for(&id, &mut taken), format!("unit-{id}"));
}

#[test]
fn errors_name_the_line_and_column() {
    let header = COLUMNS.join(",");
    let cases = [
        (
            format!("{header}\n,A,EXECUTIVE,,,,,\n,B,NOPE,,A,,,\n"),
            "line[3].function",
        ),
        (
            format!("{header}\n,A,EXECUTIVE,,,,,\n,B,SALES,,Z,,,\n"),
            "line[3].solid_superior",
        ),
        (
            format!("{header}\n,A,EXECUTIVE,,,,,\n,A,SALES,,,,,\n,C,SALES,,A,,,\n"),
            "line[4].solid_superior",
        ),
        (
            format!("{header}\n,A,EXECUTIVE,,C,,,\n,B,SALES,,A,,,\n,C,SALES,,B,,,\n"),
            "line[2].solid_superior",
        ),
        (
            format!("{header}\n,A,EXECUTIVE,,,A,,\n"),
            "line[2].dotted_superiors",
        ),
        (
            format!("{header}\nnot-an-id,A,EXECUTIVE,,,,,\n"),
            "line[2].id",
        ),
        (format!("{header}\n,,EXECUTIVE,,,,,\n"), "line[2].unit"),
        (
            format!("{header}\n,A,EXECUTIVE,,,,Boss,\n"),
            "line[2].head_role",
        ),
        (
            format!("{header}\n,A,EXECUTIVE,,,,Boss,KING\n"),
            "line[2].head_role",
        ),
        (
            format!("{header}\n,A,EXECUTIVE,,,,,CEO\n"),
            "line[2].head_position",
        ),
        (
            format!("{header}\n,A,EXECUTIVE,BORROWED,,,,\n"),
            "line[2].sourcing",
        ),
        (format!("{header}\n,A,EXECUTIVE\n"), "line[2]"),
        (format!("{header}\n,\"A,EXECUTIVE,,,,,\n"), "line[2]"),
        (format!("{header},extra\n"), "header"),
        ("id,unit\n".to_owned(), "header"),
        (String::new(), "header"),
        (
            format!("{header}\n,\"A\0\",EXECUTIVE,,,,,\n"),
            "line[2].unit",
        ),
    ];
    for (text, expected) in cases {
        let (field, message) = error_of(&text);
        assert_eq!(field, expected, "{text:?}: {message}");
        let shown = Error::bad_input(&field, &message).to_string();
        assert!(shown.starts_with(expected), "{shown}");
    }
    let id = Uuid::now_v7();
    let (field, message) = error_of(&format!(
        "{header}\n{id},A,EXECUTIVE,,,,,\n{id},B,SALES,,,,,\n"
    ));
    assert_eq!(field, "line[3].id", "{message}");
}

#[test]
fn a_file_may_order_its_columns_leave_optional_ones_out_and_carry_a_bom() {
    let rows = parse(
        "\u{feff}Unit,Function,solid_superior\nBoard,executive,\nMarketing,MARKETING,Board\n"
            .as_bytes(),
        10,
    )
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].solid_superior, Some(0));
    assert_eq!(rows[1].sourcing, Sourcing::InHouse);
    assert_eq!(rows[0].function, UnitFunction::Executive);
}

#[test]
fn too_many_rows_is_a_limit() {
    let text = format!("{}\n,A,EXECUTIVE,,,,,\n,B,SALES,,A,,,\n", COLUMNS.join(","));
    assert!(matches!(
        parse(text.as_bytes(), 1),
        Err(Error::LimitExceeded(_))
    ));
}

#[test]
fn ids_must_be_active_units_of_the_organization() {
    let live = northwind();
    let header = COLUMNS.join(",");
    let stranger = Uuid::now_v7();
    let rows = parse(
        format!("{header}\n{stranger},A,EXECUTIVE,,,,,\n").as_bytes(),
        10,
    )
    .unwrap();
    let err = changes(&live, &rows).unwrap_err();
    assert_eq!(err.field(), Some("line[2].id"));
    let archived = id_of(&live, "Old team");
    let rows = parse(
        format!("{header}\n{archived},A,EXECUTIVE,,,,,\n").as_bytes(),
        10,
    )
    .unwrap();
    let err = changes(&live, &rows).unwrap_err();
    assert_eq!(err.field(), Some("line[2].id"));
    assert!(err.to_string().contains("archived"), "{err}");
}
