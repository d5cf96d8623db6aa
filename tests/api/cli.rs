//! The `orgdesign` binary: migrations, demo data, serving on port 0, SIGTERM.

use std::{process::Command, time::Duration};

use migration::MigratorTrait;
use orgdesign_api::startup::Application;
use orgdesign_domain::settings::Settings;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, HeldRequest, ServerProcess, backends, fresh_database, post_graphql, succeeded,
    wait_until_refused,
};

fn orgdesign(database_url: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_orgdesign"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    succeeded(&output)
}

#[tokio::test]
async fn migrate_up_status_and_down_work_from_the_command_line() {
    let total = migration::Migrator::migrations().len();
    for backend in backends() {
        let (url, dir) = fresh_database(backend).await;
        let before = orgdesign(&url, &["migrate", "status"]);
        assert_eq!(
            before.lines().filter(|l| l.starts_with("Pending")).count(),
            total,
            "{backend:?}: {before}"
        );
        orgdesign(&url, &["migrate", "up"]);
        let applied = orgdesign(&url, &["migrate", "status"]);
        assert_eq!(
            applied.lines().filter(|l| l.starts_with("Applied")).count(),
            total,
            "{backend:?}: {applied}"
        );
        orgdesign(&url, &["migrate", "down"]);
        let one_down = orgdesign(&url, &["migrate", "status"]);
        assert_eq!(
            one_down
                .lines()
                .filter(|l| l.starts_with("Pending"))
                .count(),
            1,
            "{backend:?}: {one_down}"
        );
        orgdesign(&url, &["--database-url", &url, "migrate", "down", "--all"]);
        let after = orgdesign(&url, &["migrate", "status"]);
        assert_eq!(
            after.lines().filter(|l| l.starts_with("Pending")).count(),
            total,
            "{backend:?}: {after}"
        );
        if let Some(dir) = dir {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

#[tokio::test]
async fn the_demo_command_loads_one_organization_per_collaboration_model() {
    for backend in backends() {
        let (url, dir) = fresh_database(backend).await;
        orgdesign(&url, &["demo"]);
        let again = orgdesign(&url, &["demo"]);
        assert!(
            again.contains("skipped"),
            "a second run skips what is there: {again}"
        );

        let mut settings = Settings::for_database(&url);
        settings.workers = Some(1);
        settings.jwt_secret = Some(secrecy::SecretString::from(crate::helpers::TEST_SECRET));
        let keys = orgdesign_domain::auth::tokens::Keys::from_settings(&settings).unwrap();
        let admin = crate::helpers::mint(&keys, orgdesign_domain::auth::Role::Admin, &[]);
        let app = Application::build(settings).await.unwrap();
        let address = format!("http://{}", app.address());
        let server = tokio::spawn(app.run_until_stopped(std::future::pending::<()>()));
        let query = r#"{ organizations { totalCount edges { node { slug declaredModel
            units { name function sourcing superior { name } }
            reportingLines { kind unit { name } superiorUnit { name } } } } } }"#;
        let client = reqwest::Client::new();
        let body = post_graphql(&client, &address, Some(&admin), &json!({ "query": query })).await;
        let orgs = &body["data"]["organizations"];
        assert_eq!(orgs["totalCount"], 4, "{backend:?}: {body}");
        let find = |slug: &str| {
            orgs["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| &e["node"])
                .find(|n| n["slug"] == slug)
                .unwrap()
                .clone()
        };
        let superior_of = |org: &Value, unit: &str| {
            org["units"]
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["name"] == unit)
                .unwrap()["superior"]["name"]
                .clone()
        };
        let northwind = find("northwind-industrial");
        assert_eq!(superior_of(&northwind, "Pumps marketing"), "Pumps sales");
        assert_eq!(superior_of(&northwind, "Valves marketing"), "Valves sales");
        let lumen = find("lumen-health");
        let dotted = lumen["reportingLines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["kind"] == "DOTTED")
            .count();
        assert_eq!(dotted, 2, "matrix lines into both business units");
        let fjord = find("fjord-outdoor");
        assert!(
            fjord["units"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["sourcing"] == "OUTSOURCED")
        );
        let meridian = find("meridian-logistics");
        assert_eq!(meridian["declaredModel"], "COMMERCIAL_LEADERSHIP");
        assert_eq!(
            superior_of(&meridian, "Marketing"),
            "Commercial and strategy"
        );
        server.abort();
        if let Some(dir) = dir {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

#[tokio::test]
async fn serve_on_port_zero_logs_its_address_and_sigterm_drains_in_flight_requests() {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let mut server = ServerProcess::start(&url);
    assert!(
        !server.address.ends_with(":0"),
        "the chosen port is logged, not 0: {}",
        server.address
    );

    // `__typename`: the request is about draining, not what it asks.
    let token = server.admin_token();
    let request =
        HeldRequest::start(server.host(), Some(&token), r#"{"query":"{ __typename }"}"#).await;
    server.terminate().await;
    server
        .wait_for_log("that it drains", Duration::from_secs(30), |entry| {
            entry["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("shutting down"))
        })
        .await;
    wait_until_refused(server.host(), Duration::from_secs(30)).await;
    assert!(
        server.is_running(),
        "it stopped accepting but waits for the request in flight"
    );
    let response = request.finish().await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"__typename\":\"Query\""), "{response}");

    let exit = server.wait_for_exit().await;
    assert!(exit.success(), "a clean exit after draining: {exit:?}");
    if let Some(dir) = dir {
        std::fs::remove_dir_all(dir).ok();
    }
}

/// A rehearsal's moved clock would announce dated changes early, once and for all:
/// a production server refuses it before it touches the database.
#[test]
fn serve_refuses_a_moved_clock_in_production() {
    let output = Command::new(env!("CARGO_BIN_EXE_orgdesign"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        // Nothing listens there: the refusal must come first.
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("ORGDESIGN_ENV", "production")
        .env(
            "ORGDESIGN_JWT_SECRET",
            "a-production-secret-of-enough-length-0123456789",
        )
        .env("ORGDESIGN_CLOCK_TODAY", "2027-01-01")
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    assert!(!output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("clock_today is for rehearsals")
            && stderr.contains("refused in production"),
        "{stderr}"
    );
}
