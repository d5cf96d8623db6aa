//! Units and positions.

use serde_json::json;

use crate::helpers::{code, field, on_each_backend};

#[tokio::test]
async fn units_and_positions_nest_under_their_organization() {
    on_each_backend(|app| async move {
        let org = app.create_org("nesting").await;
        let marketing = app.create_unit(&org, "Marketing", "MARKETING").await;
        app.ok(
            "mutation($i: CreatePositionInput!) { createPosition(input: $i) { id } }",
            json!({ "i": { "unitId": marketing, "title": "CMO", "role": "CMO", "responsibilities": ["BRAND", "REVENUE", "BRAND"] } }),
        )
        .await;
        let data = app
            .ok(
                "query($id: ID) { organization(id: $id) { units { name function sourcing positions { title role responsibilities unit { name } } } positions { title } } }",
                json!({ "id": org }),
            )
            .await;
        let unit = &data["organization"]["units"][0];
        assert_eq!(unit["function"], "MARKETING");
        assert_eq!(unit["sourcing"], "IN_HOUSE", "in-house is the default");
        assert_eq!(unit["positions"][0]["responsibilities"], json!(["BRAND", "REVENUE"]), "deduplicated");
        assert_eq!(unit["positions"][0]["unit"]["name"], "Marketing");
        assert_eq!(data["organization"]["positions"][0]["title"], "CMO");
    })
    .await;
}

#[tokio::test]
async fn a_unit_in_an_unknown_organization_is_refused() {
    on_each_backend(|app| async move {
        let error = app
            .error(
                "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }",
                json!({ "i": { "organizationId": uuid::Uuid::now_v7().to_string(), "name": "x", "function": "SALES" } }),
            )
            .await;
        assert_eq!(code(&error), "NOT_FOUND");
        assert_eq!(field(&error), "input.organizationId");
        let error = app
            .error(
                "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }",
                json!({ "i": { "organizationId": "not-a-uuid", "name": "x", "function": "SALES" } }),
            )
            .await;
        assert_eq!(field(&error), "input.organizationId");
    })
    .await;
}

#[tokio::test]
async fn a_unit_with_current_lines_cannot_be_archived_until_they_end() {
    on_each_backend(|app| async move {
        let org = app.create_org("archiving").await;
        let ceo = app.create_unit(&org, "Executive", "EXECUTIVE").await;
        let sales = app.create_unit(&org, "Sales", "SALES").await;
        let line = app.add_line(&sales, &ceo, "SOLID", "2024-01-01", None).await;
        let line_id = line["data"]["addReportingLine"]["id"].as_str().unwrap().to_owned();
        let archive = "mutation($i: UpdateUnitInput!) { updateUnit(input: $i) { archived version } }";
        let error = app.error(archive, json!({ "i": { "id": sales, "version": 1, "archived": true } })).await;
        assert_eq!(code(&error), "CONFLICT");
        assert_eq!(field(&error), "input.archived");

        app.ok(
            "mutation($i: EndReportingLineInput!) { endReportingLine(input: $i) { effectiveTo } }",
            json!({ "i": { "id": line_id, "version": 1, "effectiveTo": "2024-06-01" } }),
        )
        .await;
        let archived = app.ok(archive, json!({ "i": { "id": sales, "version": 1, "archived": true } })).await;
        assert_eq!(archived["updateUnit"]["archived"], true);
        let listed = app.ok("query($id: ID) { organization(id: $id) { units { name } all: units(includeArchived: true) { name } } }", json!({ "id": org })).await;
        assert_eq!(listed["organization"]["units"].as_array().unwrap().len(), 1);
        assert_eq!(listed["organization"]["all"].as_array().unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_position_cannot_move_to_a_unit_of_another_organization() {
    on_each_backend(|app| async move {
        let org_a = app.create_org("org-a").await;
        let org_b = app.create_org("org-b").await;
        let unit_a = app.create_unit(&org_a, "Marketing", "MARKETING").await;
        let unit_b = app.create_unit(&org_b, "Marketing", "MARKETING").await;
        let created = app
            .ok(
                "mutation($i: CreatePositionInput!) { createPosition(input: $i) { id } }",
                json!({ "i": { "unitId": unit_a, "title": "Head of marketing", "role": "HEAD" } }),
            )
            .await;
        let id = created["createPosition"]["id"].as_str().unwrap();
        let error = app
            .error(
                "mutation($i: UpdatePositionInput!) { updatePosition(input: $i) { id } }",
                json!({ "i": { "id": id, "version": 1, "unitId": unit_b } }),
            )
            .await;
        assert_eq!(code(&error), "NOT_FOUND");
        assert_eq!(field(&error), "input.unitId");
    })
    .await;
}

#[tokio::test]
async fn an_organization_holds_at_most_the_configured_number_of_units() {
    for backend in crate::helpers::backends() {
        let app = crate::helpers::spawn_app_with(backend, |s| {
            s.limits.max_units_per_organization = 2;
            s.limits.max_positions_per_unit = 1;
        })
        .await;
        let org = app.create_org("capped").await;
        let unit = app.create_unit(&org, "One", "SALES").await;
        app.create_unit(&org, "Two", "SALES").await;
        let error = app
            .error(
                "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }",
                json!({ "i": { "organizationId": org, "name": "Three", "function": "SALES" } }),
            )
            .await;
        assert_eq!(code(&error), "LIMIT_EXCEEDED", "{backend:?}");
        let position = "mutation($i: CreatePositionInput!) { createPosition(input: $i) { id } }";
        app.ok(
            position,
            json!({ "i": { "unitId": unit, "title": "Head", "role": "HEAD" } }),
        )
        .await;
        let error = app
            .error(
                position,
                json!({ "i": { "unitId": unit, "title": "Deputy", "role": "OTHER" } }),
            )
            .await;
        assert_eq!(code(&error), "LIMIT_EXCEEDED", "{backend:?}");
    }
}
