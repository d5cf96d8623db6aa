//! orgdesign's KPI benchmarks: ingestion through `recordKpiMeasurements` beside the
//! database's own ceiling, a history backfill (one KPI, one point a day, years per
//! source) beside that, re-pushing unchanged points, the monthly `kpiSeries` roll-up
//! over a large table, and a nested read under concurrent load.
//!
//! ```sh
//! cargo bench --bench kpis -- sqlite
//! ORGDESIGN_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench kpis -- postgres
//! ```
//!
//! Sizes: `ORGDESIGN_BENCH_POINTS` (default 1,000,000) points are pushed;
//! `ORGDESIGN_BENCH_TABLE_ROWS` (default 10,000,000) rows fill the table the series is
//! read from. Results are printed as Markdown rows for BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::NaiveDate;
use common::{BATCH, Server, backend_arg, clean_up, create_org, env_usize, fresh_url, percentile};
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

/// The `i`-th benchmark point: spread over KPIs, sources, days and channels so every
/// point has its own natural key.
fn point(i: usize, bump: usize) -> Value {
    const KPIS: [&str; 4] = ["leads", "mqls", "sals", "sqls"];
    let day =
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Duration::days((i / 64) as i64);
    json!({
        "kpi": KPIS[i % 4],
        "granularity": "DAY",
        "periodStart": day.to_string(),
        "value": format!("{}.{}", i % 1000 + bump, i % 7),
        "source": format!("source-{}", (i / 4) % 4),
        "dimensions": [{ "name": "channel", "value": format!("c{}", (i / 16) % 4) }],
    })
}

/// The `i`-th point of a history backfill: one KPI, one point a day, [`BACKFILL_DAYS`]
/// days per source, one source after another (a tool loading years of one metric).
fn backfill_point(i: usize, bump: usize) -> Value {
    let day = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()
        + chrono::Duration::days((i % BACKFILL_DAYS) as i64);
    json!({
        "kpi": "mqls",
        "granularity": "DAY",
        "periodStart": day.to_string(),
        "value": format!("{}.{}", i % 1000 + bump, i % 7),
        "source": format!("history-{}", i / BACKFILL_DAYS),
    })
}

/// Days of history per source in [`backfill_point`].
const BACKFILL_DAYS: usize = 9_000;

/// Pushes `n` points of `shape` in batches from `pushers` concurrent clients (the
/// batches are serialized to JSON before the clock starts); returns points per second.
async fn push_all(
    server: &Arc<Server>,
    org: &str,
    (n, shape): (usize, fn(usize, usize) -> Value),
    expect: &'static str,
    pushers: usize,
    bump: usize,
) -> f64 {
    const QUERY: &str = "mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted corrected unchanged } }";
    let bodies: Vec<(usize, Vec<u8>)> = (0..n.div_ceil(BATCH))
        .map(|b| {
            let points: Vec<Value> = (b * BATCH..((b + 1) * BATCH).min(n))
                .map(|i| shape(i, bump))
                .collect();
            let body = json!({ "query": QUERY, "variables": { "o": org, "p": points } });
            (points.len(), serde_json::to_vec(&body).unwrap())
        })
        .collect();
    let queue = Arc::new(std::sync::Mutex::new(bodies));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..pushers {
        let queue = queue.clone();
        let server = server.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let next = queue.lock().unwrap().pop();
                let Some((len, body)) = next else { break };
                let r = server.post_graphql(body).await;
                assert_eq!(r["data"]["recordKpiMeasurements"][expect], len, "{r}");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// The `j`-th ceiling row's varying columns, as the server would store the `j`-th point:
/// (KPI index, day, source, dimensions JSON, series key, value scaled).
fn raw_row(j: usize) -> (usize, NaiveDate, String, String, String, i64) {
    let day =
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Duration::days((j / 64) as i64);
    let channel = format!("c{}", (j / 16) % 4);
    (
        j % 4,
        day,
        format!("source-{}", (j / 4) % 4),
        format!("{{\"channel\":\"{channel}\"}}"),
        format!("{{\"u\":null,\"d\":{{\"channel\":\"{channel}\"}}}}"),
        j as i64 * 1_000_000,
    )
}

/// A ceiling: the same rows written with plain multi-row INSERTs (500 rows a statement)
/// through the driver, 5,000 rows a transaction, into a fresh organization.
async fn raw_insert(db: &DatabaseConnection, org: Uuid, kpi_ids: &[Uuid], n: usize) -> f64 {
    let backend = db.get_database_backend();
    let started = Instant::now();
    let mut i = 0;
    while i < n {
        let tx_end = (i + BATCH).min(n);
        let mut sql = String::from("BEGIN;");
        while i < tx_end {
            let stmt_end = (i + 500).min(tx_end);
            sql.push_str("INSERT INTO kpi_measurement (id, organization_id, kpi_id, unit_id, granularity, period_start, source, dimensions, series_key, value_scaled, revision, recorded_at, recorded_by) VALUES ");
            let rows: Vec<String> = (i..stmt_end)
                .map(|j| {
                    let (kpi, day, source, dimensions, series, value) = raw_row(j);
                    let (id, org_id, kpi) = match backend {
                        DbBackend::Postgres => (format!("'{}'", Uuid::now_v7()), format!("'{org}'"), format!("'{}'", kpi_ids[kpi])),
                        _ => (hex(Uuid::now_v7()), hex(org), hex(kpi_ids[kpi])),
                    };
                    format!("({id}, {org_id}, {kpi}, NULL, 'DAY', '{day}', '{source}', '{dimensions}', '{series}', {value}, 1, '2026-01-01T00:00:00Z', 'bench')")
                })
                .collect();
            sql.push_str(&rows.join(","));
            sql.push(';');
            i = stmt_end;
        }
        sql.push_str("COMMIT;");
        db.execute_unprepared(&sql).await.unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

const NATURAL_KEY: &str =
    "(organization_id, kpi_id, granularity, period_start, source, series_key)";

/// A PostgreSQL ceiling: per 5,000 rows one transaction of one `INSERT … SELECT FROM
/// unnest(…)` of typed arrays with the natural-key upsert (`ON CONFLICT … DO NOTHING`).
async fn raw_unnest_upsert(db: &DatabaseConnection, org: Uuid, kpi_ids: &[Uuid], n: usize) -> f64 {
    let started = Instant::now();
    for first in (0..n).step_by(BATCH) {
        let rows: Vec<_> = (first..(first + BATCH).min(n)).map(raw_row).collect();
        let ids: Vec<Uuid> = rows.iter().map(|_| Uuid::now_v7()).collect();
        let kpis: Vec<Uuid> = rows.iter().map(|r| kpi_ids[r.0]).collect();
        let days: Vec<NaiveDate> = rows.iter().map(|r| r.1).collect();
        let sources: Vec<String> = rows.iter().map(|r| r.2.clone()).collect();
        let dimensions: Vec<String> = rows.iter().map(|r| r.3.clone()).collect();
        let series: Vec<String> = rows.iter().map(|r| r.4.clone()).collect();
        let values: Vec<i64> = rows.iter().map(|r| r.5).collect();
        let tx = db.begin().await.unwrap();
        tx.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("INSERT INTO kpi_measurement (id, organization_id, kpi_id, unit_id, granularity, period_start, source, dimensions, series_key, value_scaled, revision, recorded_at, recorded_by) \
             SELECT p.id, $1, p.kpi_id, NULL, 'DAY', p.period_start, p.source, p.dimensions::jsonb, p.series_key, p.value_scaled, 1, now(), 'bench' \
             FROM unnest($2::uuid[], $3::uuid[], $4::date[], $5::text[], $6::text[], $7::text[], $8::int8[]) AS p(id, kpi_id, period_start, source, dimensions, series_key, value_scaled) \
             ON CONFLICT {NATURAL_KEY} DO NOTHING"),
            [org.into(), ids.into(), kpis.into(), days.into(), sources.into(), dimensions.into(), series.into(), values.into()],
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// A PostgreSQL ceiling: per 5,000 rows one transaction that `COPY`s them into a
/// temporary stage and upserts from it on the natural key.
async fn raw_copy_upsert(url: &str, org: Uuid, kpi_ids: &[Uuid], n: usize) -> f64 {
    use sea_orm::sqlx::{Connection, Executor, postgres::PgConnection};
    let mut conn = PgConnection::connect(url).await.unwrap();
    conn.execute("CREATE TEMP TABLE stage (id uuid, kpi_id uuid, period_start date, source text, dimensions jsonb, series_key text, value_scaled int8) ON COMMIT DELETE ROWS")
        .await
        .unwrap();
    let upsert = format!(
        "INSERT INTO kpi_measurement (id, organization_id, kpi_id, unit_id, granularity, period_start, source, dimensions, series_key, value_scaled, revision, recorded_at, recorded_by) \
        SELECT s.id, '{org}', s.kpi_id, NULL, 'DAY', s.period_start, s.source, s.dimensions, s.series_key, s.value_scaled, 1, now(), 'bench' FROM stage s \
        ON CONFLICT {NATURAL_KEY} DO NOTHING"
    );
    let started = Instant::now();
    for first in (0..n).step_by(BATCH) {
        let mut text = String::new();
        for j in first..(first + BATCH).min(n) {
            let (kpi, day, source, dimensions, series, value) = raw_row(j);
            // COPY's text format: tab-separated, backslashes doubled.
            text.push_str(&format!(
                "{}\t{}\t{day}\t{source}\t{}\t{}\t{value}\n",
                Uuid::now_v7(),
                kpi_ids[kpi],
                dimensions.replace('\\', "\\\\"),
                series.replace('\\', "\\\\"),
            ));
        }
        let mut tx = conn.begin().await.unwrap();
        let mut copy = tx.copy_in_raw("COPY stage FROM STDIN").await.unwrap();
        copy.send(text.into_bytes()).await.unwrap();
        copy.finish().await.unwrap();
        tx.execute(upsert.as_str()).await.unwrap();
        tx.commit().await.unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn hex(id: Uuid) -> String {
    format!("X'{}'", id.simple())
}

async fn kpi_ids(db: &DatabaseConnection) -> Vec<Uuid> {
    let backend = db.get_database_backend();
    let mut ids = Vec::new();
    for key in ["leads", "mqls", "sals", "sqls"] {
        let row = db
            .query_one(Statement::from_string(
                backend,
                format!(
                    "SELECT id FROM kpi_definition WHERE key = '{key}' AND organization_id IS NULL"
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        ids.push(row.try_get::<Uuid>("", "id").unwrap());
    }
    ids
}

#[tokio::main]
async fn main() {
    let backend = backend_arg();
    let points = env_usize("ORGDESIGN_BENCH_POINTS", 1_000_000);
    let table_rows = env_usize("ORGDESIGN_BENCH_TABLE_ROWS", 10_000_000);
    let (url, dir) = fresh_url(&backend).await;
    let server = Arc::new(Server::start(&url).await);
    let db = Database::connect(&url).await.unwrap();
    println!("| benchmark | {backend} | ceiling | ratio |");
    println!("|---|---|---|---|");

    // 1. Ingestion, then the ceiling on the same rows.
    let org = create_org(&server, "bench-ingest").await;
    let pushers = env_usize("ORGDESIGN_BENCH_PUSHERS", 2);
    let ingest = push_all(&server, &org, (points, point), "inserted", pushers, 0).await;
    let ids = kpi_ids(&db).await;
    // The ceilings, each into its own fresh organization; the fastest is the one the
    // ratio is taken against.
    let raw_org = Uuid::parse_str(&create_org(&server, "bench-raw").await).unwrap();
    let mut ceilings = vec![(
        "multi-row INSERT",
        raw_insert(&db, raw_org, &ids, points).await,
    )];
    if db.get_database_backend() == DbBackend::Postgres {
        let org = Uuid::parse_str(&create_org(&server, "bench-unnest").await).unwrap();
        ceilings.push((
            "INSERT … SELECT FROM unnest(arrays) ON CONFLICT",
            raw_unnest_upsert(&db, org, &ids, points).await,
        ));
        let org = Uuid::parse_str(&create_org(&server, "bench-copy").await).unwrap();
        ceilings.push((
            "COPY into a stage, then INSERT … SELECT ON CONFLICT",
            raw_copy_upsert(&url, org, &ids, points).await,
        ));
    }
    for (name, rate) in &ceilings {
        println!("| ceiling: {name}, {BATCH} rows a transaction | | {rate:.0} rows/s | |");
    }
    let ceiling = ceilings.iter().map(|c| c.1).fold(0.0, f64::max);
    println!(
        "| ingest {points} points, recordKpiMeasurements × {BATCH}, {pushers} pushers | {ingest:.0} points/s | {ceiling:.0} rows/s | {:.0} % |",
        100.0 * ingest / ceiling
    );

    // 1b. A history backfill of as many points (at most 200,000), into its own
    // organization: the same pushers, another shape of data.
    let backfill_points = points.min(200_000);
    let backfill_org = create_org(&server, "bench-backfill").await;
    let backfill = push_all(
        &server,
        &backfill_org,
        (backfill_points, backfill_point),
        "inserted",
        pushers,
        0,
    )
    .await;
    println!(
        "| history backfill: {backfill_points} points, one KPI, one a day, {BACKFILL_DAYS} days per source, {pushers} pushers | {backfill:.0} points/s | {ingest:.0} points/s (the shape above) | {:.0} % |",
        100.0 * backfill / ingest
    );

    // 2. The same points again: all unchanged.
    let repush = push_all(&server, &org, (points, point), "unchanged", pushers, 0).await;
    println!(
        "| re-push the same {points} points (all unchanged), {pushers} pushers | {repush:.0} points/s | {ceiling:.0} rows/s | {:.0} % |",
        100.0 * repush / ceiling
    );

    // 2b. The same points with every value changed: all corrections, each keeping the
    // superseded value in the history.
    let correct = push_all(&server, &org, (points, point), "corrected", pushers, 1).await;
    println!(
        "| correct the same {points} points (every value changed), {pushers} pushers | {correct:.0} points/s | | |"
    );

    // 3. kpiSeries: 3 years of daily points for one series, in a table of `table_rows`.
    let series_org = create_org(&server, "bench-series").await;
    let series_points: Vec<Value> = (0..1096)
        .map(|d| {
            let day = NaiveDate::from_ymd_opt(2022, 1, 1).unwrap() + chrono::Duration::days(d);
            json!({ "kpi": "mqls", "granularity": "DAY", "periodStart": day.to_string(), "value": "3", "source": "crm" })
        })
        .collect();
    server
        .gql("mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted } }", json!({ "o": series_org, "p": series_points }))
        .await;
    let present = points * (1 + ceilings.len()) + backfill_points + 1096;
    if table_rows > present {
        let filler = Uuid::parse_str(&create_org(&server, "bench-filler").await).unwrap();
        let started = Instant::now();
        raw_insert(&db, filler, &ids, table_rows - present).await;
        eprintln!(
            "filled the table to {table_rows} rows in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("ANALYZE kpi_measurement")
            .await
            .unwrap();
    } else {
        db.execute_unprepared("ANALYZE").await.unwrap();
    }
    let query = "query($o: ID!) { kpiSeries(organizationId: $o, kpi: \"mqls\", granularity: MONTH, from: \"2022-01-01\", to: \"2025-01-01\") { periodStart value } }";
    let mut times = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let r = server.gql(query, json!({ "o": series_org })).await;
        times.push(started.elapsed());
        assert_eq!(r["kpiSeries"].as_array().unwrap().len(), 36);
    }
    times.sort();
    println!(
        "| kpiSeries monthly over 3 years of daily points, {table_rows} rows in the table (HTTP round trip) | p50 {:.2} ms, p99 {:.2} ms | | |",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3
    );

    // 4. A nested read under 16 concurrent connections for 10 seconds.
    let read_org = create_org(&server, "bench-read").await;
    for u in 0..50 {
        let unit = server
            .gql("mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }", json!({ "i": { "organizationId": read_org, "name": format!("Unit {u}"), "function": "MARKETING" } }))
            .await["createUnit"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        server
            .gql(
                "mutation($i: CreatePositionInput!) { createPosition(input: $i) { id } }",
                json!({ "i": { "unitId": unit, "title": "Head", "role": "HEAD" } }),
            )
            .await;
    }
    let nested = "query($o: ID!) { organization(id: $o) { units { name positions { title } superior { name } spanOfControl } } kpiSources(organizationId: $o) { kpi lastReportedAt } }";
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut workers = Vec::new();
    for _ in 0..16 {
        let server = server.clone();
        let read_org = read_org.clone();
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut times = Vec::new();
            while Instant::now() < deadline {
                let started = Instant::now();
                let response = client
                    .post(format!("{}/graphql", server.address))
                    .bearer_auth(&server.token)
                    .json(&json!({ "query": nested, "variables": { "o": read_org } }))
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success());
                response.bytes().await.unwrap();
                times.push(started.elapsed());
            }
            times
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    all.sort();
    println!(
        "| nested read (organization → 50 units → positions, superior, span; KPI sources), 16 connections, 10 s | {:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms | | |",
        all.len() as f64 / 10.0,
        percentile(&all, 0.5).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3
    );
    drop(db);
    clean_up(&url, dir).await;
}
