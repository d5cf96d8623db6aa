//! Input at the boundary: every text and date that comes in, over GraphQL or REST, is
//! read by one domain type and refused with `BAD_USER_INPUT` naming its field; a slug
//! clash tells no more than the caller may see; and what actix-http answers before
//! orgdesign runs (a request head over 128 KiB) is pinned down.

use orgdesign_domain::auth::Role;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    authorization::issue_token,
    helpers::{Backend, PUSH_KPIS, TestApp, code, field, on_each_backend, spawn_app},
};

/// The dates that used to pass: a sign, and months or days of one digit.
const LENIENT_DATES: [&str; 3] = ["+2024-01-01", "2024-1-1", "2024-01-1"];

/// A REST request: `GET` when `body` is `None`, else a `POST` of `body` as
/// `content_type`. The status and the JSON error (`null` for a body that is none).
async fn rest(
    app: &TestApp,
    token: &str,
    path: &str,
    query: &[(&str, &str)],
    body: Option<(&str, String)>,
) -> (StatusCode, Value) {
    let url = format!("{}{path}", app.address);
    let request = match body {
        None => app.anonymous.get(url),
        Some((content_type, body)) => app
            .anonymous
            .post(url)
            .header(header::CONTENT_TYPE, content_type)
            .body(body),
    };
    let response = request
        .query(query)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Asserts a REST refusal: `400` and one `BAD_USER_INPUT` on `expected`.
fn assert_rest_refusal(what: &str, (status, body): (StatusCode, Value), expected: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
    let error = &body["errors"][0];
    assert_eq!(code(error), "BAD_USER_INPUT", "{what}: {body}");
    assert_eq!(field(error), expected, "{what}: {body}");
}

/// Asserts a GraphQL refusal: one `BAD_USER_INPUT` error on `expected`.
fn assert_graphql_refusal(what: &str, body: &Value, expected: &str) {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: expected an error, got {body}"));
    assert_eq!(errors.len(), 1, "{what}: {body}");
    assert_eq!(code(&errors[0]), "BAD_USER_INPUT", "{what}: {body}");
    assert_eq!(field(&errors[0]), expected, "{what}: {body}");
}

const KPI_SERIES: &str = "query($o: ID!, $k: String!) { kpiSeries(organizationId: $o, kpi: $k, granularity: MONTH, from: \"2024-01-01\", to: \"2024-07-01\") { value } }";
const ORG_KPI_SERIES: &str = "query($o: ID, $k: String!) { organization(id: $o) { kpiSeries(kpi: $k, granularity: MONTH, from: \"2024-01-01\", to: \"2024-07-01\") { value } } }";
const SET_TARGET: &str = "mutation($i: SetKpiTargetInput!) { setKpiTarget(input: $i) { id } }";
#[tokio::test]
async fn a_nul_byte_in_a_kpi_key_or_source_is_bad_user_input_on_its_field_on_every_path() {
    on_each_backend(|app| async move {
        let org = app.create_org("nul-org").await;
        let (integration, _) = issue_token(&app, &org).await;
        for key in ["\u{0}", "mq\u{0}ls", "mqls\u{0}"] {
            let what = format!("[{:?}] key {key:?}", app.backend);

            let body = app.graphql(KPI_SERIES, json!({ "o": org, "k": key })).await;
            assert_graphql_refusal(&format!("{what}: kpiSeries"), &body, "kpi");
            let body = app.graphql(ORG_KPI_SERIES, json!({ "o": org, "k": key })).await;
            assert_graphql_refusal(&format!("{what}: Organization.kpiSeries"), &body, "kpi");

            let target = json!({ "i": { "organizationId": org, "kpi": key, "granularity": "MONTH", "periodStart": "2024-01-01", "value": "5" } });
            let body = app.graphql(SET_TARGET, target).await;
            assert_graphql_refusal(&format!("{what}: setKpiTarget"), &body, "input.kpi");

            let export = "/api/v1/organizations/nul-org/kpi-measurements";
            for token in [app.admin_token.as_str(), integration.as_str()] {
                let reply = rest(&app, token, export, &[("kpi", key)], None).await;
                assert_rest_refusal(&format!("{what}: export ?kpi="), reply, "kpi");
                let reply = rest(&app, token, export, &[("source", key)], None).await;
                assert_rest_refusal(&format!("{what}: export ?source="), reply, "source");
                let chart = format!(
                    "/api/v1/organizations/nul-org/kpis/{}/chart.svg",
                    key.replace('\u{0}', "%00")
                );
                let reply = rest(&app, token, &chart, &[], None).await;
                assert_rest_refusal(&format!("{what}: {chart}"), reply, "key");
            }

            let push = json!({ "points": [{ "kpi": key, "granularity": "DAY", "periodStart": "2024-03-01", "value": "1", "source": "crm" }] });
            let reply = rest(&app, &integration, export, &[], Some(("application/json", push.to_string()))).await;
            assert_rest_refusal(&format!("{what}: push"), reply, "points[0].kpi");
        }

        // One rule for every lookup by key: a key that could name nothing is
        // BAD_USER_INPUT, a well-formed one the organization does not have NOT_FOUND.
        let body = app.graphql(KPI_SERIES, json!({ "o": org, "k": "MQLs" })).await;
        assert_graphql_refusal("an upper-case key", &body, "kpi");
        let error = app.error(KPI_SERIES, json!({ "o": org, "k": "no_such_kpi" })).await;
        assert_eq!((code(&error), field(&error)), ("NOT_FOUND", "kpi"));
        // A NUL byte in any other text argument is refused the same way.
        let body = app
            .graphql(
                "query($s: String) { organizations(filter: { search: $s }) { totalCount } }",
                json!({ "s": "a\u{0}" }),
            )
            .await;
        assert_graphql_refusal("search", &body, "filter.search");
        let body = app
            .graphql("query($s: String) { organization(slug: $s) { id } }", json!({ "s": "nul\u{0}org" }))
            .await;
        assert_graphql_refusal("organization(slug:)", &body, "slug");
        let reply = rest(&app, &integration, "/api/v1/organizations/nul%00org/kpi-measurements", &[], None).await;
        assert_rest_refusal("a slug in the path", reply, "slug");
    })
    .await;
}

#[tokio::test]
async fn dates_are_read_only_as_four_two_and_two_digits_on_every_way_in() {
    on_each_backend(|app| async move {
        let org = app.create_org("date-org").await;
        let (integration, _) = issue_token(&app, &org).await;
        let export = "/api/v1/organizations/date-org/kpi-measurements";
        for date in LENIENT_DATES {
            let what = format!("[{:?}] {date:?}", app.backend);

            // GraphQL arguments, through a variable and as a literal.
            let body = app
                .graphql(
                    "query($o: ID!, $d: NaiveDate!) { funnel(organizationId: $o, from: $d, to: \"2024-06-01\") { count } }",
                    json!({ "o": org, "d": date }),
                )
                .await;
            assert_graphql_refusal(&format!("{what}: funnel(from:)"), &body, "from");
            let body = app
                .graphql(
                    &format!("query($o: ID) {{ organization(id: $o) {{ reportingLines(asOf: \"{date}\") {{ id }} }} }}"),
                    json!({ "o": org }),
                )
                .await;
            assert_graphql_refusal(&format!("{what}: reportingLines(asOf:)"), &body, "asOf");

            // GraphQL input fields.
            let target = json!({ "i": { "organizationId": org, "kpi": "mqls", "granularity": "DAY", "periodStart": date, "value": "5" } });
            let body = app.graphql(SET_TARGET, target).await;
            assert_graphql_refusal(&format!("{what}: setKpiTarget"), &body, "input.periodStart");
            let points = json!({ "o": org, "p": [{ "kpi": "mqls", "granularity": "DAY", "periodStart": date, "value": "1", "source": "crm" }] });
            let body = app.graphql(PUSH_KPIS, points).await;
            assert_graphql_refusal(&format!("{what}: recordKpiMeasurements"), &body, "points[0].periodStart");

            // REST query parameters.
            for (name, path) in [
                ("from", export.to_owned()),
                ("to", export.to_owned()),
                ("to", "/api/v1/organizations/date-org/kpis/mqls/chart.svg".to_owned()),
                ("from", "/api/v1/organizations/date-org/kpis/mqls/chart.svg".to_owned()),
            ] {
                let reply = rest(&app, &integration, &path, &[(name, date)], None).await;
                assert_rest_refusal(&format!("{what}: {path}?{name}="), reply, name);
            }
            let reply = rest(&app, &app.admin_token, "/api/v1/organizations/date-org/chart.svg", &[("asOf", date)], None).await;
            assert_rest_refusal(&format!("{what}: chart.svg?asOf="), reply, "asOf");

            // JSON and CSV pushes.
            let push = json!({ "points": [{ "kpi": "mqls", "granularity": "DAY", "periodStart": date, "value": "1", "source": "crm" }] });
            let reply = rest(&app, &integration, export, &[], Some(("application/json", push.to_string()))).await;
            assert_rest_refusal(&format!("{what}: JSON push"), reply, "points[0].periodStart");
            let csv = format!("kpi,granularity,period_start,value,source\nmqls,DAY,{date},1,crm\n");
            let reply = rest(&app, &integration, export, &[], Some(("text/csv", csv))).await;
            assert_rest_refusal(&format!("{what}: CSV push"), reply, "line[2].periodStart");
        }

        // Nothing was stored, and the one spelling still works everywhere.
        let (status, page) = rest(&app, &integration, export, &[("from", "2024-01-01"), ("to", "2024-02-01")], None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["points"], json!([]));
        let points = json!({ "o": org, "p": [{ "kpi": "mqls", "granularity": "DAY", "periodStart": "2024-01-01", "value": "1", "source": "crm" }] });
        assert_eq!(app.ok(PUSH_KPIS, points).await["recordKpiMeasurements"]["inserted"], 1);
        let funnel = app
            .ok(
                "query($o: ID!) { funnel(organizationId: $o, from: \"2024-01-01\", to: \"2024-02-01\") { kpi count } }",
                json!({ "o": org }),
            )
            .await;
        assert_eq!(funnel["funnel"][1], json!({ "kpi": "mqls", "count": "1" }));
    })
    .await;
}

const UPDATE: &str =
    "mutation($i: UpdateOrganizationInput!) { updateOrganization(input: $i) { slug version } }";

#[tokio::test]
async fn a_taken_slug_is_a_conflict_only_for_a_caller_who_may_see_its_holder() {
    on_each_backend(|app| async move {
        let own = app.create_org("own-org").await;
        let sibling = app.create_org("sibling-org").await;
        app.create_org("hidden-org").await;
        let editor = app.token(Role::Editor, &[&own, &sibling]);
        let rename = |slug: &str| json!({ "i": { "id": own, "version": 1, "slug": slug } });

        // The holder is one of the editor's organizations: CONFLICT, as for an admin.
        let (_, body) = app
            .graphql_as(Some(&editor), UPDATE, rename("sibling-org"))
            .await;
        let error = &body["errors"][0];
        assert_eq!(
            (code(error), field(error)),
            ("CONFLICT", "input.slug"),
            "{body}"
        );

        // The holder is out of the editor's reach: a refusal that does not say whether
        // an organization holds the slug, word for word the same as for a slug held
        // by no organization the editor can see.
        let (_, body) = app
            .graphql_as(Some(&editor), UPDATE, rename("hidden-org"))
            .await;
        let error = &body["errors"][0];
        assert_eq!(
            (code(error), field(error)),
            ("BAD_USER_INPUT", "input.slug"),
            "{body}"
        );
        let message = error["message"].as_str().unwrap();
        assert!(
            !message.contains("organization") && !message.contains("exist"),
            "{message}"
        );

        // Nothing changed; a free slug is taken as usual.
        let (_, body) = app
            .graphql_as(Some(&editor), UPDATE, rename("renamed-org"))
            .await;
        assert_eq!(
            body["data"]["updateOrganization"],
            json!({ "slug": "renamed-org", "version": 2 }),
            "{body}"
        );

        // An admin sees every organization, so a taken slug is always a CONFLICT.
        let error = app
            .error(
                UPDATE,
                json!({ "i": { "id": own, "version": 2, "slug": "hidden-org" } }),
            )
            .await;
        assert_eq!((code(&error), field(&error)), ("CONFLICT", "input.slug"));
    })
    .await;
}

#[tokio::test]
async fn a_long_token_gets_the_json_401_and_a_head_over_128_kib_or_96_headers_the_json_431() {
    let app = spawn_app(Backend::Sqlite).await;
    let send = |token_len: usize, extra_headers: usize| {
        let mut request = app
            .anonymous
            .post(format!("{}/graphql", app.address))
            .bearer_auth("a".repeat(token_len))
            .json(&json!({ "query": "{ __typename }" }));
        for n in 0..extra_headers {
            request = request.header(format!("x-filler-{n}"), "1");
        }
        request.send()
    };

    // Up to actix-http's buffer for a request head (128 KiB), the request reaches
    // orgdesign, and an oversized token gets the usual JSON error.
    let response = send(100_000, 0).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED", "{body}");

    // Beyond it, or past 96 headers, actix-http's dispatcher refuses the head before
    // any middleware runs; the connection front gives its 431 the usual error body.
    for (token_len, extra_headers) in [(140_000, 0), (10, 100)] {
        let response = send(token_len, extra_headers).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/json",
            "{token_len} {extra_headers}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(code(&body["errors"][0]), "LIMIT_EXCEEDED", "{body}");
        assert_eq!(field(&body["errors"][0]), "headers", "{body}");
    }

    // The server goes on answering on new connections.
    let response = send(10, 0).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
