//! Each rule on its own, over hand-built snapshots.

use chrono::{NaiveDate, Utc};
use entity::{org_unit, position, reporting_line};
use uuid::Uuid;

use super::{
    model::infer,
    rules::{self, Snapshot},
};
use crate::CollaborationModel;

pub(crate) fn unit(name: &str, function: &str, sourcing: &str) -> org_unit::Model {
    org_unit::Model {
        id: Uuid::now_v7(),
        organization_id: Uuid::nil(),
        name: name.to_owned(),
        function: function.to_owned(),
        sourcing: sourcing.to_owned(),
        description: None,
        effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
        effective_to: None,
        archived: false,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        version: 1,
    }
}

pub(crate) fn line(
    unit: &org_unit::Model,
    superior: &org_unit::Model,
    kind: &str,
) -> reporting_line::Model {
    reporting_line::Model {
        id: Uuid::now_v7(),
        organization_id: Uuid::nil(),
        unit_id: unit.id,
        superior_unit_id: superior.id,
        kind: kind.to_owned(),
        effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
        effective_to: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        version: 1,
    }
}

pub(crate) fn head(unit: &org_unit::Model, role: &str) -> position::Model {
    position::Model {
        id: Uuid::now_v7(),
        organization_id: Uuid::nil(),
        unit_id: unit.id,
        title: role.to_owned(),
        role: role.to_owned(),
        holder_name: None,
        responsibilities: serde_json::json!([]),
        effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
        effective_to: None,
        archived: false,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        version: 1,
    }
}

/// A snapshot of `units`, `positions` and `lines` on `as_of`, its model inferred, and
/// nothing else recorded (no stage, KPIs, priorities or stakeholders): the fixture the
/// pure tests of insights, scenarios and charts build on.
pub(crate) fn snapshot_on(
    as_of: NaiveDate,
    units: Vec<org_unit::Model>,
    positions: Vec<position::Model>,
    lines: Vec<reporting_line::Model>,
) -> Snapshot {
    let model = infer(&units, &positions, &lines);
    Snapshot {
        units,
        positions,
        lines,
        model,
        as_of,
        declared_stage: None,
        core_kpis: Vec::new(),
        priorities: Vec::new(),
        stakeholders: Vec::new(),
        relationships: Vec::new(),
    }
}

pub(crate) fn snapshot(
    units: Vec<org_unit::Model>,
    positions: Vec<position::Model>,
    lines: Vec<reporting_line::Model>,
) -> Snapshot {
    let as_of = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap_or_default();
    Snapshot {
        // Every priority assessed well, so structure tests see only structure rules.
        priorities: crate::PriorityKey::ALL
            .iter()
            .map(|k| entity::priority_assessment::Model {
                id: Uuid::now_v7(),
                organization_id: Uuid::nil(),
                priority: k.as_str().to_owned(),
                score: 80,
                weight: 1,
                owner_unit_id: None,
                notes: None,
                assessed_at: Utc::now(),
                assessed_by: None,
                created_at: Utc::now(),
            })
            .collect(),
        ..snapshot_on(as_of, units, positions, lines)
    }
}

/// The codes of every rule but the relationship one, which has its own test (these
/// snapshots track no relationships).
fn codes(s: &Snapshot) -> Vec<&'static str> {
    rules::all(s)
        .into_iter()
        .map(|i| i.code)
        .filter(|c| *c != "MISSING_KEY_RELATIONSHIP")
        .collect()
}

#[test]
fn marketing_under_two_sales_teams_is_duplicated_and_reports_to_sales() {
    let exec = unit("Exec", "EXECUTIVE", "IN_HOUSE");
    let (bu_a, bu_b) = (
        unit("BU A", "BUSINESS_UNIT", "IN_HOUSE"),
        unit("BU B", "BUSINESS_UNIT", "IN_HOUSE"),
    );
    let (sales_a, sales_b) = (
        unit("Sales A", "SALES", "IN_HOUSE"),
        unit("Sales B", "SALES", "IN_HOUSE"),
    );
    let (mkt_a, mkt_b) = (
        unit("Mkt A", "MARKETING", "IN_HOUSE"),
        unit("Mkt B", "MARKETING", "IN_HOUSE"),
    );
    let lines = vec![
        line(&bu_a, &exec, "SOLID"),
        line(&bu_b, &exec, "SOLID"),
        line(&sales_a, &bu_a, "SOLID"),
        line(&sales_b, &bu_b, "SOLID"),
        line(&mkt_a, &sales_a, "SOLID"),
        line(&mkt_b, &sales_b, "SOLID"),
    ];
    let to_sales = lines[4].id;
    let s = snapshot(
        vec![exec, bu_a, bu_b, sales_a, sales_b, mkt_a.clone(), mkt_b],
        vec![],
        lines,
    );
    assert_eq!(s.model.overall, Some(CollaborationModel::ReportsToSales));
    assert_eq!(
        codes(&s),
        [
            "MARKETING_REPORTS_TO_SALES",
            "MARKETING_REPORTS_TO_SALES",
            "MARKETING_DUPLICATED_ACROSS_UNITS"
        ]
    );
    let first = &rules::marketing_reports_to_sales(&s)[0];
    assert!(first.evidence.contains(&mkt_a.id) && first.evidence.contains(&to_sales));
}

#[test]
fn an_independent_center_with_dotted_lines_is_a_matrix_and_raises_nothing() {
    let exec = unit("Exec", "EXECUTIVE", "IN_HOUSE");
    let bu = unit("BU", "BUSINESS_UNIT", "IN_HOUSE");
    let marketing = unit("Marketing", "MARKETING", "IN_HOUSE");
    let brand = unit("Brand", "MARKETING", "IN_HOUSE");
    let lines = vec![
        line(&bu, &exec, "SOLID"),
        line(&marketing, &exec, "SOLID"),
        line(&brand, &marketing, "SOLID"),
        line(&marketing, &bu, "DOTTED"),
    ];
    let cmo = head(&marketing, "CMO");
    let s = snapshot(vec![exec, bu, marketing, brand], vec![cmo], lines);
    assert_eq!(
        s.model.branches.len(),
        1,
        "the brand team follows its branch"
    );
    assert_eq!(s.model.overall, Some(CollaborationModel::IndependentMatrix));
    assert!(codes(&s).is_empty());
}

#[test]
fn outsourced_marketing_and_a_commercial_lead_without_cmo_are_named() {
    let exec = unit("Exec", "EXECUTIVE", "IN_HOUSE");
    let agency = unit("Agency", "MARKETING", "OUTSOURCED");
    let s = snapshot(
        vec![exec.clone(), agency.clone()],
        vec![],
        vec![line(&agency, &exec, "SOLID")],
    );
    assert_eq!(codes(&s), ["MARKETING_OUTSOURCED"]);

    let commercial = unit("Commercial", "COMMERCIAL", "IN_HOUSE");
    let marketing = unit("Marketing", "MARKETING", "IN_HOUSE");
    let cco = head(&commercial, "CCO");
    let lines = vec![
        line(&commercial, &exec, "SOLID"),
        line(&marketing, &commercial, "SOLID"),
    ];
    let s = snapshot(vec![exec, commercial, marketing], vec![cco.clone()], lines);
    assert_eq!(
        s.model.overall,
        Some(CollaborationModel::CommercialLeadership)
    );
    let insights = rules::no_cmo_commercial_leadership(&s);
    assert_eq!(insights.len(), 1);
    assert!(
        insights[0].evidence.contains(&cco.id),
        "the commercial leader is evidence"
    );
}

#[test]
fn sales_under_marketing_and_mixed_branches_are_told_apart() {
    let exec = unit("Exec", "EXECUTIVE", "IN_HOUSE");
    let marketing = unit("Marketing", "MARKETING", "IN_HOUSE");
    let sales = unit("Sales", "SALES", "IN_HOUSE");
    let agency = unit("Agency", "MARKETING", "SUBSIDIARY");
    let lines = vec![
        line(&marketing, &exec, "SOLID"),
        line(&sales, &marketing, "SOLID"),
        line(&agency, &exec, "SOLID"),
    ];
    let s = snapshot(vec![exec, marketing, sales, agency], vec![], lines);
    let models: Vec<_> = s.model.branches.iter().map(|b| b.model).collect();
    assert!(models.contains(&CollaborationModel::SalesReportsToMarketing));
    assert!(models.contains(&CollaborationModel::Outsourced));
    assert_eq!(s.model.overall, Some(CollaborationModel::Mixed));
}

#[test]
fn units_reporting_to_no_one_beside_the_top_are_orphans() {
    let exec = unit("Exec", "EXECUTIVE", "IN_HOUSE");
    let sales = unit("Sales", "SALES", "IN_HOUSE");
    let lost = unit("Lost team", "OTHER", "IN_HOUSE");
    let s = snapshot(
        vec![exec.clone(), sales.clone(), lost.clone()],
        vec![],
        vec![line(&sales, &exec, "SOLID")],
    );
    let orphans = rules::several_tops(&s);
    assert_eq!(orphans.len(), 1);
    assert_eq!(orphans[0].evidence, vec![lost.id]);
    assert!(
        snapshot(vec![], vec![], vec![]).model.overall.is_none(),
        "no marketing unit, no model"
    );
}

fn core(
    key: &str,
    stage: crate::StageKey,
    latest: Option<(i32, u32, u32)>,
) -> crate::maturity::evidence::CoreKpi {
    crate::maturity::evidence::CoreKpi {
        id: Uuid::now_v7(),
        key: key.to_owned(),
        stage,
        latest: latest.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
    }
}

#[test]
fn a_declared_stage_is_checked_against_the_kpi_data() {
    use crate::StageKey::*;
    let mut s = snapshot(vec![], vec![], vec![]);
    let assessment = Uuid::now_v7();
    s.core_kpis = vec![
        core("budget_utilisation", Traditional, Some((2024, 6, 1))),
        core("mqls", LeadGeneration, Some((2024, 6, 1))),
        core("pipeline_generated", Opportunity, None),
    ];
    s.declared_stage = Some((assessment, Opportunity));
    let missing = rules::declared_stage_without_evidence(&s);
    assert_eq!(missing.len(), 1);
    assert!(missing[0].evidence.contains(&assessment));
    assert!(rules::evidence_ahead_of_declared(&s).is_empty());

    s.declared_stage = Some((assessment, Traditional));
    let ahead = rules::evidence_ahead_of_declared(&s);
    assert_eq!(ahead[0].code, "EVIDENCE_AHEAD_OF_DECLARED_STAGE");
    assert!(rules::declared_stage_without_evidence(&s).is_empty());
}

#[test]
fn the_revenue_stage_needs_a_marketing_head_with_revenue_responsibility() {
    let marketing = unit("Marketing", "MARKETING", "IN_HOUSE");
    let mut cmo = head(&marketing, "CMO");
    let mut s = snapshot(vec![marketing], vec![cmo.clone()], vec![]);
    s.declared_stage = Some((Uuid::now_v7(), crate::StageKey::Revenue));
    let found = rules::revenue_stage_without_revenue_owner(&s);
    assert_eq!(found.len(), 1);
    assert!(found[0].evidence.contains(&cmo.id));
    cmo.responsibilities = serde_json::json!(["BRAND", "REVENUE"]);
    s.positions = vec![cmo];
    assert!(rules::revenue_stage_without_revenue_owner(&s).is_empty());
}

#[test]
fn marketing_without_ties_to_finance_it_or_the_line_of_business_is_told_which() {
    let exec = unit("Exec", "EXECUTIVE", "IN_HOUSE");
    let marketing = unit("Marketing", "MARKETING", "IN_HOUSE");
    let finance = unit("Finance", "FINANCE", "IN_HOUSE");
    let lines = vec![
        line(&marketing, &exec, "SOLID"),
        line(&finance, &exec, "SOLID"),
    ];
    let mut s = snapshot(
        vec![exec, marketing.clone(), finance.clone()],
        vec![],
        lines,
    );
    assert_eq!(rules::missing_key_relationships(&s).len(), 3);
    let stakeholder = entity::stakeholder::Model {
        id: Uuid::now_v7(),
        organization_id: Uuid::nil(),
        name: "Group finance".to_owned(),
        kind: "INTERNAL".to_owned(),
        unit_id: Some(finance.id),
        group: None,
        archived: false,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        version: 1,
    };
    s.relationships = vec![entity::relationship::Model {
        id: Uuid::now_v7(),
        organization_id: Uuid::nil(),
        owner_unit_id: marketing.id,
        stakeholder_id: stakeholder.id,
        trust_score: 70,
        strength: "STRONG".to_owned(),
        last_reviewed_at: None,
        notes: None,
        archived: false,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        version: 1,
    }];
    s.stakeholders = vec![stakeholder];
    let left: Vec<String> = rules::missing_key_relationships(&s)
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(left.len(), 2, "finance is covered now: {left:?}");
    assert!(left.iter().all(|t| !t.contains("finance")));
}
