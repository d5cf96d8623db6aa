//! Applying changes and diffing, over hand-built snapshots (no database).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use entity::{org_unit, position, reporting_line};
use uuid::Uuid;

use super::{
    apply::{Draft, Limits},
    change::*,
    diff::diff,
};
use crate::{
    CollaborationModel, PositionRole, Sourcing, UnitFunction,
    insights::{
        self, Snapshot,
        tests::{head, line, snapshot_on, unit},
    },
};

const LIMITS: Limits = Limits {
    max_units: 100,
    max_positions: 10,
};

fn snapshot(
    units: Vec<org_unit::Model>,
    positions: Vec<position::Model>,
    lines: Vec<reporting_line::Model>,
) -> Snapshot {
    let as_of = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
    snapshot_on(as_of, units, positions, lines)
}

fn id(u: &org_unit::Model) -> String {
    u.id.to_string()
}

/// CEO → Sales → Marketing: marketing under sales.
struct Fixture {
    ceo: org_unit::Model,
    sales: org_unit::Model,
    marketing: org_unit::Model,
    live: Snapshot,
}

fn fixture() -> Fixture {
    let ceo = unit("CEO office", "EXECUTIVE", "IN_HOUSE");
    let sales = unit("Sales", "SALES", "IN_HOUSE");
    let marketing = unit("Marketing", "MARKETING", "IN_HOUSE");
    let lines = vec![
        line(&sales, &ceo, "SOLID"),
        line(&marketing, &sales, "SOLID"),
    ];
    let positions = vec![head(&ceo, "CEO")];
    let live = snapshot(
        vec![ceo.clone(), sales.clone(), marketing.clone()],
        positions,
        lines,
    );
    Fixture {
        ceo,
        sales,
        marketing,
        live,
    }
}

/// Moves `unit` under `superior` (a new SOLID line).
fn move_unit(unit: &org_unit::Model, superior: &org_unit::Model) -> Change {
    Change::MoveUnit(MoveUnitChange {
        unit_id: id(unit),
        superior_unit_id: id(superior),
    })
}

fn draft(live: &Snapshot) -> Draft {
    Draft::new(Uuid::now_v7(), live.clone(), Utc::now())
}

#[test]
fn moving_marketing_out_of_sales_changes_the_model_and_resolves_the_insight() {
    let f = fixture();
    let mut d = draft(&f.live);
    d.apply("changes[0]", &move_unit(&f.marketing, &f.ceo), LIMITS)
        .unwrap();
    d.apply(
        "changes[1]",
        &Change::AddDottedLine(AddDottedLineChange {
            unit_id: id(&f.marketing),
            superior_unit_id: id(&f.sales),
        }),
        LIMITS,
    )
    .unwrap();
    let (after, _) = d.finish();
    assert_eq!(
        after.model.overall,
        Some(CollaborationModel::IndependentMatrix)
    );
    let (before_insights, after_insights) = (
        insights::evaluate(&f.live, None),
        insights::evaluate(&after, None),
    );
    let d = diff(&f.live, &after, &before_insights, &after_insights);
    assert_eq!(d.units_moved.len(), 1);
    assert_eq!(d.units_moved[0].from, Some(f.sales.id));
    assert_eq!(d.units_moved[0].to, Some(f.ceo.id));
    assert_eq!(d.lines_added.len(), 2);
    assert_eq!(d.lines_ended.len(), 1);
    assert_eq!(d.model_before, Some(CollaborationModel::ReportsToSales));
    assert!(
        d.insights_resolved
            .iter()
            .any(|i| i.code == "MARKETING_REPORTS_TO_SALES")
    );
    assert!(
        !d.insights_introduced
            .iter()
            .any(|i| i.code == "MARKETING_REPORTS_TO_SALES")
    );
    // Depth: marketing was two steps down, now one; the CEO's span grows.
    assert_eq!(d.shape_before.max_depth, 2);
    assert_eq!(d.shape_after.max_depth, 1);
    let ceo = d.changed_units.iter().find(|c| c.unit == f.ceo.id).unwrap();
    assert_eq!((ceo.span_before, ceo.span_after), (Some(1), Some(2)));
    // The live snapshot is untouched.
    assert_eq!(f.live.lines.len(), 2);
}

#[test]
fn a_move_under_its_own_subordinate_is_refused_with_its_place_and_field() {
    let f = fixture();
    let mut d = draft(&f.live);
    let err = d
        .apply("changes[3]", &move_unit(&f.sales, &f.marketing), LIMITS)
        .unwrap_err();
    assert_eq!(err.field(), Some("changes[3].superiorUnitId"));
    assert_eq!(err.code(), "BAD_USER_INPUT");
    // And nothing changed.
    let (after, _) = d.finish();
    assert_eq!(after.lines, f.live.lines);
}

#[test]
fn a_created_unit_is_named_by_its_key_and_gets_a_stable_id() {
    let f = fixture();
    let scenario = Uuid::now_v7();
    let changes = [
        Change::CreateUnit(CreateUnitChange {
            key: "brand-studio".to_owned(),
            name: "Brand studio".to_owned(),
            function: UnitFunction::Marketing,
            sourcing: Sourcing::Outsourced,
            description: None,
            superior_unit_id: Some(id(&f.ceo)),
        }),
        Change::CreatePosition(CreatePositionChange {
            key: Some("lead".to_owned()),
            unit_id: "brand-studio".to_owned(),
            title: "Agency lead".to_owned(),
            role: PositionRole::Head,
            holder_name: None,
            responsibilities: Vec::new(),
        }),
    ];
    let run = || {
        let mut d = Draft::new(scenario, f.live.clone(), Utc::now());
        for (i, c) in changes.iter().enumerate() {
            d.apply(&format!("changes[{i}]"), c, LIMITS).unwrap();
        }
        d.finish()
    };
    let (first, keys) = run();
    let (second, _) = run();
    let studio = keys["brand-studio"];
    assert!(first.units.iter().any(|u| u.id == studio));
    assert_eq!(
        first.units.iter().map(|u| u.id).collect::<Vec<_>>(),
        second.units.iter().map(|u| u.id).collect::<Vec<_>>(),
        "the same draft names its new units the same"
    );
    assert!(
        first
            .positions
            .iter()
            .any(|p| p.unit_id == studio && p.title == "Agency lead")
    );
    // An outsourced marketing unit beside the in-house one: MIXED.
    assert_eq!(first.model.overall, Some(CollaborationModel::Mixed));

    // A key used twice, or one that is an id, is refused.
    let mut d = draft(&f.live);
    d.apply("changes[0]", &changes[0], LIMITS).unwrap();
    let again = d.apply("changes[1]", &changes[0], LIMITS).unwrap_err();
    assert_eq!(again.field(), Some("changes[1].key"));
    let mut as_id = changes[0].clone();
    if let Change::CreateUnit(c) = &mut as_id {
        c.key = Uuid::now_v7().to_string();
    }
    let refused = draft(&f.live)
        .apply("changes[0]", &as_id, LIMITS)
        .unwrap_err();
    assert_eq!(refused.field(), Some("changes[0].key"));
}

#[test]
fn archiving_a_unit_with_reports_is_refused_until_they_move() {
    let f = fixture();
    let mut d = draft(&f.live);
    let archive_sales = Change::ArchiveUnit(ArchiveUnitChange {
        unit_id: id(&f.sales),
    });
    let err = d.apply("changes[0]", &archive_sales, LIMITS).unwrap_err();
    assert_eq!(err.field(), Some("changes[0].unitId"));
    d.apply("changes[0]", &move_unit(&f.marketing, &f.ceo), LIMITS)
        .unwrap();
    d.apply("changes[1]", &archive_sales, LIMITS).unwrap();
    let (after, _) = d.finish();
    let d = diff(&f.live, &after, &[], &[]);
    assert_eq!(d.units_archived, vec![f.sales.id]);
    assert!(after.lines.iter().all(|l| l.unit_id != f.sales.id));
    // A change naming the archived unit afterwards is refused.
    let mut d2 = Draft::new(Uuid::now_v7(), after, Utc::now());
    let err = d2
        .apply(
            "changes[2]",
            &Change::UpdateUnit(UpdateUnitChange {
                unit_id: id(&f.sales),
                name: Some("Old sales".to_owned()),
                function: None,
                sourcing: None,
            }),
            LIMITS,
        )
        .unwrap_err();
    assert_eq!(err.field(), Some("changes[2].unitId"));
}

#[test]
fn the_unit_limit_and_text_rules_hold_in_a_draft() {
    let f = fixture();
    let tight = Limits {
        max_units: 3,
        max_positions: 1,
    };
    let create = Change::CreateUnit(CreateUnitChange {
        key: "x".to_owned(),
        name: "X".to_owned(),
        function: UnitFunction::Other,
        sourcing: Sourcing::InHouse,
        description: None,
        superior_unit_id: None,
    });
    let err = draft(&f.live)
        .apply("changes[0]", &create, tight)
        .unwrap_err();
    assert_eq!(err.code(), "LIMIT_EXCEEDED");
    let mut bad = create.clone();
    if let Change::CreateUnit(c) = &mut bad {
        c.name = "nul\u{0}".to_owned();
    }
    let err = draft(&f.live)
        .apply("changes[0]", &bad, LIMITS)
        .unwrap_err();
    assert_eq!(err.field(), Some("changes[0].name"));
}

#[test]
fn an_empty_scenario_has_an_empty_diff() {
    let f = fixture();
    let (after, _) = draft(&f.live).finish();
    let i = insights::evaluate(&f.live, None);
    let d = diff(&f.live, &after, &i, &insights::evaluate(&after, None));
    assert!(d.is_empty());
    assert_eq!(d.shape_before, d.shape_after);
}

#[test]
fn changes_round_trip_through_their_stored_json() {
    let f = fixture();
    let changes = vec![
        move_unit(&f.marketing, &f.ceo),
        Change::CreatePosition(CreatePositionChange {
            key: None,
            unit_id: id(&f.marketing),
            title: "CMO".to_owned(),
            role: PositionRole::Cmo,
            holder_name: None,
            responsibilities: vec![crate::Responsibility::Brand],
        }),
    ];
    let json = to_json(&changes);
    assert_eq!(json[0]["moveUnit"]["unitId"], f.marketing.id.to_string());
    assert_eq!(json[1]["createPosition"]["role"], "CMO");
    assert_eq!(from_json(&json).unwrap(), changes);
}
