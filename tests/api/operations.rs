//! Probes, metrics, GraphiQL, the SDL endpoint, unavailability and graceful shutdown.

use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;
use tokio::net::TcpStream;

use crate::helpers::{
    Backend, HeldRequest, backends, code, post_graphql, postgres_admin, require_postgres,
    spawn_app, spawn_app_with, wait_for, wait_until_refused,
};

#[tokio::test]
async fn health_readiness_metrics_graphiql_and_sdl_answer() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let get = |path: &str| app.client.get(format!("{}{path}", app.address)).send();
        assert_eq!(get("/healthz").await.unwrap().status(), StatusCode::OK);
        assert_eq!(get("/readyz").await.unwrap().status(), StatusCode::OK);
        let graphiql = get("/graphiql").await.unwrap().text().await.unwrap();
        assert!(
            graphiql.contains("graphiql.min.js"),
            "GraphiQL's page loads its bundle"
        );
        let sdl = get("/schema.graphql").await.unwrap().text().await.unwrap();
        assert_eq!(sdl, orgdesign_graphql::schema::sdl());

        app.ok("query Stages { maturityStages { key } }", json!({}))
            .await;
        app.error("{ organization(slug: \"NO\") { id } }", json!({}))
            .await;
        let metrics = get("/metrics").await.unwrap().text().await.unwrap();
        for needle in [
            "orgdesign_http_requests_total",
            "orgdesign_graphql_operation_duration_seconds_bucket{operation=\"Stages\"",
            "orgdesign_graphql_errors_total{code=\"BAD_USER_INPUT\"}",
            "orgdesign_db_statements_total",
            "orgdesign_build_info{version=\"",
            "orgdesign_db_pool_connections{state=\"open\"}",
        ] {
            assert!(
                metrics.contains(needle),
                "[{backend:?}] /metrics lacks {needle}"
            );
        }
    }
}

#[cfg_attr(
    not(test_postgres),
    ignore = "needs PostgreSQL: set ORGDESIGN_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn a_database_that_goes_away_is_unavailable_not_internal() {
    require_postgres("this fault needs a server that can refuse connections");
    let app = spawn_app_with(Backend::Postgres, |s| s.database.acquire_timeout_secs = 2).await;
    let db_name = app
        .database_url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let admin = postgres_admin().await;
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{db_name}\" ALLOW_CONNECTIONS false"
        ))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db_name}'"
        ))
        .await
        .unwrap();

    let body = app
        .graphql("{ organizations { totalCount } }", json!({}))
        .await;
    let error = &body["errors"][0];
    assert_eq!(code(error), "UNAVAILABLE", "{body}");
    let message = error["message"].as_str().unwrap();
    assert!(
        !message.contains("pg_") && !message.contains("SQL"),
        "no driver text leaks: {message}"
    );
    let ready = app.get_admin("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);

    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{db_name}\" ALLOW_CONNECTIONS true"
        ))
        .await
        .unwrap();
    let ready = app.get_admin("/readyz").await;
    assert_eq!(
        ready.status(),
        StatusCode::OK,
        "it recovers when the database is back"
    );
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish() {
    let mut app = spawn_app(Backend::Sqlite).await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let request = HeldRequest::start(
        &host,
        Some(&app.admin_token),
        r#"{"query":"{ maturityStages { key } }"}"#,
    )
    .await;

    // The request is in flight (the server waits for its body) when the stop signal
    // arrives; the server stops accepting, but not serving it.
    let server = app.signal_shutdown().unwrap();
    wait_until_refused(&host, Duration::from_secs(30)).await;
    assert!(
        !server.is_finished(),
        "the server waits for the in-flight request"
    );
    let response = request.finish().await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("REVENUE"));
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(&host).await.is_err(),
        "no new connections after stopping"
    );
}

/// The pool does not ping a connection it hands out when that connection was in use
/// within the last second (a round trip per statement saved); one idle for longer is
/// pinged first. So after PostgreSQL drops every connection (a restart, a failover, an
/// administrator), requests made a second later are served on fresh connections and
/// none of them fails. PostgreSQL only: SQLite's connections are in the process.
#[cfg_attr(
    not(test_postgres),
    ignore = "needs PostgreSQL: set ORGDESIGN_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn connections_postgresql_dropped_while_idle_are_replaced_without_failing_a_request() {
    require_postgres("dropped server connections exist only on PostgreSQL");
    let app = spawn_app(Backend::Postgres).await;
    let query = "{ organizations(first: 5) { edges { node { id } } } }";
    // Fill the pool: concurrent requests open several connections.
    futures_util::future::join_all((0..8).map(|_| app.ok(query, json!({})))).await;
    let database = app
        .database_url
        .rsplit('/')
        .next()
        .and_then(|rest| rest.split('?').next())
        .unwrap()
        .to_owned();
    let admin = postgres_admin().await;
    let dropped = admin
        .query_all(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{database}' AND pid <> pg_backend_pid()"
            ),
        ))
        .await
        .unwrap();
    assert!(!dropped.is_empty(), "the pool held connections to drop");
    // The terminated backends are gone once PostgreSQL no longer lists them (the pool
    // may open new ones meanwhile).
    let pids: Vec<String> = dropped
        .iter()
        .map(|row| row.try_get::<i32>("", "pid").unwrap().to_string())
        .collect();
    let remaining = format!(
        "SELECT pid FROM pg_stat_activity WHERE pid IN ({})",
        pids.join(", ")
    );
    wait_for(
        "the terminated backends to exit",
        Duration::from_secs(10),
        || {
            let (admin, remaining) = (&admin, &remaining);
            async move {
                let rows = admin
                    .query_all(sea_orm::Statement::from_string(
                        sea_orm::DbBackend::Postgres,
                        remaining.clone(),
                    ))
                    .await
                    .unwrap();
                rows.is_empty().then_some(())
            }
        },
    )
    .await;
    // The scenario is connections idle for over a second (the pool pings only those):
    // here time passing is itself the condition.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for _ in 0..10 {
        let body = post_graphql(&app.client, &app.address, None, &json!({ "query": query })).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
    // Served on new connections: PostgreSQL sees the database's sessions again.
    let sessions = admin
        .query_one(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = '{database}'"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert!(sessions >= 1);
}
