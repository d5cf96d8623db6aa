//! The org chart (GraphQL `chart` in three formats, `GET .../chart.svg`) and the KPI
//! trend chart (`GET .../kpis/{key}/chart.svg`) over the demo organizations.

use orgdesign_domain::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    authorization::issue_token,
    helpers::{TestApp, get_text, on_each_backend},
};

async fn chart(app: &TestApp, slug: &str, format: &str, as_of: Option<&str>) -> String {
    let data = app
        .ok(
            "query($s: String, $f: ChartFormat!, $d: NaiveDate) { organization(slug: $s) { chart(format: $f, asOf: $d) } }",
            json!({ "s": slug, "f": format, "d": as_of }),
        )
        .await;
    data["organization"]["chart"].as_str().unwrap().to_owned()
}

fn ids(app_data: &Value, name: &str) -> String {
    app_data["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_org_chart_draws_lines_by_kind_functions_and_insight_markers_in_every_format() {
    on_each_backend(|app| async move {
        app.load_demo().await;

        // Lumen: eight SOLID lines and two DOTTED (matrix) lines into the business units.
        let mermaid = chart(&app, "lumen-health", "MERMAID", None).await;
        assert!(mermaid.contains("flowchart TD"));
        assert_eq!(mermaid.matches(" --> ").count(), 8, "{mermaid}");
        assert_eq!(mermaid.matches(" -.-> ").count(), 2, "{mermaid}");
        assert!(mermaid.contains("classDef marketing") && mermaid.contains("classDef business_unit"));
        assert!(!mermaid.contains("⚠"), "Lumen raises no insight");
        let dot = chart(&app, "lumen-health", "DOT", None).await;
        assert_eq!(dot.matches(" -> ").count(), 10);
        assert_eq!(dot.matches("style=dashed, constraint=false").count(), 2);

        // The SVG of GraphQL and of REST are the same picture.
        let svg = chart(&app, "lumen-health", "SVG", None).await;
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("class=\"dotted\"").count(), 2);
        assert_eq!(svg.matches("class=\"unit ").count(), 9);
        assert!(svg.contains("No insights on this date"));
        let (status, content_type, body) =
            get_text(&app, Some(&app.admin_token), "/api/v1/organizations/lumen-health/chart.svg").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "image/svg+xml; charset=utf-8");
        assert_eq!(body, svg);

        // Northwind: markers on the units its insights rest on, and the numbered list.
        let units = app
            .ok("{ organization(slug: \"northwind-industrial\") { units { id name } insights { code } } }", json!({}))
            .await;
        let northwind = &units["organization"];
        let svg = chart(&app, "northwind-industrial", "SVG", None).await;
        let insights = northwind["insights"].as_array().unwrap().len();
        assert!(svg.contains(&format!("Insights ({insights})")));
        let pumps = ids(northwind, "Pumps marketing");
        let at = svg.find(&format!("id=\"unit-{pumps}\"")).expect("the pumps marketing unit is drawn");
        let end = svg[at..].find("<g class=\"unit ").map_or(svg.len(), |e| at + e);
        let unit_group = &svg[at..end];
        assert!(unit_group.contains("class=\"marker\""), "{unit_group}");
        assert!(unit_group.contains("Pumps marketing reports to Pumps sales"), "its tooltip names the insight: {unit_group}");
        let mermaid = chart(&app, "northwind-industrial", "MERMAID", None).await;
        assert!(mermaid.contains("stroke:#b91c1c"), "the duplicated teams are marked critical");

        // Meridian over time: marketing under the CEO before the reorganization, under
        // the commercial unit after it.
        let meridian = app
            .ok("{ organization(slug: \"meridian-logistics\") { units { id name } } }", json!({}))
            .await;
        let (exec, commercial, marketing) = (
            ids(&meridian["organization"], "Group executive"),
            ids(&meridian["organization"], "Commercial and strategy"),
            ids(&meridian["organization"], "Marketing"),
        );
        let before = chart(&app, "meridian-logistics", "DOT", Some("2023-06-01")).await;
        let after = chart(&app, "meridian-logistics", "DOT", None).await;
        assert!(before.contains(&format!("\"{exec}\" -> \"{marketing}\";")), "{before}");
        assert!(!before.contains(&format!("\"{commercial}\" -> \"{marketing}\";")));
        assert!(after.contains(&format!("\"{commercial}\" -> \"{marketing}\";")), "{after}");
        assert!(before.contains("as of 2023-06-01"));
        let (status, _, body) = get_text(
            &app,
            Some(&app.admin_token),
            "/api/v1/organizations/meridian-logistics/chart.svg?asOf=2023-06-01",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, chart(&app, "meridian-logistics", "SVG", Some("2023-06-01")).await);
    })
    .await;
}

#[tokio::test]
async fn the_kpi_trend_chart_shows_the_series_and_its_target() {
    on_each_backend(|app| async move {
        app.load_demo().await;
        let lumen = app.ok("{ organization(slug: \"lumen-health\") { id } }", json!({})).await["organization"]["id"].clone();
        let series = app
            .ok(
                "query($o: ID!) { kpiSeries(organizationId: $o, kpi: \"mqls\", granularity: MONTH, from: \"2020-01-01\", to: \"2040-01-01\") { periodStart value target } }",
                json!({ "o": lumen }),
            )
            .await;
        let periods = series["kpiSeries"].as_array().unwrap();
        assert_eq!(periods.len(), 24, "the demo's two years of monthly MQLs");
        let (status, content_type, svg) = get_text(
            &app,
            Some(&app.admin_token),
            "/api/v1/organizations/lumen-health/kpis/mqls/chart.svg?from=2020-01-01&to=2040-01-01",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{svg}");
        assert_eq!(content_type, "image/svg+xml; charset=utf-8");
        assert_eq!(svg.matches("<circle").count(), periods.len());
        assert!(svg.contains("class=\"value\"") && svg.contains("class=\"target\""));
        assert!(svg.contains("Marketing-qualified leads — Lumen Health"));
        // Each dot's tooltip holds the period's value and target, as kpiSeries says.
        let last = periods.last().unwrap();
        assert_eq!(last["target"], "1000");
        assert!(svg.contains("(target 1000)"), "{svg}");

        // Defaults: the last two years by month.
        let (status, _, default) =
            get_text(&app, Some(&app.admin_token), "/api/v1/organizations/lumen-health/kpis/mqls/chart.svg").await;
        assert_eq!(status, StatusCode::OK);
        assert!(default.contains("by month"));
        // 24 months, the current one only partly in the range (up to tomorrow): a
        // hollow dot, explained in the legend (one more circle).
        assert_eq!(default.matches("<circle").count(), 25);
        assert_eq!(default.matches("class=\"partial\"").count(), 1);
        assert!(default.contains("only part of the period is in the range"));
        assert!(!svg.contains("class=\"partial\""), "2020 to 2040 holds every period whole");

        // No data: a chart that says so, not an error.
        let (status, _, empty) =
            get_text(&app, Some(&app.admin_token), "/api/v1/organizations/meridian-logistics/kpis/mqls/chart.svg").await;
        assert_eq!(status, StatusCode::OK);
        assert!(empty.contains("No data for mqls"));
        assert!(!empty.contains("<circle"));
    })
    .await;
}

#[tokio::test]
async fn the_chart_endpoints_check_tokens_tenancy_and_input() {
    on_each_backend(|app| async move {
        app.load_demo().await;
        let orgs = app
            .ok(
                "{ organizations { edges { node { id slug } } } }",
                json!({}),
            )
            .await;
        let id_of = |slug: &str| {
            orgs["organizations"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["node"]["slug"] == slug)
                .unwrap()["node"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let (lumen, fjord) = (id_of("lumen-health"), id_of("fjord-outdoor"));
        let org_chart = "/api/v1/organizations/lumen-health/chart.svg";
        let kpi_chart = "/api/v1/organizations/lumen-health/kpis/mqls/chart.svg";
        let error = |body: &str| {
            serde_json::from_str::<Value>(body).unwrap()["errors"][0]["extensions"].clone()
        };

        for path in [org_chart, kpi_chart] {
            let (status, _, _) = get_text(&app, None, path).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
            // A viewer of another organization sees the same 404 as for an unknown slug.
            let other = app.token(Role::Viewer, &[&fjord]);
            let (status, _, body) = get_text(&app, Some(&other), path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(error(&body)["code"], "NOT_FOUND");
            let viewer = app.token(Role::Viewer, &[&lumen]);
            let (status, _, _) = get_text(&app, Some(&viewer), path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
        }
        let (status, _, _) = get_text(
            &app,
            Some(&app.admin_token),
            "/api/v1/organizations/no-such-org/chart.svg",
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Integration tokens read KPI data but not the structure.
        let (integration, _) = issue_token(&app, &lumen).await;
        let (status, _, body) = get_text(&app, Some(&integration), org_chart).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(error(&body)["code"], "FORBIDDEN");
        let (status, _, _) = get_text(&app, Some(&integration), kpi_chart).await;
        assert_eq!(status, StatusCode::OK);

        // Bad input: a clear code and the field at fault.
        let admin = Some(app.admin_token.as_str());
        for (path, status, field) in [
            (
                format!("{org_chart}?asOf=yesterday"),
                StatusCode::BAD_REQUEST,
                "asOf",
            ),
            (
                format!("{kpi_chart}?granularity=HOURLY"),
                StatusCode::BAD_REQUEST,
                "granularity",
            ),
            (
                format!("{kpi_chart}?from=2026-01-01&to=2025-01-01"),
                StatusCode::BAD_REQUEST,
                "to",
            ),
            (
                format!("{kpi_chart}?granularity=DAY&from=2000-01-01&to=2026-01-01"),
                StatusCode::BAD_REQUEST,
                "from",
            ),
            (
                format!("{kpi_chart}?from=not-a-date"),
                StatusCode::BAD_REQUEST,
                "from",
            ),
            (
                "/api/v1/organizations/lumen-health/kpis/no_such_kpi/chart.svg".to_owned(),
                StatusCode::NOT_FOUND,
                "key",
            ),
            (
                format!("{kpi_chart}?unitId={}", uuid::Uuid::now_v7()),
                StatusCode::NOT_FOUND,
                "unitId",
            ),
        ] {
            let (got, _, body) = get_text(&app, admin, &path).await;
            assert_eq!(got, status, "{path}: {body}");
            assert_eq!(error(&body)["field"], field, "{path}: {body}");
            assert!(
                !body.contains("sqlx") && !body.contains("panicked"),
                "{body}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn dates_out_of_range_are_bad_input_not_a_crash() {
    on_each_backend(|app| async move {
        app.load_demo().await;
        let admin = Some(app.admin_token.as_str());
        for path in [
            "/api/v1/organizations/lumen-health/kpis/mqls/chart.svg?granularity=DAY&to=-262143-01-05",
            "/api/v1/organizations/lumen-health/kpis/mqls/chart.svg?granularity=WEEK&to=-262143-01-05",
            "/api/v1/organizations/lumen-health/chart.svg?asOf=-5000-01-01",
        ] {
            let (status, _, body) = get_text(&app, admin, path).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        }
        // The earliest storable dates still chart: the default range starts no earlier.
        let (status, _, body) = get_text(
            &app,
            admin,
            "/api/v1/organizations/lumen-health/kpis/mqls/chart.svg?granularity=YEAR&to=1900-03-01",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("No data for mqls between 1900-01-01 and 1900-02-28"), "{body}");
        for field in ["chart(format: SVG, asOf: \"-5000-01-01\")", "insights(asOf: \"-5000-01-01\") { code }",
                      "collaborationModel(asOf: \"-5000-01-01\") { inferred }", "maturity(asOf: \"-5000-01-01\") { evidenced }",
                      "reportingLines(asOf: \"-5000-01-01\") { id }"] {
            let body = app.graphql(&format!("{{ organization(slug: \"lumen-health\") {{ {field} }} }}"), json!({})).await;
            let error = &body["errors"][0];
            assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{field}: {body}");
            assert_eq!(error["extensions"]["field"], "asOf", "{field}: {body}");
        }
    })
    .await;
}

#[tokio::test]
async fn each_mutation_field_sees_the_writes_before_it() {
    on_each_backend(|app| async move {
        let org = app.create_org("one-after-another").await;
        let top = app.create_unit(&org, "Executive", "EXECUTIVE").await;
        let team = app.create_unit(&org, "Team", "MARKETING").await;
        app.add_line(&team, &top, "SOLID", "2024-01-01", None).await;
        // Two units created in one document: the second field's insights must count
        // both, not reuse what the first field read.
        let data = app
            .ok(
                "mutation($o: ID!) {
                    a: createUnit(input: { organizationId: $o, name: \"Loose A\", function: OTHER }) { organization { insights { code title } } }
                    b: createUnit(input: { organizationId: $o, name: \"Loose B\", function: OTHER }) { organization { insights { code title } } } }",
                json!({ "o": org }),
            )
            .await;
        let orphans = |key: &str| {
            data[key]["organization"]["insights"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["code"] == "STRUCTURE_ORPHAN_UNITS")
                .unwrap_or_else(|| panic!("{data}"))["title"]
                .clone()
        };
        assert_eq!(orphans("a"), "1 unit(s) report to no one");
        assert_eq!(orphans("b"), "2 unit(s) report to no one");

        // The same for what the DataLoaders remember: a line added between two fields
        // shows in the second field's reporting lines and chart.
        let first = app.create_unit(&org, "Team 2", "MARKETING").await;
        let data = app
            .ok(
                "mutation($line: AddReportingLineInput!, $top: ID!) {
                    a: updateUnit(input: { id: $top, version: 1, description: \"before\" }) { organization { reportingLines { id } chart(format: MERMAID) } }
                    b: addReportingLine(input: $line) { id }
                    c: updateUnit(input: { id: $top, version: 2, description: \"after\" }) { organization { reportingLines { id } chart(format: MERMAID) } } }",
                json!({ "top": top, "line": { "unitId": first, "superiorUnitId": top, "kind": "SOLID", "effectiveFrom": "2024-01-01" } }),
            )
            .await;
        let lines = |key: &str| data[key]["organization"]["reportingLines"].as_array().unwrap().len();
        let arrows = |key: &str| data[key]["organization"]["chart"].as_str().unwrap().matches(" --> ").count();
        assert_eq!((lines("a"), arrows("a")), (1, 1), "{data}");
        assert_eq!((lines("c"), arrows("c")), (2, 2), "{data}");
    })
    .await;
}

#[tokio::test]
async fn a_chart_can_start_at_one_unit_and_stop_at_a_depth() {
    on_each_backend(|app| async move {
        app.load_demo().await;
        let lumen = app.ok("{ organization(slug: \"lumen-health\") { units { id name } } }", json!({})).await;
        let marketing = ids(&lumen["organization"], "Group marketing");
        let data = app
            .ok(
                "query($r: ID) { organization(slug: \"lumen-health\") { chart(format: MERMAID, rootUnitId: $r) } }",
                json!({ "r": marketing }),
            )
            .await;
        let mermaid = data["organization"]["chart"].as_str().unwrap();
        assert!(mermaid.starts_with("%% Lumen Health, Group marketing and below — org chart"), "{mermaid}");
        assert_eq!(mermaid.matches("[\"<b>").count(), 3, "Group marketing, Brand and Demand: {mermaid}");
        assert_eq!(mermaid.matches(" --> ").count(), 2);
        assert_eq!(mermaid.matches(" -.-> ").count(), 0, "the business units are not drawn, nor the lines to them");

        // Depth 1 from the top: the executive office and its six direct reports.
        let data = app
            .ok("{ organization(slug: \"lumen-health\") { chart(format: DOT, depth: 1) } }", json!({}))
            .await;
        let dot = data["organization"]["chart"].as_str().unwrap();
        assert_eq!(dot.matches("[label=").count(), 7, "{dot}");

        // Northwind below the pumps business unit: only the insights about what is drawn.
        let northwind = app.ok("{ organization(slug: \"northwind-industrial\") { units { id name } } }", json!({})).await;
        let pumps = ids(&northwind["organization"], "Pumps business unit");
        let (status, _, svg) = get_text(
            &app,
            Some(&app.admin_token),
            &format!("/api/v1/organizations/northwind-industrial/chart.svg?rootUnitId={pumps}&depth=5"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(svg.matches("class=\"unit ").count(), 3, "the business unit, its sales and its marketing");
        assert!(svg.contains("Pumps marketing reports to Pumps sales"));
        assert!(!svg.contains("Valves marketing reports to Valves sales"));
        assert!(!svg.contains("PRIORITY_UNASSESSED"), "organization-wide insights stay off a unit's chart");

        // Bad input names its field.
        let error = |body: &str| serde_json::from_str::<Value>(body).unwrap()["errors"][0]["extensions"].clone();
        for (query, status, field) in [
            (format!("rootUnitId={}", uuid::Uuid::now_v7()), StatusCode::NOT_FOUND, "rootUnitId"),
            ("rootUnitId=pumps".to_owned(), StatusCode::BAD_REQUEST, "rootUnitId"),
            ("depth=5000".to_owned(), StatusCode::BAD_REQUEST, "depth"),
            ("depth=-1".to_owned(), StatusCode::BAD_REQUEST, "depth"),
            ("asOf=yesterday".to_owned(), StatusCode::BAD_REQUEST, "asOf"),
        ] {
            let (got, _, body) =
                get_text(&app, Some(&app.admin_token), &format!("/api/v1/organizations/northwind-industrial/chart.svg?{query}")).await;
            assert_eq!(got, status, "{query}: {body}");
            assert_eq!(error(&body)["field"], field, "{query}: {body}");
        }
        let body = app
            .graphql(
                "query($r: ID) { organization(slug: \"northwind-industrial\") { chart(format: SVG, rootUnitId: $r) } }",
                json!({ "r": marketing }),
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND", "a unit of another organization: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "rootUnitId");
        let body = app
            .graphql("{ organization(slug: \"northwind-industrial\") { chart(format: SVG, depth: -1) } }", json!({}))
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "depth", "{body}");
        let body = app
            .graphql("{ organization(slug: \"northwind-industrial\") { chart(format: SVG, depth: 5000) } }", json!({}))
            .await;
        assert_eq!(body["errors"][0]["extensions"]["field"], "depth", "{body}");
    })
    .await;
}
