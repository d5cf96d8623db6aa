//! Reporting lines and the structure's invariants.

use serde_json::{Value, json};

use crate::helpers::{TestApp, code, field, on_each_backend};

async fn line_count(app: &TestApp, org: &str) -> usize {
    let data = app
        .ok(
            "query($id: ID) { organization(id: $id) { units(includeArchived: true) { lineHistory { id } } } }",
            json!({ "id": org }),
        )
        .await;
    data["organization"]["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["lineHistory"].as_array().unwrap().len())
        .sum()
}

fn first_error(body: &Value) -> &Value {
    &body["errors"][0]
}

#[tokio::test]
async fn a_second_current_solid_superior_is_refused_and_nothing_is_written() {
    on_each_backend(|app| async move {
        let org = app.create_org("one-superior").await;
        let ceo = app.create_unit(&org, "Executive", "EXECUTIVE").await;
        let sales = app.create_unit(&org, "Sales", "SALES").await;
        let marketing = app.create_unit(&org, "Marketing", "MARKETING").await;
        assert!(
            app.add_line(&marketing, &ceo, "SOLID", "2024-01-01", None)
                .await["errors"]
                .is_null()
        );

        let second = app
            .add_line(&marketing, &sales, "SOLID", "2024-03-01", None)
            .await;
        assert_eq!(code(first_error(&second)), "CONFLICT");
        assert_eq!(field(first_error(&second)), "input.effectiveFrom");
        // A SOLID line that overlaps in the past is refused too.
        let past = app
            .add_line(
                &marketing,
                &sales,
                "SOLID",
                "2023-01-01",
                Some("2024-02-01"),
            )
            .await;
        assert_eq!(code(first_error(&past)), "CONFLICT");
        // A DOTTED line to sales is fine: matrix lines do not command.
        let dotted = app
            .add_line(&marketing, &sales, "DOTTED", "2024-03-01", None)
            .await;
        assert!(dotted["errors"].is_null(), "{dotted}");
        assert_eq!(line_count(&app, &org).await, 2);
    })
    .await;
}

#[tokio::test]
async fn solid_lines_never_form_a_cycle_on_any_date() {
    on_each_backend(|app| async move {
        let org = app.create_org("no-cycles").await;
        let a = app.create_unit(&org, "A", "EXECUTIVE").await;
        let b = app.create_unit(&org, "B", "SALES").await;
        let c = app.create_unit(&org, "C", "MARKETING").await;
        assert!(app.add_line(&b, &a, "SOLID", "2024-01-01", None).await["errors"].is_null());
        assert!(app.add_line(&c, &b, "SOLID", "2024-01-01", None).await["errors"].is_null());

        let cycle = app.add_line(&a, &c, "SOLID", "2024-05-01", None).await;
        assert_eq!(code(first_error(&cycle)), "CONFLICT");
        assert_eq!(field(first_error(&cycle)), "input.superiorUnitId");
        // Before B reported to A there was no path from C up to A: no cycle then.
        let earlier = app
            .add_line(&a, &c, "SOLID", "2023-01-01", Some("2024-01-01"))
            .await;
        assert!(earlier["errors"].is_null(), "{earlier}");
        // ...but stretching it one day into 2024 closes the loop.
        let id = earlier["data"]["addReportingLine"]["id"].as_str().unwrap();
        let stretched = app
            .graphql(
                "mutation($i: EndReportingLineInput!) { endReportingLine(input: $i) { id } }",
                json!({ "i": { "id": id, "version": 1, "effectiveTo": "2024-01-02" } }),
            )
            .await;
        assert_eq!(code(first_error(&stretched)), "CONFLICT");
        let own = app.add_line(&a, &a, "DOTTED", "2024-01-01", None).await;
        assert_eq!(code(first_error(&own)), "BAD_USER_INPUT");
        assert_eq!(line_count(&app, &org).await, 3);
    })
    .await;
}

#[tokio::test]
async fn lines_join_units_of_one_organization_only() {
    on_each_backend(|app| async move {
        let org_a = app.create_org("tenant-a").await;
        let org_b = app.create_org("tenant-b").await;
        let a = app.create_unit(&org_a, "Marketing", "MARKETING").await;
        let b = app.create_unit(&org_b, "Sales", "SALES").await;
        let body = app.add_line(&a, &b, "SOLID", "2024-01-01", None).await;
        assert_eq!(code(first_error(&body)), "BAD_USER_INPUT");
        assert_eq!(field(first_error(&body)), "input.superiorUnitId");
        assert_eq!(line_count(&app, &org_a).await, 0);
    })
    .await;
}

#[tokio::test]
async fn an_end_before_the_start_is_refused() {
    on_each_backend(|app| async move {
        let org = app.create_org("dates").await;
        let a = app.create_unit(&org, "A", "EXECUTIVE").await;
        let b = app.create_unit(&org, "B", "SALES").await;
        for to in ["2024-01-01", "2023-12-31"] {
            let body = app.add_line(&b, &a, "SOLID", "2024-01-01", Some(to)).await;
            assert_eq!(code(first_error(&body)), "BAD_USER_INPUT");
            assert_eq!(field(first_error(&body)), "input.effectiveTo");
        }
        let far = app.add_line(&b, &a, "SOLID", "9999-01-01", None).await;
        assert_eq!(field(first_error(&far)), "input.effectiveFrom");
        let not_a_date = app.add_line(&b, &a, "SOLID", "2024-02-30", None).await;
        assert_eq!(code(first_error(&not_a_date)), "BAD_USER_INPUT");
    })
    .await;
}

#[tokio::test]
async fn replacing_a_superior_keeps_the_history_and_answers_as_of_any_date() {
    on_each_backend(|app| async move {
        let org = app.create_org("history").await;
        let ceo = app.create_unit(&org, "Executive", "EXECUTIVE").await;
        let commercial = app.create_unit(&org, "Commercial", "COMMERCIAL").await;
        let marketing = app.create_unit(&org, "Marketing", "MARKETING").await;
        app.add_line(&commercial, &ceo, "SOLID", "2020-01-01", None).await;
        app.add_line(&marketing, &ceo, "SOLID", "2020-01-01", None).await;
        let replaced = app
            .ok(
                "mutation($i: ReplaceReportingLineInput!) { replaceReportingLine(input: $i) { ended { effectiveTo version } added { effectiveFrom superiorUnit { name } } } }",
                json!({ "i": { "unitId": marketing, "superiorUnitId": commercial, "effectiveFrom": "2023-12-01" } }),
            )
            .await;
        assert_eq!(replaced["replaceReportingLine"]["ended"]["effectiveTo"], "2023-12-01");
        assert_eq!(replaced["replaceReportingLine"]["added"]["superiorUnit"]["name"], "Commercial");

        let query = "query($id: ID!, $on: NaiveDate) { unit(id: $id) { superior(asOf: $on) { name } depth(asOf: $on) lineHistory { effectiveFrom effectiveTo current } } }";
        let before = app.ok(query, json!({ "id": marketing, "on": "2023-11-30" })).await;
        assert_eq!(before["unit"]["superior"]["name"], "Executive");
        assert_eq!(before["unit"]["depth"], 1);
        let after = app.ok(query, json!({ "id": marketing, "on": "2023-12-01" })).await;
        assert_eq!(after["unit"]["superior"]["name"], "Commercial");
        assert_eq!(after["unit"]["depth"], 2);
        let history = after["unit"]["lineHistory"].as_array().unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0]["current"], false);
        assert_eq!(history[1]["current"], true);

        let lines_2021 = app
            .ok("query($id: ID) { organization(id: $id) { reportingLines(asOf: \"2021-06-01\") { unit { name } superiorUnit { name } } } }", json!({ "id": org }))
            .await;
        assert_eq!(lines_2021["organization"]["reportingLines"].as_array().unwrap().len(), 2);
        let span = app
            .ok("query($id: ID!) { unit(id: $id) { spanOfControl subordinates { name } } }", json!({ "id": commercial }))
            .await;
        assert_eq!(span["unit"]["spanOfControl"], 1);
        assert_eq!(span["unit"]["subordinates"][0]["name"], "Marketing");
    })
    .await;
}

#[tokio::test]
async fn a_line_recorded_in_error_is_deleted_with_its_version() {
    on_each_backend(|app| async move {
        let org = app.create_org("mistakes").await;
        let a = app.create_unit(&org, "A", "EXECUTIVE").await;
        let b = app.create_unit(&org, "B", "SALES").await;
        let body = app.add_line(&b, &a, "DOTTED", "2024-01-01", None).await;
        let id = body["data"]["addReportingLine"]["id"].as_str().unwrap();
        let delete = "mutation($i: DeleteReportingLineInput!) { deleteReportingLine(input: $i) { id kind } }";
        let stale = app.error(delete, json!({ "i": { "id": id, "version": 7 } })).await;
        assert_eq!(code(&stale), "CONFLICT");
        let deleted = app.ok(delete, json!({ "i": { "id": id, "version": 1 } })).await;
        assert_eq!(deleted["deleteReportingLine"]["kind"], "DOTTED");
        let again = app.error(delete, json!({ "i": { "id": id, "version": 1 } })).await;
        assert_eq!(code(&again), "NOT_FOUND");
    })
    .await;
}
