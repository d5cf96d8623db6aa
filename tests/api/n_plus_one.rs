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

async fn statements_for_nested_query(app: &TestApp) -> u64 {
    let before = app.statements();
    let data = app.ok(NESTED, json!({})).await;
    assert!(data["organizations"]["totalCount"].as_u64().unwrap() > 0);
    app.statements() - before
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
