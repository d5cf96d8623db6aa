//! A nested query runs a constant number of SQL statements however many rows it walks.

use serde_json::json;

use crate::helpers::{TestApp, on_each_backend};

async fn add_organizations(app: &TestApp, prefix: &str, orgs: usize, units: usize) {
    for o in 0..orgs {
        let org = app.create_org(&format!("{prefix}-{o}")).await;
        let top = app.create_unit(&org, "Executive", "EXECUTIVE").await;
        for u in 0..units {
            let unit = app
                .create_unit(&org, &format!("Unit {u}"), "MARKETING")
                .await;
            app.ok(
                "mutation($i: CreatePositionInput!) { createPosition(input: $i) { id } }",
                json!({ "i": { "unitId": unit, "title": format!("Head {u}"), "role": "HEAD" } }),
            )
            .await;
            let line = app.add_line(&unit, &top, "SOLID", "2024-01-01", None).await;
            assert!(line["errors"].is_null(), "{line}");
        }
    }
}

const NESTED: &str = "{ organizations(first: 100) { totalCount edges { node { name
    units { name function positions { title role unit { name } }
            reportingLines { kind superiorUnit { name } }
            superior { name } spanOfControl depth }
    positions { title }
    reportingLines { unit { name } } } } } }";

/// The statements the nested query needs: the fewest of three runs. A DataLoader
/// batches the keys that arrive within its window; on a loaded machine a level's keys
/// can now and then straddle two windows and cost one statement more, which says
/// nothing about rows. Growing with rows would show in every run.
async fn statements_for_nested_query(app: &TestApp) -> u64 {
    let mut fewest = u64::MAX;
    for _ in 0..3 {
        let before = app.statements();
        let data = app.ok(NESTED, json!({})).await;
        assert!(data["organizations"]["totalCount"].as_u64().unwrap() > 0);
        fewest = fewest.min(app.statements() - before);
    }
    fewest
}

#[tokio::test]
async fn the_statement_count_of_a_nested_query_does_not_grow_with_rows() {
    on_each_backend(|app| async move {
        add_organizations(&app, "small", 2, 5).await;
        let small = statements_for_nested_query(&app).await;
        add_organizations(&app, "large", 4, 30).await;
        let large = statements_for_nested_query(&app).await;
        assert!(small > 0, "statements are counted");
        assert_eq!(
            small, large,
            "2 orgs x 5 units took {small} statements, 6 orgs x ~90 units took {large}"
        );
        assert!(large <= 12, "one statement per relation level, got {large}");
    })
    .await;
}

const EXPLAIN: &str = "query($id: ID) { organization(id: $id) {
    insights { code evidence } chart(format: SVG)
    collaborationModel { inferred } } }";

/// One organization with `units` marketing units under an executive, a head in each,
/// and `points` KPI points spread over them.
async fn explained_organization(
    app: &TestApp,
    slug: &str,
    units: usize,
    points: usize,
) -> (String, u64) {
    let org = app.create_org(slug).await;
    let top = app.create_unit(&org, "Executive", "EXECUTIVE").await;
    let mut ids = Vec::new();
    for u in 0..units {
        let unit = app
            .create_unit(&org, &format!("Unit {u}"), "MARKETING")
            .await;
        app.ok(
            "mutation($i: CreatePositionInput!) { createPosition(input: $i) { id } }",
            json!({ "i": { "unitId": unit, "title": format!("Head {u}"), "role": "HEAD" } }),
        )
        .await;
        app.add_line(&unit, &top, "SOLID", "2024-01-01", None).await;
        ids.push(unit);
    }
    let kpis = ["inquiries", "mqls", "cost_per_lead", "sals", "sqls"];
    let today = chrono::Utc::now().date_naive();
    let batch: Vec<serde_json::Value> = (0..points)
        .map(|i| {
            let day = today - chrono::Duration::days((i / (kpis.len() * ids.len())) as i64);
            json!({ "kpi": kpis[i % kpis.len()], "unitId": ids[(i / kpis.len()) % ids.len()], "granularity": "DAY",
                    "periodStart": day.to_string(), "value": "1", "source": "crm" })
        })
        .collect();
    app.ok(
        "mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted } }",
        json!({ "o": org, "p": batch }),
    )
    .await;
    app.ok(
        "mutation($i: DeclareStageInput!) { declareStage(input: $i) { id } }",
        json!({ "i": { "organizationId": org, "stage": "REVENUE" } }),
    )
    .await;
    let before = app.statements();
    let data = app.ok(EXPLAIN, json!({ "id": org })).await;
    let statements = app.statements() - before;
    assert!(
        !data["organization"]["insights"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    (org, statements)
}

#[tokio::test]
async fn insights_and_the_chart_run_a_fixed_number_of_statements_whatever_the_size() {
    on_each_backend(|app| async move {
        let (_, small) = explained_organization(&app, "explained-small", 2, 20).await;
        let (_, large) = explained_organization(&app, "explained-large", 40, 2_000).await;
        assert!(small > 0, "statements are counted");
        assert_eq!(
            small, large,
            "2 units took {small} statements, 40 units and 2,000 points took {large}"
        );
        // The lookup, then one snapshot both fields share (units, positions, lines,
        // stage, core KPIs, priorities, stakeholders, relationships).
        assert_eq!(large, 1 + 8, "got {large}");
    })
    .await;
}
