//! orgdesign's read benchmark: the dashboard overview (every organization, its units,
//! ten weeks of one KPI) at 16 connections, beside the raw ceiling — one SQL statement
//! that returns the same data as JSON, through the same driver at the same
//! concurrency — and a units-only variant and a light query.
//!
//! ```sh
//! cargo bench --bench reads -- sqlite
//! ORGDESIGN_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench reads -- postgres
//! ```
//!
//! The data set: 50 organizations, each 20 units (unit 1 the executive head, a SOLID
//! tree below it, 5 DOTTED lines), 10 KPIs × 200 weekly points each (100,000 points),
//! loaded through the API. `ORGDESIGN_BENCH_SECONDS` (default 10) and
//! `ORGDESIGN_BENCH_CONNECTIONS` (default 16) set each run. Results are printed as
//! Markdown rows for BENCHMARKS.md; the resident memory is the bench process's
//! (server and client share it; the client's part is small).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{Duration as Days, NaiveDate};
use common::{BATCH, Server, backend_arg, clean_up, env_usize, fresh_url, percentile};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

const ORGANIZATIONS: usize = 50;
const UNITS: usize = 20;
const DOTTED: usize = 5;
const WEEKS: i64 = 200;
const KPIS: [&str; 10] = [
    "mqls",
    "inquiries",
    "leads",
    "sals",
    "sqls",
    "cost_per_lead",
    "pipeline_generated",
    "won_deals",
    "budget_utilisation",
    "spend_vs_plan",
];

fn first_week() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 3).unwrap()
}

/// Loads the data set through the API.
async fn load(server: &Server) {
    for o in 0..ORGANIZATIONS {
        let org = common::create_org(server, &format!("reads-{o:02}")).await;
        let mut units = Vec::with_capacity(UNITS);
        for u in 0..UNITS {
            let function = match u {
                0 => "EXECUTIVE",
                1..=4 => "BUSINESS_UNIT",
                _ if u % 2 == 0 => "MARKETING",
                _ => "SALES",
            };
            let id = server
                .gql(
                    "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }",
                    json!({ "i": { "organizationId": org, "name": format!("Unit {u}"), "function": function, "effectiveFrom": "2021-01-01" } }),
                )
                .await["createUnit"]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            units.push(id);
        }
        let add = |unit: usize, superior: usize, kind: &str| json!({ "i": { "unitId": units[unit], "superiorUnitId": units[superior], "kind": kind, "effectiveFrom": "2021-01-01" } });
        // A SOLID tree: units 1-4 under the executive, the rest under one of them.
        for u in 1..UNITS {
            let superior = if u <= 4 { 0 } else { 1 + u % 4 };
            server
                .gql(
                    "mutation($i: AddReportingLineInput!) { addReportingLine(input: $i) { id } }",
                    add(u, superior, "SOLID"),
                )
                .await;
        }
        // DOTTED lines from the marketing units into other business units.
        for d in 0..DOTTED {
            let unit = 6 + 2 * d;
            let superior = 1 + (unit + 1) % 4;
            server
                .gql(
                    "mutation($i: AddReportingLineInput!) { addReportingLine(input: $i) { id } }",
                    add(unit, superior, "DOTTED"),
                )
                .await;
        }
        let points: Vec<Value> = KPIS
            .iter()
            .flat_map(|kpi| {
                (0..WEEKS).map(move |w| {
                    json!({ "kpi": kpi, "granularity": "WEEK",
                            "periodStart": (first_week() + Days::weeks(w)).to_string(),
                            "value": format!("{}", 100 + (w * 7 + o as i64) % 50), "source": "crm" })
                })
            })
            .collect();
        for chunk in points.chunks(BATCH) {
            server
                .gql(
                    "mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted } }",
                    json!({ "o": org, "p": chunk }),
                )
                .await;
        }
    }
}

/// Requests per second, p50 and p99 of `request` run by `connections` loops for
/// `seconds`; and the bench process's resident memory at the end.
struct Run {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    rss_mib: f64,
}

async fn run<F, Fut>(connections: usize, seconds: u64, request: F) -> Run
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let request = Arc::new(request);
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut times = Vec::new();
                while Instant::now() < until {
                    let t = Instant::now();
                    request().await;
                    times.push(t.elapsed());
                }
                times
            })
        })
        .collect();
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort();
    Run {
        per_second: times.len() as f64 / elapsed,
        p50: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
        rss_mib: rss_mib(),
    }
}

impl Run {
    /// The run as a Markdown row of BENCHMARKS.md: `name`, requests a second, p50, p99,
    /// the SQL `statements` one request sends, the resident memory.
    fn row(&self, name: &str, statements: &str) -> String {
        format!(
            "| {name} | {:.0} | {:.1} ms | {:.1} ms | {statements} | {:.0} MiB |",
            self.per_second,
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
            self.rss_mib,
        )
    }
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A UUID blob column of SQLite as hyphenated lower-case text.
fn sqlite_uuid(column: &str) -> String {
    let hex = format!("lower(hex({column}))");
    format!(
        "substr({hex}, 1, 8) || '-' || substr({hex}, 9, 4) || '-' || substr({hex}, 13, 4) || '-' || substr({hex}, 17, 4) || '-' || substr({hex}, 21, 12)"
    )
}

/// The raw ceiling: the overview's data as one JSON document, built by the database.
fn ceiling_sql(backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => "SELECT json_agg(json_build_object(
              'id', o.id, 'name', o.name, 'industry', o.industry,
              'units', (SELECT COALESCE(json_agg(json_build_object('id', u.id, 'name', u.name, 'function', u.function) ORDER BY u.name), '[]')
                        FROM org_unit u WHERE u.organization_id = o.id),
              'kpiSeries', (SELECT COALESCE(json_agg(json_build_object('periodStart', m.period_start, 'value', m.value_scaled) ORDER BY m.period_start), '[]')
                        FROM kpi_measurement m JOIN kpi_definition d ON d.id = m.kpi_id
                        WHERE m.organization_id = o.id AND d.key = 'mqls' AND m.granularity = 'WEEK'
                          AND m.period_start >= $1 AND m.period_start < $2)
            ) ORDER BY o.name)::text AS doc
            FROM (SELECT * FROM organization ORDER BY name LIMIT 50) o"
            .to_owned(),
        // SQLite stores UUIDs as 16-byte blobs: written out as GraphQL writes them.
        _ => "SELECT json_group_array(json(org)) AS doc FROM (
              SELECT json_object('id', UUID(o.id), 'name', o.name, 'industry', o.industry,
                'units', (SELECT json_group_array(json_object('id', UUID(u.id), 'name', u.name, 'function', u.function))
                          FROM (SELECT * FROM org_unit WHERE organization_id = o.id ORDER BY name) u),
                'kpiSeries', (SELECT json_group_array(json_object('periodStart', m.period_start, 'value', m.value_scaled))
                          FROM (SELECT m.* FROM kpi_measurement m JOIN kpi_definition d ON d.id = m.kpi_id
                                WHERE m.organization_id = o.id AND d.key = 'mqls' AND m.granularity = 'WEEK'
                                  AND m.period_start >= ?1 AND m.period_start < ?2 ORDER BY m.period_start) m)
              ) AS org
              FROM (SELECT * FROM organization ORDER BY name LIMIT 50) o)"
            .replace("UUID(o.id)", &sqlite_uuid("o.id"))
            .replace("UUID(u.id)", &sqlite_uuid("u.id")),
    }
}

#[tokio::main]
async fn main() {
    let backend = backend_arg();
    let seconds = env_usize("ORGDESIGN_BENCH_SECONDS", 10) as u64;
    let connections = env_usize("ORGDESIGN_BENCH_CONNECTIONS", 16);
    let (url, dir) = fresh_url(&backend).await;
    let server = Arc::new(Server::start(&url).await);

    let started = Instant::now();
    load(&server).await;
    eprintln!(
        "loaded {ORGANIZATIONS} organizations, {} units, {} KPI points in {:.1} s",
        ORGANIZATIONS * UNITS,
        ORGANIZATIONS * KPIS.len() * WEEKS as usize,
        started.elapsed().as_secs_f64()
    );

    let last = first_week() + Days::weeks(WEEKS - 1);
    let (from, to) = (last - Days::weeks(9), last + Days::weeks(1));
    let overview = format!(
        r#"{{ organizations(first: 50) {{ edges {{ node {{ id name industry
            units {{ id name function }}
            kpiSeries(kpi: "mqls", granularity: WEEK, from: "{from}", to: "{to}") {{ periodStart value }} }} }} }} }}"#
    );
    let units_only =
        "{ organizations(first: 50) { edges { node { id name industry units { id name function } } } } }"
            .to_owned();
    let light = "{ maturityStages { key name } }".to_owned();

    // Each query once, checked, with its statement count.
    let mut statements = Vec::new();
    for query in [&overview, &units_only, &light] {
        let before = server.metrics.statements();
        let data = server.gql(query, json!({})).await;
        statements.push(server.metrics.statements() - before);
        if let Some(edges) = data["organizations"]["edges"].as_array() {
            assert_eq!(edges.len(), ORGANIZATIONS);
            if query == &overview {
                assert_eq!(edges[0]["node"]["kpiSeries"].as_array().unwrap().len(), 10);
            }
        }
    }

    println!(
        "| {backend}, {connections} connections, {seconds} s | requests/s | p50 | p99 | SQL statements | resident memory |"
    );
    println!("|---|---|---|---|---|---|");
    let mut overview_rate = 0.0;
    for (name, query, count) in [
        (
            "overview (50 organizations, their units, 10 weeks of mqls)",
            overview.clone(),
            statements[0],
        ),
        ("units only", units_only, statements[1]),
        ("light (`maturityStages`)", light, statements[2]),
    ] {
        let server = server.clone();
        let result = run(connections, seconds, move || {
            let (server, query) = (server.clone(), query.clone());
            async move {
                let response = server
                    .client
                    .post(format!("{}/graphql", server.address))
                    .bearer_auth(&server.token)
                    .json(&json!({ "query": query }))
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success());
                response.bytes().await.unwrap();
            }
        })
        .await;
        if overview_rate == 0.0 {
            overview_rate = result.per_second;
        }
        println!("{}", result.row(name, &count.to_string()));
    }

    // The raw ceiling through the same driver, with as many connections, and like the
    // server's pool without a ping on every hand-out.
    let pool = sea_orm::ConnectOptions::new(url.clone())
        .max_connections(connections as u32)
        .sqlx_logging(false)
        .test_before_acquire(false)
        .to_owned();
    let db: DatabaseConnection = Database::connect(pool).await.unwrap();
    let backend_kind = db.get_database_backend();
    let statement = Statement::from_sql_and_values(
        backend_kind,
        ceiling_sql(backend_kind),
        [from.into(), to.into()],
    );
    let document = db.query_one(statement.clone()).await.unwrap().unwrap();
    let doc: String = document.try_get("", "doc").unwrap();
    let parsed: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), ORGANIZATIONS);
    let db = Arc::new(db);
    let result = run(connections, seconds, move || {
        let (db, statement) = (db.clone(), statement.clone());
        async move {
            let row = db.query_one(statement).await.unwrap().unwrap();
            let doc: String = row.try_get("", "doc").unwrap();
            assert!(!doc.is_empty());
        }
    })
    .await;
    println!(
        "{}",
        result.row(
            "raw ceiling: the overview's data as one JSON statement",
            "1"
        )
    );
    println!(
        "\noverview / raw ceiling = {:.2}",
        overview_rate / result.per_second
    );
    clean_up(&url, dir).await;
}
