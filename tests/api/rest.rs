//! The REST endpoints for integrations: JSON and CSV pushes, Idempotency-Key, export,
//! the OpenAPI document, and `orgdesign import-kpis`.

use reqwest::{StatusCode, header};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

use crate::{
    authorization::{integrated_org, issue_token},
    helpers::{Backend, SendJson, TestApp, backends, spawn_app, succeeded},
};

fn url(app: &TestApp, slug: &str) -> String {
    format!(
        "{}/api/v1/organizations/{slug}/kpi-measurements",
        app.address
    )
}

async fn post(
    app: &TestApp,
    token: &str,
    slug: &str,
    content_type: &str,
    body: &str,
    key: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = app
        .anonymous
        .post(url(app, slug))
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, content_type)
        .body(body.to_owned());
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// [`post`]s a JSON `body`.
async fn post_json(
    app: &TestApp,
    token: &str,
    slug: &str,
    body: &str,
    key: Option<&str>,
) -> (StatusCode, Value) {
    post(app, token, slug, "application/json", body, key).await
}

async fn stored(app: &TestApp) -> i64 {
    let db = Database::connect(&app.database_url).await.unwrap();
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM kpi_measurement".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn an_integration_pushes_json_and_csv_and_reads_them_back() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (_, token, _) = integrated_org(&app, "rest-org").await;
        let json_body = json!({ "points": [
            { "kpi": "mqls", "granularity": "DAY", "periodStart": "2024-03-01", "value": "12", "source": "crm" },
            { "kpi": "mqls", "granularity": "DAY", "periodStart": "2024-03-02", "value": 7.5, "source": "crm", "dimensions": { "channel": "email" } },
        ] })
        .to_string();
        let (status, reply) = post_json(&app, &token, "rest-org", &json_body, None).await;
        assert_eq!(status, StatusCode::OK, "{reply}");
        assert_eq!(
            reply,
            json!({ "inserted": 2, "corrected": 0, "unchanged": 0 })
        );

        let csv = "kpi,granularity,period_start,value,source,dimensions\nmqls,DAY,2024-03-01,12,crm,\nmqls,DAY,2024-03-02,8,crm,channel=email\nleads,MONTH,2024-03-01,100,sheet,\n";
        let (status, reply) = post(&app, &token, "rest-org", "text/csv", csv, None).await;
        assert_eq!(status, StatusCode::OK, "{reply}");
        assert_eq!(
            reply,
            json!({ "inserted": 1, "corrected": 1, "unchanged": 1 }),
            "[{backend:?}]"
        );

        let export: Value = app
            .anonymous
            .get(format!("{}?kpi=mqls&limit=1", url(&app, "rest-org")))
            .bearer_auth(&token)
            .send_json()
            .await;
        assert_eq!(export["points"].as_array().unwrap().len(), 1);
        assert_eq!(export["points"][0]["kpi"], "mqls");
        let next = export["next"].as_str().expect("a next page");
        let page2: Value = app
            .anonymous
            .get(format!(
                "{}?kpi=mqls&limit=10&after={next}",
                url(&app, "rest-org")
            ))
            .bearer_auth(&token)
            .send_json()
            .await;
        assert_eq!(page2["points"][0]["value"], "8");
        assert_eq!(page2["points"][0]["revision"], 2);
        assert!(page2.get("next").is_none());

        let csv_export = app
            .anonymous
            .get(url(&app, "rest-org"))
            .bearer_auth(&token)
            .header(header::ACCEPT, "text/csv")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            csv_export.starts_with("id,kpi,granularity,period_start,value,source"),
            "{csv_export}"
        );
        assert_eq!(csv_export.lines().count(), 4, "a header and three points");
    }
}

#[tokio::test]
async fn a_bad_csv_row_is_refused_with_its_line_number_and_nothing_is_written() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, token, _) = integrated_org(&app, "rest-bad").await;
    let csv = "kpi,granularity,period_start,value,source\nmqls,DAY,2024-03-01,12,crm\nmqls,DAY,2024-03-02,twelve,crm\n";
    let (status, reply) = post(&app, &token, "rest-bad", "text/csv", csv, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(reply["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(reply["errors"][0]["extensions"]["field"], "line[3].value");
    let (status, reply) = post(
        &app,
        &token,
        "rest-bad",
        "text/csv",
        "kpi,when\nmqls,today\n",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reply}");
    assert_eq!(reply["errors"][0]["extensions"]["field"], "header");
    assert_eq!(stored(&app).await, 0);
}

#[tokio::test]
async fn requests_out_of_reach_or_unauthenticated_or_of_the_wrong_type_are_refused() {
    let app = spawn_app(Backend::Sqlite).await;
    let own = app.create_org("rest-own").await;
    app.create_org("rest-other").await;
    let (token, _) = issue_token(&app, &own).await;
    let body = json!({ "points": [] }).to_string();
    let (status, _) = post_json(&app, &token, "rest-other", &body, None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another organization looks unknown"
    );
    let (status, _) = post_json(&app, &token, "no-such-org", &body, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post_json(&app, "not-a-token", "rest-own", &body, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = post(&app, &token, "rest-own", "text/plain", &body, None).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let viewer = app.token(orgdesign_domain::auth::Role::Viewer, &[&own]);
    let (status, _) = post_json(&app, &viewer, "rest-own", &body, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_idempotency_key_replays_the_reply_and_refuses_another_body() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (org, token, _) = integrated_org(&app, "idempotent").await;
        let body = json!({ "points": [{ "kpi": "leads", "granularity": "DAY", "periodStart": "2024-03-01", "value": "5", "source": "crm" }] }).to_string();
        let (status, first) = post_json(&app, &token, "idempotent", &body, Some("push-1")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(first["inserted"], 1);
        let (status, again) = post_json(&app, &token, "idempotent", &body, Some("push-1")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            again, first,
            "[{backend:?}] the stored reply, not a new count"
        );
        let other = body.replace("\"5\"", "\"6\"");
        let (status, reply) = post_json(&app, &token, "idempotent", &other, Some("push-1")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
        // Keys are per organization.
        let org2 = app.create_org("idempotent-two").await;
        let (token2, _) = issue_token(&app, &org2).await;
        let (status, reply) =
            post_json(&app, &token2, "idempotent-two", &body, Some("push-1")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(reply["inserted"], 1);
        // A first request still in flight makes a retry wait: simulate it with a claim
        // that has no reply yet.
        let db = Database::connect(&app.database_url).await.unwrap();
        db.execute(Statement::from_sql_and_values(
            db.get_database_backend(),
            match db.get_database_backend() {
                sea_orm::DbBackend::Postgres => "INSERT INTO idempotency_record (organization_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4)",
                _ => "INSERT INTO idempotency_record (organization_id, key, request_hash, created_at) VALUES (?, ?, ?, ?)",
            },
            [
                uuid::Uuid::parse_str(&org).unwrap().into(),
                "busy".into(),
                orgdesign_api::rest::fingerprint_for_tests("application/json", body.as_bytes()).into(),
                chrono::Utc::now().into(),
            ],
        ))
        .await
        .unwrap();
        let (status, _) = post_json(&app, &token, "idempotent", &body, Some("busy")).await;
        assert_eq!(status, StatusCode::CONFLICT, "[{backend:?}]");
    }
}

#[tokio::test]
async fn the_committed_openapi_json_matches_the_served_document() {
    let app = spawn_app(Backend::Sqlite).await;
    let served = app
        .get_anonymous("/api/openapi.json")
        .await
        .text()
        .await
        .unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")).unwrap();
    assert!(
        served.trim() == committed.trim(),
        "openapi.json is out of date; regenerate it with `cargo run -- openapi > openapi.json`"
    );
    let doc: Value = serde_json::from_str(&served).unwrap();
    assert!(doc["paths"]["/api/v1/organizations/{slug}/kpi-measurements"]["post"].is_object());
    // Generated clients send the bearer token: the scheme is declared and required.
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["type"],
        "http"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(doc["security"][0]["bearer"], serde_json::json!([]));
    assert!(
        doc["paths"]["/api/v1/organizations/{slug}/kpi-measurements"]["post"]["responses"]["200"]
            ["headers"]["Idempotent-Replayed"]
            .is_object()
    );
}

#[tokio::test]
async fn import_kpis_streams_a_csv_in_batches_and_stops_at_a_bad_line() {
    use std::process::Command;
    for backend in backends() {
        let (url, dir) = crate::helpers::fresh_database(backend).await;
        let run = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_orgdesign"))
                .args(args)
                .env("DATABASE_URL", &url)
                .env("RUST_LOG", "warn")
                .output()
                .unwrap()
        };
        assert!(run(&["demo"]).status.success());
        let file = std::env::temp_dir().join(format!(
            "orgdesign-import-{}.csv",
            uuid::Uuid::now_v7().simple()
        ));
        let mut csv = String::from("kpi,granularity,period_start,value,source\n");
        for day in 0..250 {
            let date =
                chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(day);
            csv.push_str(&format!("leads,DAY,{date},{day},import\n"));
        }
        std::fs::write(&file, &csv).unwrap();
        // The file into lumen-health, 100 rows a batch.
        let import = || {
            run(&[
                "import-kpis",
                file.to_str().unwrap(),
                "--org",
                "lumen-health",
                "--batch",
                "100",
            ])
        };
        let output = import();
        let stdout = succeeded(&output);
        assert!(stdout.contains("imported 250 points"), "{stdout}");
        assert!(stdout.contains("250 inserted"), "{stdout}");

        // Line 152 is bad: the first batch (lines 2-101) stays, the second is not written.
        let mut broken = csv.clone();
        broken = broken.replacen(",150,import", ",not-a-number,import", 1);
        std::fs::write(&file, &broken).unwrap();
        let output = import();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("line 152"), "{stderr}");
        std::fs::remove_file(&file).ok();
        if let Some(dir) = dir {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

#[tokio::test]
async fn a_rest_read_over_its_time_limit_while_the_database_answers_is_a_503_limit_exceeded_without_retry_after()
 {
    for backend in backends() {
        let app =
            crate::helpers::spawn_app_with(backend, |s| s.limits.request_timeout_ms = 0).await;
        let response = app.client.get(url(&app, "anyone")).send().await.unwrap();
        let status = response.status();
        let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "[{backend:?}] {body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
            "[{backend:?}] the database answers: the request took too long by itself: {body}"
        );
        assert!(
            retry_after.is_none(),
            "[{backend:?}] the same request would take as long again: {retry_after:?}"
        );
    }
}
