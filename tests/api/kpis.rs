//! KPI ingestion and reading: idempotent pushes, corrections, all-or-nothing batches,
//! roll-ups in SQL, the funnel, freshness, and pushers that race or retry.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};

use crate::helpers::{
    ServerProcess, TestApp, backends, code, field, on_each_backend, spawn_app, spawn_app_with,
};

const PUSH: &str = "mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted corrected unchanged } }";

fn point(kpi: &str, day: &str, value: &str) -> Value {
    json!({ "kpi": kpi, "granularity": "DAY", "periodStart": day, "value": value, "source": "crm" })
}

async fn push(app: &TestApp, org: &str, points: Value) -> Value {
    app.ok(PUSH, json!({ "o": org, "p": points })).await["recordKpiMeasurements"].clone()
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn pushing_the_same_point_again_is_a_no_op_and_a_new_value_is_a_correction() {
    on_each_backend(|app| async move {
        let org = app.create_org("ingesting").await;
        let unit = app.create_unit(&org, "Demand", "MARKETING").await;
        let batch = json!([
            point("mqls", "2024-03-01", "12"),
            point("mqls", "2024-03-02", "15.5"),
            { "kpi": "mqls", "granularity": "DAY", "periodStart": "2024-03-01", "value": "4", "source": "crm", "unitId": unit },
            { "kpi": "mqls", "granularity": "DAY", "periodStart": "2024-03-01", "value": "3", "source": "crm",
              "dimensions": [{ "name": "channel", "value": "email" }, { "name": "region", "value": "emea" }] },
        ]);
        assert_eq!(push(&app, &org, batch.clone()).await, json!({ "inserted": 4, "corrected": 0, "unchanged": 0 }));
        assert_eq!(push(&app, &org, batch).await, json!({ "inserted": 0, "corrected": 0, "unchanged": 4 }));
        // Dimensions in another order are the same point.
        let reordered = json!([{ "kpi": "mqls", "granularity": "DAY", "periodStart": "2024-03-01", "value": "3.000", "source": "crm",
            "dimensions": [{ "name": "region", "value": "emea" }, { "name": "channel", "value": "email" }] }]);
        assert_eq!(push(&app, &org, reordered).await["unchanged"], 1);
        let corrected = push(&app, &org, json!([point("mqls", "2024-03-01", "13"), point("mqls", "2024-03-03", "1")])).await;
        assert_eq!(corrected, json!({ "inserted": 1, "corrected": 1, "unchanged": 0 }));

        let db = Database::connect(&app.database_url).await.unwrap();
        assert_eq!(count(&db, "SELECT COUNT(*) FROM kpi_measurement").await, 5, "a missing unit makes no duplicate");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM kpi_measurement_revision WHERE value_scaled = 12000000 AND revision = 1").await, 1, "the old value is kept");
        assert_eq!(count(&db, "SELECT CAST(MAX(revision) AS BIGINT) FROM kpi_measurement").await, 2);
    })
    .await;
}

#[tokio::test]
async fn an_empty_push_to_an_unknown_organization_is_not_found_as_over_rest() {
    on_each_backend(|app| async move {
        let unknown = uuid::Uuid::now_v7().to_string();
        let error = app.error(PUSH, json!({ "o": unknown, "p": [] })).await;
        assert_eq!(code(&error), "NOT_FOUND", "{error}");
        assert_eq!(field(&error), "organizationId", "{error}");
        // A known one with nothing to push: nothing recorded, no error.
        let org = app.create_org("empty-push").await;
        let counts = push(&app, &org, json!([])).await;
        assert_eq!(counts["inserted"], 0, "{counts}");
    })
    .await;
}

#[tokio::test]
async fn a_bad_point_fails_the_whole_push_naming_its_index_and_field() {
    on_each_backend(|app| async move {
        let org = app.create_org("all-or-nothing").await;
        let cases = [
            (point("no_such_kpi", "2024-03-01", "1"), "points[1].kpi", "BAD_USER_INPUT"),
            (point("mqls", "2024-03-01", "1.0000001"), "points[1].value", "BAD_USER_INPUT"),
            (json!({ "kpi": "mqls", "granularity": "MONTH", "periodStart": "2024-03-02", "value": "1", "source": "crm" }), "points[1].periodStart", "BAD_USER_INPUT"),
            (json!({ "kpi": "mqls", "granularity": "DAY", "periodStart": "2024-03-02", "value": "1", "source": "cr\u{0}m" }), "points[1].source", "BAD_USER_INPUT"),
            (json!({ "kpi": "mqls", "granularity": "DAY", "periodStart": "2024-03-02", "value": "1", "source": "crm", "unitId": uuid::Uuid::now_v7().to_string() }), "points[1].unitId", "NOT_FOUND"),
            (point("mqls", "2024-03-01", "2"), "points[1]", "BAD_USER_INPUT"),
        ];
        for (bad, expected_field, expected_code) in cases {
            let error = app.error(PUSH, json!({ "o": org, "p": [point("mqls", "2024-03-01", "1"), bad] })).await;
            assert_eq!(code(&error), expected_code, "{error}");
            assert_eq!(field(&error), expected_field, "{error}");
        }
        let db = Database::connect(&app.database_url).await.unwrap();
        assert_eq!(count(&db, "SELECT COUNT(*) FROM kpi_measurement").await, 0, "nothing of a refused push is written");
    })
    .await;
}

#[tokio::test]
async fn a_push_over_the_configured_size_is_limit_exceeded() {
    let app = spawn_app_with(crate::helpers::Backend::Sqlite, |s| {
        s.limits.max_points_per_push = 3
    })
    .await;
    let org = app.create_org("big-push").await;
    let points: Vec<Value> = (1..=4)
        .map(|d| point("mqls", &format!("2024-03-0{d}"), "1"))
        .collect();
    let error = app.error(PUSH, json!({ "o": org, "p": points })).await;
    assert_eq!(code(&error), "LIMIT_EXCEEDED");
}

#[tokio::test]
async fn series_roll_up_by_each_kpis_rule_with_targets() {
    on_each_backend(|app| async move {
        let org = app.create_org("series").await;
        let mut points = Vec::new();
        // 2024-01-01 is a Monday. Ninety days of MQLs (SUM), cost per lead (AVERAGE)
        // and budget utilisation (LAST).
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        for i in 0..91 {
            let day = (start + chrono::Duration::days(i)).to_string();
            points.push(point("mqls", &day, "2"));
            points.push(point("cost_per_lead", &day, if i % 2 == 0 { "10" } else { "20" }));
            points.push(point("budget_utilisation", &day, &format!("{}", i + 1)));
        }
        push(&app, &org, json!(points)).await;
        app.ok(
            "mutation($i: SetKpiTargetInput!) { setKpiTarget(input: $i) { id } }",
            json!({ "i": { "organizationId": org, "kpi": "mqls", "granularity": "MONTH", "periodStart": "2024-02-01", "value": "50" } }),
        )
        .await;
        let series = |kpi: &'static str, granularity: &'static str| {
            let app = &app;
            let org = org.clone();
            async move {
                app.ok(
                    "query($o: ID!, $k: String!, $g: Granularity!) { kpiSeries(organizationId: $o, kpi: $k, granularity: $g, from: \"2024-01-01\", to: \"2024-04-01\") { periodStart value points target } }",
                    json!({ "o": org, "k": kpi, "g": granularity }),
                )
                .await["kpiSeries"]
                    .clone()
            }
        };
        let monthly = series("mqls", "MONTH").await;
        assert_eq!(monthly.as_array().unwrap().len(), 3);
        assert_eq!(monthly[0], json!({ "periodStart": "2024-01-01", "value": "62", "points": 31, "target": null }));
        assert_eq!(monthly[1]["value"], "58");
        assert_eq!(monthly[1]["target"], "50");
        assert_eq!(monthly[2]["value"], "62");
        let quarterly = series("mqls", "QUARTER").await;
        assert_eq!(quarterly, json!([{ "periodStart": "2024-01-01", "value": "182", "points": 91, "target": null }]));
        let weekly = series("mqls", "WEEK").await;
        assert_eq!(weekly[0]["periodStart"], "2024-01-01");
        assert_eq!(weekly[1]["periodStart"], "2024-01-08", "weeks start on Monday");
        assert_eq!(weekly[0]["value"], "14");
        let average = series("cost_per_lead", "MONTH").await;
        assert_eq!(average[0]["value"], "14.83871", "31 days: 16 × 10 and 15 × 20 = 460 / 31, to six places");
        let last = series("budget_utilisation", "MONTH").await;
        assert_eq!(last[0]["value"], "31", "the month's last day");
        assert_eq!(last[1]["value"], "60", "2024 is a leap year");
        let yearly = series("mqls", "YEAR").await;
        assert_eq!(yearly[0]["periodStart"], "2024-01-01");
    })
    .await;
}

#[tokio::test]
async fn the_funnel_converts_step_by_step_and_sources_show_their_freshness() {
    on_each_backend(|app| async move {
        let org = app.create_org("funnel").await;
        push(
            &app,
            &org,
            json!([
                point("inquiries", "2024-05-01", "1000"),
                point("mqls", "2024-05-01", "200"),
                point("sals", "2024-05-01", "100"),
                point("sqls", "2024-05-01", "50"),
                point("sqos", "2024-05-01", "20"),
                point("won_deals", "2024-05-01", "5"),
                { "kpi": "mqls", "granularity": "MONTH", "periodStart": "2024-05-01", "value": "999", "source": "sheet" },
            ]),
        )
        .await;
        let funnel = app
            .ok("query($o: ID!) { funnel(organizationId: $o, from: \"2024-05-01\", to: \"2024-06-01\") { kpi count conversionFromPrevious } }", json!({ "o": org }))
            .await["funnel"]
            .clone();
        assert_eq!(funnel[0], json!({ "kpi": "inquiries", "count": "1000", "conversionFromPrevious": null }));
        assert_eq!(funnel[1]["count"], "200", "the daily points, not the monthly one on top");
        assert_eq!(funnel[1]["conversionFromPrevious"], "0.2");
        assert_eq!(funnel[5]["conversionFromPrevious"], "0.25");
        let sources = app
            .ok("query($o: ID!) { kpiSources(organizationId: $o) { kpi source lastReportedAt points } }", json!({ "o": org }))
            .await["kpiSources"]
            .clone();
        let mqls: Vec<&Value> = sources.as_array().unwrap().iter().filter(|s| s["kpi"] == "mqls").collect();
        assert_eq!(mqls.len(), 2, "one row per source: {sources}");
        assert!(mqls.iter().all(|s| s["lastReportedAt"].is_string()));
    })
    .await;
}

#[tokio::test]
async fn concurrent_pushers_with_overlapping_keys_and_retries_lose_and_double_nothing() {
    // A pusher gives a batch up after this many attempts.
    const MAX_ATTEMPTS: u32 = 50;
    for backend in backends() {
        let app = std::sync::Arc::new(spawn_app(backend).await);
        let org = app.create_org("racing").await;
        // 8 pushers, 5 batches each, 50 points per batch over 100 days: every key is
        // pushed by several pushers. Pusher p pushes the value of day d as d + (p % 2),
        // so half the pushes are corrections of each other.
        let mut tasks = Vec::new();
        for pusher in 0..8u32 {
            let app = app.clone();
            let org = org.clone();
            tasks.push(tokio::spawn(async move {
                let mut totals = (0u64, 0u64, 0u64);
                for batch in 0..5u32 {
                    let points: Vec<Value> = (0..50u32)
                        .map(|i| {
                            let day = (batch * 13 + i + pusher * 7) % 100;
                            let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
                                + chrono::Duration::days(day.into());
                            point("leads", &date.to_string(), &(day + pusher % 2).to_string())
                        })
                        .collect();
                    // Retry until acknowledged, as a pusher would: a retry must never
                    // double count. Bounded, so a push that never succeeds fails here.
                    let mut attempts = 0;
                    loop {
                        attempts += 1;
                        let body = app.graphql(PUSH, json!({ "o": org, "p": points })).await;
                        if let Some(r) = body["data"]["recordKpiMeasurements"].as_object() {
                            totals.0 += r["inserted"].as_u64().unwrap();
                            totals.1 += r["corrected"].as_u64().unwrap();
                            totals.2 += r["unchanged"].as_u64().unwrap();
                            break;
                        }
                        // Only a database out of reach is worth retrying; any other
                        // refusal is the failure.
                        assert_eq!(
                            body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
                            "pusher {pusher}, batch {batch}: {body}"
                        );
                        assert!(
                            attempts < MAX_ATTEMPTS,
                            "pusher {pusher}, batch {batch}: not acknowledged in {attempts} attempts; the last answer: {body}"
                        );
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                }
                totals
            }));
        }
        let mut inserted = 0;
        let mut changed = 0;
        let mut total = 0;
        for task in tasks {
            let (i, c, u) = task.await.unwrap();
            inserted += i;
            changed += c;
            total += i + c + u;
        }
        assert_eq!(total, 8 * 5 * 50, "every point was acknowledged once");
        let db = Database::connect(&app.database_url).await.unwrap();
        let rows = count(&db, "SELECT COUNT(*) FROM kpi_measurement").await;
        let distinct_days = count(
            &db,
            "SELECT COUNT(DISTINCT period_start) FROM kpi_measurement",
        )
        .await;
        assert_eq!(rows, distinct_days, "[{backend:?}] one row per key");
        assert_eq!(
            rows as u64, inserted,
            "[{backend:?}] every insert made exactly one row"
        );
        let revisions = count(&db, "SELECT COUNT(*) FROM kpi_measurement_revision").await;
        let bumps = count(
            &db,
            "SELECT CAST(SUM(revision - 1) AS BIGINT) FROM kpi_measurement",
        )
        .await;
        assert_eq!(
            revisions as u64, changed,
            "[{backend:?}] one history row per correction"
        );
        assert_eq!(
            bumps as u64, changed,
            "[{backend:?}] one revision per correction"
        );
    }
}

#[tokio::test]
async fn a_server_killed_mid_ingestion_keeps_every_acknowledged_batch() {
    const DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);
    for backend in backends() {
        let (url, dir) = crate::helpers::fresh_database(backend).await;
        let mut server = ServerProcess::start(&url);
        let address = server.address.clone();
        let admin = server.admin_token();
        let client = reqwest::Client::new();
        let gql = |address: String, query: &'static str, variables: Value| {
            let client = client.clone();
            let admin = admin.clone();
            async move {
                client
                    .post(format!("{address}/graphql"))
                    .bearer_auth(admin)
                    .json(&json!({ "query": query, "variables": variables }))
                    .send()
                    .await
            }
        };
        let org = gql(
            address.clone(),
            "mutation { createOrganization(input: { slug: \"killed\", name: \"Killed\" }) { id } }",
            json!({}),
        )
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["data"]["createOrganization"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let batch = |n: u32| -> Value {
            json!(
                (0..200u32)
                    .map(|i| point(
                        "leads",
                        &(chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()
                            + chrono::Duration::days((n * 200 + i).into()))
                        .to_string(),
                        "1"
                    ))
                    .collect::<Vec<_>>()
            )
        };
        // Push batches back to back from a task; kill the server while they flow.
        let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel::<u32>();
        let pusher = {
            let gql_address = address.clone();
            let org = org.clone();
            let client = client.clone();
            let admin = admin.clone();
            tokio::spawn(async move {
                for n in 0..40u32 {
                    let response = client
                        .post(format!("{gql_address}/graphql"))
                        .bearer_auth(&admin)
                        .json(&json!({ "query": PUSH, "variables": { "o": org, "p": batch(n) } }))
                        .send()
                        .await;
                    let Ok(response) = response else { return n };
                    let Ok(body) = response.json::<Value>().await else {
                        return n;
                    };
                    if body["data"]["recordKpiMeasurements"]["inserted"] == 200 {
                        acked_tx.send(n).ok();
                    } else {
                        return n;
                    }
                }
                40
            })
        };
        // Let a few batches land, then SIGKILL.
        let mut acknowledged = Vec::new();
        while acknowledged.len() < 3 {
            let n = tokio::time::timeout(DEADLINE, acked_rx.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "[{backend:?}] only {} batches acknowledged within {DEADLINE:?}",
                        acknowledged.len()
                    )
                })
                .unwrap_or_else(|| {
                    panic!(
                        "[{backend:?}] the pusher stopped after {} acknowledged batches, before the kill",
                        acknowledged.len()
                    )
                });
            acknowledged.push(n);
        }
        server.kill();
        let unacknowledged_from = tokio::time::timeout(DEADLINE, pusher)
            .await
            .expect("the pusher notices the server is gone")
            .unwrap();
        while let Ok(n) = acked_rx.try_recv() {
            acknowledged.push(n);
        }

        let server = ServerProcess::start(&url);
        let address = server.address.clone();
        let db = Database::connect(&url).await.unwrap();
        let stored = count(&db, "SELECT COUNT(*) FROM kpi_measurement").await;
        assert!(
            stored >= acknowledged.len() as i64 * 200,
            "[{backend:?}] {stored} rows for {} acknowledged batches",
            acknowledged.len()
        );
        assert_eq!(stored % 200, 0, "[{backend:?}] a batch is all or nothing");
        // Retrying every batch from the first unacknowledged one converges to exactly
        // one copy of each point.
        for n in unacknowledged_from.min(40)..40 {
            let body = gql(address.clone(), PUSH, json!({ "o": org, "p": batch(n) }))
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap();
            let r = &body["data"]["recordKpiMeasurements"];
            assert_eq!(
                r["inserted"].as_u64().unwrap() + r["unchanged"].as_u64().unwrap(),
                200,
                "{body}"
            );
        }
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM kpi_measurement").await,
            40 * 200,
            "[{backend:?}] exactly one copy"
        );
        drop(server);
        if let Some(dir) = dir {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

#[tokio::test]
async fn an_organization_answers_its_kpis_and_series_like_the_root_queries() {
    on_each_backend(|app| async move {
        let db = Database::connect(&app.database_url).await.unwrap();
        orgdesign_domain::demo::load(&db, &orgdesign_domain::settings::Limits::default()).await.unwrap();
        let id = app.ok("{ organization(slug: \"lumen-health\") { id } }", json!({})).await["organization"]["id"].clone();
        let nested = app
            .ok(
                "query($id: ID) { organization(id: $id) {
                    kpis(stage: REVENUE) { key }
                    kpiSeries(kpi: \"mqls\", granularity: QUARTER, from: \"2020-01-01\", to: \"2040-01-01\") { periodStart value target } } }",
                json!({ "id": id }),
            )
            .await;
        let root = app
            .ok(
                "query($id: ID!) { kpis(organizationId: $id, stage: REVENUE) { key }
                    kpiSeries(organizationId: $id, kpi: \"mqls\", granularity: QUARTER, from: \"2020-01-01\", to: \"2040-01-01\") { periodStart value target } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(nested["organization"]["kpis"], root["kpis"]);
        assert_eq!(nested["organization"]["kpiSeries"], root["kpiSeries"]);
        assert!(nested["organization"]["kpis"].as_array().unwrap().iter().any(|k| k["key"] == "marketing_sourced_revenue"));
        assert!(nested["organization"]["kpiSeries"].as_array().unwrap().len() >= 8, "two years of quarters");
        // Errors name the argument, as on the root query.
        let body = app
            .graphql(
                "query($id: ID) { organization(id: $id) { kpiSeries(kpi: \"nope\", granularity: MONTH, from: \"2024-01-01\", to: \"2023-01-01\") { value } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "to", "{body}");
    })
    .await;
}

/// A point's history is readable: every value it had, who recorded it and when, the
/// current one last; a point that was never pushed is `null`.
#[tokio::test]
async fn a_points_history_lists_every_value_it_had() {
    on_each_backend(|app| async move {
        let org = app.create_org("historied").await;
        let unit = app.create_unit(&org, "Demand", "MARKETING").await;
        let one = |value: &str| {
            json!([{ "kpi": "mqls", "granularity": "DAY", "periodStart": "2024-03-01", "value": value,
                     "source": "crm", "unitId": unit, "dimensions": [{ "name": "channel", "value": "email" }] }])
        };
        for value in ["12", "15.5", "18"] {
            push(&app, &org, one(value)).await;
        }
        push(&app, &org, json!([point("mqls", "2024-03-01", "99")])).await; // another series
        let query = "query($o: ID!, $u: ID, $d: [DimensionInput!], $s: String!) {
            kpiPoint(organizationId: $o, kpi: \"mqls\", granularity: DAY, periodStart: \"2024-03-01\", source: $s, unitId: $u, dimensions: $d) {
              id kpi value revision recordedBy history { revision value recordedAt recordedBy current } } }";
        let data = app
            .ok(query, json!({ "o": org, "u": unit, "d": [{ "name": "channel", "value": "email" }], "s": "crm" }))
            .await;
        let point = &data["kpiPoint"];
        assert_eq!(point["kpi"], "mqls");
        assert_eq!(point["value"], "18", "{data}");
        assert_eq!(point["revision"], 3);
        assert_eq!(point["recordedBy"], "test-admin");
        let history = point["history"].as_array().unwrap();
        let values: Vec<(&Value, &Value, &Value)> = history
            .iter()
            .map(|h| (&h["revision"], &h["value"], &h["current"]))
            .collect();
        assert_eq!(
            values,
            vec![
                (&json!(1), &json!("12"), &json!(false)),
                (&json!(2), &json!("15.5"), &json!(false)),
                (&json!(3), &json!("18"), &json!(true)),
            ],
            "{data}"
        );
        // One timestamp format everywhere: RFC 3339 in UTC with `Z`.
        assert!(history.iter().all(|h| h["recordedAt"].as_str().is_some_and(|t| t.starts_with("20") && t.ends_with('Z'))), "{data}");
        let export = |accept: &'static str| {
            app.client
                .get(format!("{}/api/v1/organizations/historied/kpi-measurements?kpi=mqls", app.address))
                .header("accept", accept)
                .send()
        };
        let json: Value = export("application/json").await.unwrap().json().await.unwrap();
        assert!(json["points"][0]["recordedAt"].as_str().is_some_and(|t| t.ends_with('Z')), "{json}");
        let csv = export("text/csv").await.unwrap().text().await.unwrap();
        let row = csv.lines().nth(1).unwrap_or_default();
        assert!(row.split(',').any(|cell| cell.starts_with("20") && cell.contains('T') && cell.ends_with('Z')), "{csv}");

        // Not stored (another source): null. A malformed key: BAD_USER_INPUT on it.
        let missing = app
            .ok(query, json!({ "o": org, "u": unit, "d": [{ "name": "channel", "value": "email" }], "s": "hubspot" }))
            .await;
        assert_eq!(missing["kpiPoint"], Value::Null);
        let bad = app
            .error(query.replace("\"mqls\"", "\"Not A Key\"").as_str(), json!({ "o": org, "u": unit, "s": "crm" }))
            .await;
        assert_eq!((code(&bad), field(&bad)), ("BAD_USER_INPUT", "kpi"), "{bad}");
    })
    .await;
}
