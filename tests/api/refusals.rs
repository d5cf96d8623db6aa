//! Every refusal says what to do next, in the caller's terms, and the same request gets
//! the same code over GraphQL and REST: `FORBIDDEN` names what the act takes and the
//! role the token holds; `NOT_FOUND` names the field and says that a token reaches only
//! its organizations (the same words whether the object does not exist or lies beyond
//! the token); a REST body of the wrong shape is told what was expected and what came.

use orgdesign_domain::auth::Role;
use serde_json::{Value, json};

use crate::{
    authorization::issue_token,
    helpers::{TestApp, code, field, on_each_backend},
};

/// `POST /api/v1/organizations/{slug}/kpi-measurements` with `body` as `token`.
async fn push_rest(app: &TestApp, token: &str, slug: &str, body: &str) -> (u16, Value) {
    let response = app
        .anonymous
        .post(format!(
            "{}/api/v1/organizations/{slug}/kpi-measurements",
            app.address
        ))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// `GET path` as `token`: the status and the JSON body.
async fn get_json(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let response = app
        .anonymous
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn message(error: &Value) -> &str {
    error["message"].as_str().unwrap_or_default()
}

const PUSH: &str = r#"mutation($org: ID!) {
    recordKpiMeasurements(organizationId: $org, points: [{ kpi: "mqls", value: "1", granularity: MONTH, periodStart: "2026-11-01", source: "crm" }]) { inserted } }"#;

#[tokio::test]
async fn a_forbidden_act_names_what_it_takes_and_the_role_the_token_holds() {
    on_each_backend(|app| async move {
        let org = app.create_org("refused-co").await;
        let viewer = app.token(Role::Viewer, &[&org]);

        // A viewer changing the structure.
        let (_, body) = app
            .graphql_as(
                Some(&viewer),
                "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }",
                json!({ "i": { "organizationId": org, "name": "Growth", "function": "MARKETING" } }),
            )
            .await;
        let error = &body["errors"][0];
        assert_eq!(code(error), "FORBIDDEN", "{body}");
        assert_eq!(
            message(error),
            "not allowed: changing an organization (its structure, scenarios, stakeholders, \
             priorities, webhooks or integration tokens) takes an editor's or an admin's token; \
             this token is a viewer token"
        );

        // A viewer pushing KPI data: FORBIDDEN over GraphQL and over REST alike.
        let (_, body) = app
            .graphql_as(Some(&viewer), PUSH, json!({ "org": org }))
            .await;
        assert_eq!(code(&body["errors"][0]), "FORBIDDEN", "{body}");
        let said = message(&body["errors"][0]).to_owned();
        assert!(
            said.contains("pushing KPI data takes an integration, editor or admin token")
                && said.ends_with("this token is a viewer token"),
            "{said}"
        );
        let (status, rest) = push_rest(
            &app,
            &viewer,
            "refused-co",
            r#"{"points": [{"kpi": "mqls", "value": "1", "granularity": "MONTH", "periodStart": "2026-11-01", "source": "crm"}]}"#,
        )
        .await;
        assert_eq!(status, 403, "{rest}");
        assert_eq!(code(&rest["errors"][0]), "FORBIDDEN", "{rest}");
        assert_eq!(message(&rest["errors"][0]), said, "the same words over REST");

        // An integration token reading the structure: FORBIDDEN over both.
        let (integration, _) = issue_token(&app, &org).await;
        let (_, body) = app
            .graphql_as(
                Some(&integration),
                "query($id: ID!) { organization(id: $id) { name } }",
                json!({ "id": org }),
            )
            .await;
        assert_eq!(code(&body["errors"][0]), "FORBIDDEN", "{body}");
        let said = message(&body["errors"][0]).to_owned();
        assert!(
            said.contains("an integration token pushes and reads KPI data only")
                && said.ends_with("this token is an integration token"),
            "{said}"
        );
        let (status, rest) = get_json(
            &app,
            &integration,
            "/api/v1/organizations/refused-co/structure.csv",
        )
        .await;
        assert_eq!(status, 403, "{rest}");
        assert_eq!(message(&rest["errors"][0]), said, "the same words over REST");

        // An editor archiving an organization.
        let editor = app.token(Role::Editor, &[&org]);
        let (_, body) = app
            .graphql_as(
                Some(&editor),
                "mutation($i: UpdateOrganizationInput!) { updateOrganization(input: $i) { id } }",
                json!({ "i": { "id": org, "version": 1, "archived": true } }),
            )
            .await;
        assert_eq!(code(&body["errors"][0]), "FORBIDDEN", "{body}");
        assert!(
            message(&body["errors"][0]).contains("takes an admin's token; this token is an editor token"),
            "{body}"
        );
    })
    .await;
}

#[tokio::test]
async fn not_found_names_the_field_and_the_reach_of_the_token_alike_over_graphql_and_rest() {
    on_each_backend(|app| async move {
        let own = app.create_org("own-co").await;
        let other = app.create_org("other-co").await;
        let viewer = app.token(Role::Viewer, &[&own]);

        // REST: an unknown slug and one beyond the token answer the same 404 on `slug`.
        let (status, unknown) =
            get_json(&app, &viewer, "/api/v1/organizations/no-such-co/kpi-measurements").await;
        assert_eq!(status, 404, "{unknown}");
        let (status, beyond) =
            get_json(&app, &viewer, "/api/v1/organizations/other-co/kpi-measurements").await;
        assert_eq!(status, 404, "{beyond}");
        assert_eq!(unknown, beyond, "nothing tells the two apart");
        assert_eq!(field(&unknown["errors"][0]), "slug", "{unknown}");
        assert_eq!(
            message(&unknown["errors"][0]),
            "organization not found among the organizations this token reaches (a token \
             reaches the organizations it was minted for, an admin's all of them)"
        );

        // GraphQL: the same organization beyond the token, the same code and words, on
        // the argument that named it.
        let (_, body) = app
            .graphql_as(
                Some(&viewer),
                r#"query($org: ID!) { kpiSeries(organizationId: $org, kpi: "mqls", granularity: MONTH, from: "2026-01-01", to: "2026-12-01") { value } }"#,
                json!({ "org": other }),
            )
            .await;
        let error = &body["errors"][0];
        assert_eq!(code(error), "NOT_FOUND", "{body}");
        assert_eq!(field(error), "organizationId", "{body}");
        assert_eq!(message(error), message(&unknown["errors"][0]));
    })
    .await;
}

#[tokio::test]
async fn a_rest_body_of_the_wrong_shape_is_told_what_was_expected_and_what_came() {
    on_each_backend(|app| async move {
        app.create_org("shaped-co").await;
        let token = app.admin_token.clone();
        let expected =
            r#"expected an object {"points": [{"kpi": …, "value": …, "periodStart": …}, …]}"#;
        for (body, got) in [
            (
                r#"[{"kpi": "mqls", "value": "1", "periodStart": "2026-11-01"}]"#,
                r#"got an array (put it in the object's "points")"#,
            ),
            (r#""points""#, "got a string"),
            ("42", "got a number"),
            ("null", "got null"),
            ("   ", "got an empty body"),
        ] {
            let (status, reply) = push_rest(&app, &token, "shaped-co", body).await;
            assert_eq!(status, 400, "{body}: {reply}");
            let error = &reply["errors"][0];
            assert_eq!(code(error), "BAD_USER_INPUT", "{reply}");
            assert_eq!(field(error), "body", "{reply}");
            assert_eq!(message(error), format!("body: {expected}, {got}"), "{body}");
        }
        // An object that is not a push says where it went wrong.
        let (status, reply) = push_rest(&app, &token, "shaped-co", r#"{"point": []}"#).await;
        assert_eq!(status, 400, "{reply}");
        let said = message(&reply["errors"][0]);
        assert!(
            said.starts_with(&format!("body: {expected}: ")) && said.contains("points"),
            "{said}"
        );
    })
    .await;
}
