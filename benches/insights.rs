//! orgdesign's insights benchmark: `insights` (and the SVG `chart`, which reads the same
//! snapshot) on an organization of 2,000 units with 100,000 KPI points, beside a small
//! one, with the SQL statements each request sends; and a draft scenario of 100
//! changes on the large one evaluated and diffed (`scenario { diff insights }`), beside
//! a one-change draft (the statements must not grow with the changes) and the live
//! `insights` as the ceiling (the same snapshot, judged once instead of twice).
//!
//! ```sh
//! cargo bench --bench insights -- sqlite
//! ORGDESIGN_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench insights -- postgres
//! ```
//!
//! Sizes: `ORGDESIGN_BENCH_UNITS` (default 2,000) and `ORGDESIGN_BENCH_KPI_POINTS`
//! (default 100,000). Results are printed as Markdown rows for BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use common::{BATCH, Server, backend_arg, clean_up, env_usize, fresh_url, percentile};
use sea_orm::{ActiveValue::Set, Database, DatabaseConnection, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

const CORE_KPIS: [&str; 11] = [
    "budget_utilisation",
    "spend_vs_plan",
    "inquiries",
    "cost_per_lead",
    "mqls",
    "sals",
    "sqls",
    "pipeline_generated",
    "marketing_sourced_revenue",
    "marketing_roi",
    "customer_acquisition_cost",
];

/// What was built: the organization id, its marketing units (which KPI points name),
/// and what a scenario moves: the executive board, the departments, the teams.
struct Built {
    org: String,
    marketing: Vec<Uuid>,
    exec: Uuid,
    departments: Vec<Uuid>,
    teams: Vec<Uuid>,
}

/// An organization shaped like a large company: an executive board, business units
/// (one per 100 units) each with a sales department and a marketing team under it (a
/// DOTTED line back to the business unit), teams under those, finance and IT, a few
/// units nobody reports to, a head position in every unit, the four priorities assessed
/// and the REVENUE stage declared. Units, positions and lines are written straight to
/// the tables (they hold every invariant), the rest through the API.
async fn build(server: &Server, db: &DatabaseConnection, slug: &str, units: usize) -> Built {
    let org = common::create_org(server, slug).await;
    let org_id = Uuid::parse_str(&org).unwrap();
    let now = Utc::now();
    let since = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let mut unit_rows = Vec::new();
    let mut line_rows = Vec::new();
    let mut add = |name: String, function: &str, superior: Option<(Uuid, &str)>| {
        let id = Uuid::now_v7();
        unit_rows.push(entity::org_unit::ActiveModel {
            id: Set(id),
            organization_id: Set(org_id),
            name: Set(name),
            function: Set(function.to_owned()),
            sourcing: Set("IN_HOUSE".to_owned()),
            description: Set(None),
            effective_from: Set(since),
            effective_to: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        });
        if let Some((superior, kind)) = superior {
            line_rows.push(entity::reporting_line::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(org_id),
                unit_id: Set(id),
                superior_unit_id: Set(superior),
                kind: Set(kind.to_owned()),
                effective_from: Set(since),
                effective_to: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
            });
        }
        id
    };
    let exec = add("Executive board".into(), "EXECUTIVE", None);
    add("Finance".into(), "FINANCE", Some((exec, "SOLID")));
    add("IT".into(), "IT", Some((exec, "SOLID")));
    for o in 0..3 {
        add(format!("Project {o}"), "OTHER", None);
    }
    let divisions = (units / 100).max(1);
    let mut departments = Vec::new();
    let mut marketing = Vec::new();
    for d in 0..divisions {
        let bu = add(
            format!("Division {d}"),
            "BUSINESS_UNIT",
            Some((exec, "SOLID")),
        );
        let sales = add(format!("Division {d} sales"), "SALES", Some((bu, "SOLID")));
        let mkt = add(
            format!("Division {d} marketing"),
            "MARKETING",
            Some((sales, "SOLID")),
        );
        add(
            format!("Division {d} marketing (matrix)"),
            "OTHER",
            Some((mkt, "SOLID")),
        );
        marketing.push(mkt);
        departments.extend([(bu, "PRODUCT"), (sales, "SALES"), (mkt, "MARKETING")]);
    }
    // The rest: teams under the departments, round robin.
    let teams = units.saturating_sub(6 + 4 * divisions);
    let mut team_ids = Vec::with_capacity(teams);
    for t in 0..teams {
        let (superior, function) = departments[t % departments.len()];
        let team = add(format!("Team {t}"), function, Some((superior, "SOLID")));
        team_ids.push(team);
        if function == "MARKETING" {
            marketing.push(team);
        }
    }
    // Each division's marketing also answers to its business unit on a dotted line.
    let dotted: Vec<(Uuid, Uuid)> = departments.chunks(3).map(|c| (c[2].0, c[0].0)).collect();
    for (mkt, bu) in dotted {
        line_rows.push(entity::reporting_line::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org_id),
            unit_id: Set(mkt),
            superior_unit_id: Set(bu),
            kind: Set("DOTTED".to_owned()),
            effective_from: Set(since),
            effective_to: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        });
    }
    let position_rows: Vec<entity::position::ActiveModel> = unit_rows
        .iter()
        .map(|u| entity::position::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org_id),
            unit_id: Set(*u.id.as_ref()),
            title: Set(format!("Head of {}", u.name.as_ref())),
            role: Set("HEAD".to_owned()),
            holder_name: Set(None),
            responsibilities: Set(json!(["DEMAND"])),
            effective_from: Set(since),
            effective_to: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        })
        .collect();
    for chunk in unit_rows.chunks(500) {
        entity::org_unit::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .unwrap();
    }
    for chunk in position_rows.chunks(500) {
        entity::position::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .unwrap();
    }
    // Each unit and position holds its values from its first day: one version each.
    let unit_versions: Vec<entity::org_unit_version::ActiveModel> = unit_rows
        .iter()
        .map(|u| entity::org_unit_version::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org_id),
            unit_id: u.id.clone(),
            effective_from: Set(since),
            name: u.name.clone(),
            function: u.function.clone(),
            sourcing: u.sourcing.clone(),
            description: Set(None),
            created_at: Set(now),
        })
        .collect();
    for chunk in unit_versions.chunks(500) {
        entity::org_unit_version::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .unwrap();
    }
    let position_versions: Vec<entity::position_version::ActiveModel> = position_rows
        .iter()
        .map(|p| entity::position_version::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org_id),
            position_id: p.id.clone(),
            effective_from: Set(since),
            title: p.title.clone(),
            role: p.role.clone(),
            holder_name: Set(None),
            responsibilities: p.responsibilities.clone(),
            created_at: Set(now),
        })
        .collect();
    for chunk in position_versions.chunks(500) {
        entity::position_version::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .unwrap();
    }
    for chunk in line_rows.chunks(500) {
        entity::reporting_line::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .unwrap();
    }
    for (priority, score) in [
        ("COMPANY_VALUES", 70),
        ("STAKEHOLDER_RELATIONSHIPS", 64),
        ("NEW_MEDIA_CAPABILITY", 55),
        ("TRUST", 28),
    ] {
        server
            .gql(
                "mutation($i: AssessPriorityInput!) { assessPriority(input: $i) { id } }",
                json!({ "i": { "organizationId": org, "priority": priority, "score": score } }),
            )
            .await;
    }
    server
        .gql(
            "mutation($i: DeclareStageInput!) { declareStage(input: $i) { id } }",
            json!({ "i": { "organizationId": org, "stage": "REVENUE", "assessedOn": "2025-01-01" } }),
        )
        .await;
    Built {
        org,
        exec,
        departments: departments.iter().map(|d| d.0).collect(),
        teams: team_ids,
        marketing,
    }
}

/// Drafts a scenario of `n` changes on `built` (dated next year): a new marketing
/// center under the board, division marketing moved into it, teams moved between
/// departments, dotted lines from teams to the board. Returns its id.
async fn draft(server: &Server, built: &Built, n: usize) -> String {
    let created = server
        .gql(
            "mutation($i: CreateScenarioInput!) { createScenario(input: $i) { id version } }",
            json!({ "i": { "organizationId": built.org, "name": format!("{n} changes"), "effectiveFrom": "2031-01-01" } }),
        )
        .await["createScenario"]
        .clone();
    let id = |u: &Uuid| u.to_string();
    // One change: a team moves (so both drafts read the KPI series of moved units).
    let mut changes = if n == 1 {
        vec![
            json!({ "moveUnit": { "unitId": id(&built.teams[0]), "superiorUnitId": id(&built.departments[1]) } }),
        ]
    } else {
        vec![json!({ "createUnit": {
            "key": "center", "name": "Marketing center", "function": "MARKETING", "superiorUnitId": id(&built.exec) } })]
    };
    let divisions: Vec<&Uuid> = built.departments.chunks(3).map(|c| &c[2]).collect();
    for (i, team) in built.teams.iter().enumerate() {
        if changes.len() >= n {
            break;
        }
        changes.push(match i % 4 {
            0 if i / 4 < divisions.len() => {
                json!({ "moveUnit": { "unitId": id(divisions[i / 4]), "superiorUnitId": "center" } })
            }
            3 => json!({ "addDottedLine": { "unitId": id(team), "superiorUnitId": id(&built.exec) } }),
            _ => {
                let to = &built.departments[(i + 1) % built.departments.len()];
                json!({ "moveUnit": { "unitId": id(team), "superiorUnitId": id(to) } })
            }
        });
    }
    let reply = server
        .gql(
            "mutation($i: AddScenarioChangesInput!) { addScenarioChanges(input: $i) { id changes { index } } }",
            json!({ "i": { "scenarioId": created["id"], "version": created["version"], "changes": changes } }),
        )
        .await;
    assert_eq!(
        reply["addScenarioChanges"]["changes"]
            .as_array()
            .map(Vec::len),
        Some(n),
        "{reply}"
    );
    created["id"].as_str().unwrap().to_owned()
}

/// Records `n` daily points of the core KPIs, spread over the marketing units and the
/// days before today, through `recordKpiMeasurements`.
async fn record_points(server: &Server, built: &Built, n: usize) {
    let today = Utc::now().date_naive();
    let per_day = CORE_KPIS.len() * built.marketing.len();
    let points: Vec<Value> = (0..n)
        .map(|i| {
            let day = today - chrono::Duration::days((i / per_day) as i64);
            json!({
                "kpi": CORE_KPIS[i % CORE_KPIS.len()],
                "unitId": built.marketing[(i / CORE_KPIS.len()) % built.marketing.len()],
                "granularity": "DAY",
                "periodStart": day.to_string(),
                "value": format!("{}", 10 + i % 90),
                "source": "bench",
            })
        })
        .collect();
    for batch in points.chunks(BATCH) {
        server
            .gql(
                "mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted } }",
                json!({ "o": built.org, "p": batch }),
            )
            .await;
    }
}

/// Runs `query` on the organization `runs` times (after a few warm-ups): the latencies
/// sorted, the statements of one request, and the first reply.
async fn measure(
    server: &Server,
    query: &str,
    org: &str,
    runs: usize,
) -> (Vec<Duration>, u64, Value) {
    measure_as(server, query, json!({ "id": org }), runs).await
}

/// As [`measure`], with any variables.
async fn measure_as(
    server: &Server,
    query: &str,
    variables: Value,
    runs: usize,
) -> (Vec<Duration>, u64, Value) {
    for _ in 0..3 {
        server.gql(query, variables.clone()).await;
    }
    let before = server.metrics.statements();
    let first = server.gql(query, variables.clone()).await;
    let statements = server.metrics.statements() - before;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        server.gql(query, variables.clone()).await;
        times.push(started.elapsed());
    }
    times.sort();
    (times, statements, first)
}

#[tokio::main]
async fn main() {
    let backend = backend_arg();
    let units = env_usize("ORGDESIGN_BENCH_UNITS", 2_000);
    let points = env_usize("ORGDESIGN_BENCH_KPI_POINTS", 100_000);
    let (url, dir) = fresh_url(&backend).await;
    let server = Server::start(&url).await;
    let db = Database::connect(&url).await.unwrap();

    let started = Instant::now();
    let small = build(&server, &db, "bench-small", 20).await;
    record_points(&server, &small, 1_000).await;
    let large = build(&server, &db, "bench-large", units).await;
    record_points(&server, &large, points).await;
    eprintln!(
        "built both organizations in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    println!("| benchmark | {backend} | SQL statements per request |");
    println!("|---|---|---|");
    let insights =
        "query($id: ID) { organization(id: $id) { insights { code severity title evidence } } }";
    let chart = "query($id: ID) { organization(id: $id) { chart(format: SVG) } }";
    let mut statements = Vec::new();
    for (name, built, size) in [
        ("small", &small, "20 units, 1,000 KPI points".to_owned()),
        (
            "large",
            &large,
            format!("{units} units, {points} KPI points"),
        ),
    ] {
        let (times, count, first) = measure(&server, insights, &built.org, 100).await;
        let found = first["organization"]["insights"].as_array().unwrap().len();
        println!(
            "| insights, {size} ({found} insights; HTTP round trip, 100 runs) | p50 {:.1} ms, p99 {:.1} ms | {count} |",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
        );
        statements.push((name, count));
        let (times, count, first) = measure(&server, chart, &built.org, 30).await;
        let bytes = first["organization"]["chart"].as_str().unwrap().len();
        println!(
            "| chart(format: SVG), {size} ({} kB of SVG; 30 runs) | p50 {:.1} ms, p99 {:.1} ms | {count} |",
            bytes / 1024,
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
        );
    }
    assert_eq!(
        statements[0].1, statements[1].1,
        "the statement count of insights must not grow with the organization: {statements:?}"
    );

    // Scenarios on the large organization: evaluate and diff.
    let evaluate = "query($id: ID!) { scenario(id: $id) { diff { unitsMoved { unit { id } } shape { after { maxDepth } } collaborationModel { before after } insightsResolved { code } insightsIntroduced { code } kpiOwnership { unit { id } } } insights { code } } }";
    let (ceiling, _, _) = measure(&server, insights, &large.org, 30).await;
    let mut scenario_statements = Vec::new();
    for n in [1, 100] {
        let scenario = draft(&server, &large, n).await;
        let (times, count, first) =
            measure_as(&server, evaluate, json!({ "id": scenario }), 30).await;
        let resolved = first["scenario"]["diff"]["insightsResolved"]
            .as_array()
            .map_or(0, Vec::len);
        let p50 = percentile(&times, 0.5);
        println!(
            "| scenario of {n} change(s) on {units} units: evaluate + diff ({resolved} insights resolved; 30 runs) | p50 {:.1} ms, p99 {:.1} ms; live `insights` ceiling p50 {:.1} ms (ratio {:.2}) | {count} |",
            p50.as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            percentile(&ceiling, 0.5).as_secs_f64() * 1e3,
            percentile(&ceiling, 0.5).as_secs_f64() / p50.as_secs_f64(),
        );
        scenario_statements.push(count);
    }
    assert_eq!(
        scenario_statements[0], scenario_statements[1],
        "the statement count of a scenario's evaluation must not grow with its changes"
    );
    drop(db);
    clean_up(&url, dir).await;
}
