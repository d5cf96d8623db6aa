//! The structure as a CSV file: `GET .../structure.csv`, `POST .../scenarios` with the
//! file, and `orgdesign export-structure` / `import-structure`, over the demo.

use std::process::Command;

use orgdesign_domain::auth::Role;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, codes, get_text, on_each_backend, succeeded};

const EXPORT: &str = "/api/v1/organizations/northwind-industrial/structure.csv";
const IMPORT: &str = "/api/v1/organizations/northwind-industrial/scenarios";
const HEADER: &str =
    "id,unit,function,sourcing,solid_superior,dotted_superiors,head_position,head_role";

const SCENARIO: &str = r#"query($id: ID!) { scenario(id: $id) {
    name status version
    changes { index kind }
    diff {
        empty
        unitsAdded { key name }
        unitsArchived { name }
        unitsMoved { unit { name } from { name } to { name } }
        linesAdded { kind }
        linesEnded { kind }
        insightsResolved { code }
        insightsIntroduced { code }
    }
} }"#;

const COUNT: &str = r#"query { organization(slug: "northwind-industrial") {
    scenarios(first: 1) { totalCount } } }"#;

/// `POST` a CSV file with `token` to `path` (query included): status and JSON body.
async fn upload(app: &TestApp, token: &str, path: &str, csv: &str) -> (StatusCode, Value) {
    let response = app
        .anonymous
        .post(format!("{}{path}", app.address))
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// Loads the demo and exports Northwind's structure as the admin: the file.
async fn demo_export(app: &TestApp) -> String {
    app.load_demo().await;
    let (status, _, csv) = get_text(app, Some(&app.admin_token), EXPORT).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    csv
}

/// Imports `csv` as the admin with the parameters `query`, which must draft a scenario:
/// the scenario the reply describes.
async fn import(app: &TestApp, query: &str, csv: &str) -> Value {
    let path = format!("{IMPORT}?{query}");
    let (status, created) = upload(app, &app.admin_token, &path, csv).await;
    assert_eq!(status, StatusCode::CREATED, "{created:#}");
    created
}

/// Scenario `id` as `SCENARIO` reads it.
async fn scenario(app: &TestApp, id: &Value) -> Value {
    app.ok(SCENARIO, json!({ "id": id })).await["scenario"].take()
}

async fn scenario_count(app: &TestApp) -> u64 {
    app.ok(COUNT, json!({})).await["organization"]["scenarios"]["totalCount"]
        .as_u64()
        .unwrap()
}

/// The exported file with `edit` applied to its rows (each a list of fields).
fn edited(csv: &str, edit: impl FnOnce(&mut Vec<Vec<String>>)) -> String {
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(HEADER));
    let mut rows: Vec<Vec<String>> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    edit(&mut rows);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER.split(',')).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

#[tokio::test]
async fn an_exported_structure_imported_as_a_scenario_has_an_empty_diff() {
    on_each_backend(|app| async move {
        app.load_demo().await;
        let (status, content_type, csv) = get_text(&app, Some(&app.admin_token), EXPORT).await;
        assert_eq!(status, StatusCode::OK, "{csv}");
        assert!(content_type.starts_with("text/csv"), "{content_type}");
        assert_eq!(csv.lines().next(), Some(HEADER));
        assert_eq!(
            csv.lines().count(),
            9,
            "a header and Northwind's 8 units: {csv}"
        );
        assert!(
            csv.contains(",Pumps marketing,MARKETING,IN_HOUSE,Pumps sales,,"),
            "{csv}"
        );

        let before = scenario_count(&app).await;
        let created = import(&app, "name=Round%20trip", &csv).await;
        assert_eq!(created["status"], "DRAFT");
        assert_eq!(created["name"], "Round trip");
        assert_eq!(created["changes"], 0, "{created:#}");
        assert_eq!(created["version"], 1);
        assert_eq!(scenario_count(&app).await, before + 1);

        let scenario = scenario(&app, &created["id"]).await;
        assert_eq!(scenario["diff"]["empty"], true, "{scenario:#}");
        assert_eq!(scenario["changes"], json!([]));
        assert_eq!(scenario["diff"]["insightsResolved"], json!([]));
        assert_eq!(scenario["diff"]["insightsIntroduced"], json!([]));

        // The export is stable: the same day gives the same file.
        let (_, _, again) = get_text(&app, Some(&app.admin_token), EXPORT).await;
        assert_eq!(again, csv);

        // A retried upload with the same Idempotency-Key gets the first reply and
        // drafts nothing more; the same key with another file is 422.
        let keyed = |body: String| {
            app.anonymous
                .post(format!("{}{IMPORT}?name=Keyed", app.address))
                .bearer_auth(&app.admin_token)
                .header(header::CONTENT_TYPE, "text/csv")
                .header("Idempotency-Key", "structure-upload-1")
                .body(body)
                .send()
        };
        let first = keyed(csv.clone()).await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED);
        let first: Value = first.json().await.unwrap();
        let retry = keyed(csv.clone()).await.unwrap();
        assert_eq!(retry.status(), StatusCode::CREATED);
        assert_eq!(retry.headers()["idempotent-replayed"], "true");
        let retry: Value = retry.json().await.unwrap();
        assert_eq!(retry["id"], first["id"]);
        assert_eq!(scenario_count(&app).await, before + 2);
        let other = keyed(csv.replace("Pumps marketing", "Pumps marcom"))
            .await
            .unwrap();
        assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn an_edited_structure_file_drafts_the_changes_it_describes() {
    on_each_backend(|app| async move {
        let csv = demo_export(&app).await;
        // Both marketing teams move under a new CMO-led center reporting to the board,
        // with DOTTED lines back into their business units; Finance goes.
        let file = edited(&csv, |rows| {
            for row in rows.iter_mut() {
                match row[1].as_str() {
                    "Pumps marketing" => {
                        row[4] = "Marketing center".into();
                        row[5] = "Pumps business unit".into();
                    }
                    "Valves marketing" => {
                        row[4] = "Marketing center".into();
                        row[5] = "Valves business unit".into();
                    }
                    _ => {}
                }
            }
            rows.retain(|r| r[1] != "Finance");
            rows.push(
                [
                    "",
                    "Marketing center",
                    "MARKETING",
                    "IN_HOUSE",
                    "Executive board",
                    "",
                    "Chief Marketing Officer",
                    "CMO",
                ]
                .map(str::to_owned)
                .to_vec(),
            );
        });
        let query = "name=Marketing%20center%20from%20a%20file&effectiveFrom=2030-01-01";
        let created = import(&app, query, &file).await;
        assert_eq!(created["effectiveFrom"], "2030-01-01");

        let scenario = scenario(&app, &created["id"]).await;
        let kinds: Vec<&str> = scenario["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "createUnit",
                "moveUnit",
                "moveUnit",
                "addDottedLine",
                "addDottedLine",
                "createPosition",
                "archiveUnit"
            ],
            "{scenario:#}"
        );
        assert_eq!(created["changes"], 7);
        let diff = &scenario["diff"];
        assert_eq!(diff["empty"], false);
        assert_eq!(
            diff["unitsAdded"],
            json!([{ "key": "marketing-center", "name": "Marketing center" }])
        );
        assert_eq!(diff["unitsArchived"], json!([{ "name": "Finance" }]));
        let mut moved: Vec<(String, String, String)> = diff["unitsMoved"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["unit"]["name"].as_str().unwrap().to_owned(),
                    m["from"]["name"].as_str().unwrap().to_owned(),
                    m["to"]["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        moved.sort();
        assert_eq!(
            moved,
            [
                (
                    "Pumps marketing".into(),
                    "Pumps sales".into(),
                    "Marketing center".into()
                ),
                (
                    "Valves marketing".into(),
                    "Valves sales".into(),
                    "Marketing center".into()
                ),
            ]
        );
        let resolved = codes(&diff["insightsResolved"]);
        assert!(resolved.contains(&"MARKETING_REPORTS_TO_SALES"), "{diff:#}");
        assert!(!codes(&diff["insightsIntroduced"]).contains(&"MARKETING_REPORTS_TO_SALES"));
    })
    .await;
}

#[tokio::test]
async fn a_bad_structure_file_is_refused_with_its_line_and_nothing_is_created() {
    on_each_backend(|app| async move {
        let csv = demo_export(&app).await;
        let before = scenario_count(&app).await;
        let path = format!("{IMPORT}?name=Broken");
        let stranger = uuid::Uuid::now_v7().to_string();
        let cases = [
            // Line 3 (the second unit) gets a function that does not exist.
            (
                edited(&csv, |rows| rows[1][2] = "WIZARDRY".into()),
                "line[3].function",
            ),
            (
                edited(&csv, |rows| rows[3][4] = "Nobody".into()),
                "line[5].solid_superior",
            ),
            (
                edited(&csv, |rows| rows[0][4] = "Pumps marketing".into()),
                "line[2].solid_superior",
            ),
            (
                edited(&csv, |rows| rows[2][0] = stranger.clone()),
                "line[4].id",
            ),
            ("id,unit,functon\n".to_owned(), "header"),
        ];
        for (file, expected) in cases {
            let (status, body) = upload(&app, &app.admin_token, &path, &file).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{expected}: {body:#}");
            let error = &body["errors"][0];
            assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT");
            assert_eq!(error["extensions"]["field"], expected, "{body:#}");
            assert!(
                error["message"].as_str().unwrap().starts_with(expected),
                "{body:#}"
            );
        }
        // The name and the date are checked before the body is read.
        let (status, body) = upload(&app, &app.admin_token, IMPORT, &csv).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["errors"][0]["extensions"]["field"], "name");
        let (status, body) = upload(
            &app,
            &app.admin_token,
            &format!("{path}&effectiveFrom=2030-02-30"),
            &csv,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["errors"][0]["extensions"]["field"], "effectiveFrom");
        // Not CSV.
        let response = app
            .client
            .post(format!("{}{path}", app.address))
            .json(&json!({ "units": [] }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(scenario_count(&app).await, before, "nothing was created");
    })
    .await;
}

#[tokio::test]
async fn viewers_read_the_structure_file_editors_import_it_and_integrations_do_neither() {
    on_each_backend(|app| async move {
        app.load_demo().await;
        let org = app
            .ok_id(
                r#"{ organization(slug: "northwind-industrial") { id } }"#,
                json!({}),
            )
            .await;
        let other = app.create_org("someone-else").await;
        let viewer = app.token(Role::Viewer, &[&org]);
        let editor = app.token(Role::Editor, &[&org]);
        let stranger = app.token(Role::Editor, &[&other]);
        let (integration, _) = crate::authorization::issue_token(&app, &org).await;
        let (_, _, csv) = get_text(&app, Some(&app.admin_token), EXPORT).await;
        let path = format!("{IMPORT}?name=Access");

        for (who, token, expected) in [
            ("viewer", &viewer, StatusCode::OK),
            ("editor", &editor, StatusCode::OK),
            ("integration", &integration, StatusCode::FORBIDDEN),
            ("stranger", &stranger, StatusCode::NOT_FOUND),
        ] {
            let (status, _, _) = get_text(&app, Some(token), EXPORT).await;
            assert_eq!(status, expected, "{who} exports");
        }
        for (who, token, expected) in [
            ("viewer", &viewer, StatusCode::FORBIDDEN),
            ("integration", &integration, StatusCode::FORBIDDEN),
            ("stranger", &stranger, StatusCode::NOT_FOUND),
        ] {
            let (status, _) = upload(&app, token, &path, &csv).await;
            assert_eq!(status, expected, "{who} imports");
        }
        let (status, created) = upload(&app, &editor, &path, &csv).await;
        assert_eq!(status, StatusCode::CREATED, "{created:#}");
    })
    .await;
}

/// Runs the `orgdesign` binary on `database_url`.
fn orgdesign(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_orgdesign"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the binary runs")
}

/// Writes `csv` to `file` and drafts it as scenario `name` of Northwind with
/// `orgdesign import-structure`, given `more` arguments: the command's output.
fn import_with_cli(
    database_url: &str,
    file: &std::path::Path,
    csv: &str,
    name: &str,
    more: &[&str],
) -> std::process::Output {
    std::fs::write(file, csv).unwrap();
    let file = file.to_str().unwrap();
    let org = "northwind-industrial";
    let mut args = vec!["import-structure", file, "--org", org, "--scenario", name];
    args.extend_from_slice(more);
    orgdesign(database_url, &args)
}

#[tokio::test]
async fn the_command_line_exports_and_imports_the_structure_round_trip() {
    on_each_backend(|app| async move {
        app.load_demo().await;
        let dir = std::env::temp_dir().join(format!(
            "orgdesign-structure-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();

        // The command line writes the same file as REST.
        let exported = orgdesign(
            &app.database_url,
            &["export-structure", "--org", "northwind-industrial"],
        );
        let csv = succeeded(&exported);
        let (_, _, served) = get_text(&app, Some(&app.admin_token), EXPORT).await;
        assert_eq!(csv, served);

        let file = dir.join("northwind.csv");
        let round_trip = "Round trip from the command line";
        let imported = import_with_cli(&app.database_url, &file, &csv, round_trip, &[]);
        let stdout = succeeded(&imported);
        assert!(stdout.contains("(0 changes"), "{stdout}");
        assert!(stdout.contains("the diff is empty"), "{stdout}");
        let id = stdout
            .split_whitespace()
            .nth(2)
            .expect("drafted scenario <id>")
            .to_owned();
        let scenario = scenario(&app, &json!(id)).await;
        assert_eq!(scenario["name"], round_trip);
        assert_eq!(scenario["diff"]["empty"], true, "{scenario:#}");

        // An edited file: the summary says what the diff says.
        let moved = edited(&csv, |rows| {
            for row in rows.iter_mut() {
                if row[1] == "Valves marketing" {
                    row[4] = "Executive board".into();
                }
            }
        });
        let imported = import_with_cli(
            &app.database_url,
            &file,
            &moved,
            "Valves marketing to the board",
            &["--effective-from", "2030-01-01"],
        );
        let stdout = succeeded(&imported);
        assert!(
            stdout.contains("(1 changes, effective 2030-01-01)"),
            "{stdout}"
        );
        assert!(stdout.contains("0 added, 1 moved, 0 archived"), "{stdout}");

        // A bad line: its number in the message, nothing stored.
        let before = scenario_count(&app).await;
        let broken = edited(&csv, |rows| rows[2][3] = "BORROWED".into());
        let refused = import_with_cli(&app.database_url, &file, &broken, "Broken", &[]);
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("line 4, column sourcing"), "{stderr}");
        assert_eq!(scenario_count(&app).await, before);
        std::fs::remove_dir_all(dir).ok();
    })
    .await;
}
