//! Real GraphQL client libraries against a running orgdesign: Apollo Client (Node) with
//! automatic persisted queries over GET, a type policy on `Query`, a mutation.
//!
//! The clients live in `tests/clients` (`npm ci --prefix tests/clients` installs them;
//! `.ci/run` does). Without them the test is compiled as ignored (`cfg(test_clients)`,
//! see `build.rs`) and reported as skipped, never as passed.

use std::{path::Path, process::Command};

use serde_json::Value;

use crate::helpers::{backends, spawn_app};

fn clients_dir() -> &'static Path {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients"));
    assert!(
        dir.join("node_modules/@apollo/client").is_dir(),
        "the client libraries are not installed: run `npm ci --prefix tests/clients`"
    );
    dir
}

#[cfg_attr(
    not(test_clients),
    ignore = "needs the client libraries: npm ci --prefix tests/clients"
)]
#[tokio::test]
async fn apollo_client_runs_persisted_queries_type_policies_and_mutations() {
    let dir = clients_dir();
    for backend in backends() {
        let app = spawn_app(backend).await;
        let output = tokio::task::spawn_blocking({
            let url = format!("{}/graphql", app.address);
            let token = app.admin_token.clone();
            move || {
                Command::new("node")
                    .arg("apollo.mjs")
                    .arg(url)
                    .arg(token)
                    .current_dir(dir)
                    .output()
                    .expect("node runs")
            }
        })
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "[{backend:?}] apollo.mjs failed: {stderr}"
        );
        let seen: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("[{backend:?}] one JSON line: {stderr}"));
        assert_eq!(seen["rootTypename"], "Query", "{seen}");
        assert_eq!(seen["stages"], 4, "{seen}");
        assert_eq!(seen["secondStages"], 4, "{seen}");
        assert!(
            seen["createdSlug"]
                .as_str()
                .is_some_and(|s| s.starts_with("apollo-")),
            "{seen}"
        );
        assert!(
            seen["policyReads"].as_u64().unwrap_or(0) > 0,
            "the Query type policy ran: {seen}"
        );
        // Persisted queries: the hash alone first (GET), told to send the document,
        // then the document with its hash; the second query is the hash alone again
        // and is answered.
        let sent = seen["sent"].as_array().unwrap();
        let shape = |i: usize| {
            (
                sent[i]["method"].as_str().unwrap_or_default().to_owned(),
                sent[i]["hasQuery"].as_bool().unwrap_or_default(),
                sent[i]["hasHash"].as_bool().unwrap_or_default(),
            )
        };
        assert_eq!(shape(0), ("GET".to_owned(), false, true), "{seen}");
        assert!(
            shape(1).1 && shape(1).2,
            "the retry sends the document with its hash: {seen}"
        );
        assert_eq!(shape(2), ("GET".to_owned(), false, true), "{seen}");
        // The mutation: its hash alone over POST (never GET), then its document.
        assert_eq!(shape(3), ("POST".to_owned(), false, true), "{seen}");
        assert_eq!(shape(4), ("POST".to_owned(), true, true), "{seen}");
        assert_eq!(sent.len(), 5, "{seen}");
    }
}
