//! Real GraphQL client libraries against a running orgdesign: Apollo Client (Node) with
//! automatic persisted queries over GET, a type policy on `Query`, a mutation.
//!
//! The clients live in `tests/clients` (`npm ci --prefix tests/clients` installs them;
//! `.ci/run` does). Without them the test is compiled as ignored (`cfg(test_clients)`,
//! see `build.rs`) and reported as skipped, never as passed.

use std::{path::Path, process::Command};

use serde_json::Value;

use crate::helpers::{backends, spawn_app};

/// Runs `node script args…` in `dir` with `stdin` (as JSON) on its standard input, and
/// reads the one JSON line it prints; `Err` says how it failed, with its stderr.
async fn node(
    dir: &'static Path,
    script: &str,
    args: &[String],
    stdin: Option<Value>,
) -> Result<Value, String> {
    let mut command = Command::new("node");
    command
        .arg(script)
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let script = script.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("node runs");
        let input = child.stdin.take().expect("piped stdin");
        if let Some(stdin) = stdin {
            serde_json::to_writer(input, &stdin).expect("node reads its input");
        } else {
            drop(input);
        }
        let output = child.wait_with_output().expect("node ends");
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            return Err(format!("{script} failed: {stderr}"));
        }
        serde_json::from_slice(&output.stdout)
            .map_err(|_| format!("{script} printed no JSON line: {stderr}"))
    })
    .await
    .expect("the blocking task ends")
}

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
        let url = format!("{}/graphql", app.address);
        let seen = node(dir, "apollo.mjs", &[url, app.admin_token.clone()], None).await;
        let seen = seen.unwrap_or_else(|failure| panic!("[{backend:?}] {failure}"));
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

/// Documents whose answers exercise the order of keys (fragments, inline fragments,
/// aliases, `@skip`, an interface) and where failures leave `null`.
const SHAPE_DOCUMENTS: &[(&str, &str)] = &[
    (
        r#"query Dashboard($skip: Boolean!) {
            ...Stages
            me { role subject }
            orgs: organizations(first: 4) {
                nodes {
                    ... on Organization { name }
                    slug
                    units @skip(if: $skip) { name function }
                    lines: reportingLines { kind current }
                    ...Reading
                    units @include(if: true) { depth spanOfControl }
                }
                totalCount
            }
            __typename
        }
        fragment Stages on Query { maturityStages { key kpis { key } } leadershipPriorities { key } }
        fragment Reading on Organization { collaborationModel { inferred agrees } slug insights { code severity } }"#,
        r#"{"skip": false}"#,
    ),
    (
        r#"query($id: ID!) { node(id: $id) { __typename ... on Organization { slug units { name } } id } me { role } }"#,
        "null",
    ),
    (
        r#"{ a: __typename organization(id: "not-an-id") { slug } me { role } }"#,
        "null",
    ),
    (
        r#"query($id: ID!) { organization(id: $id) { slug kpiSeries(kpi: "no_such_kpi", granularity: WEEK, from: "2026-01-01", to: "2026-02-01") { value } name } me { role } }"#,
        "null",
    ),
    (
        r#"{ me { role } kpiSeries(organizationId: "not-an-id", kpi: "mqls", granularity: WEEK, from: "2026-01-01", to: "2026-02-01") { value } }"#,
        "null",
    ),
];

#[cfg_attr(
    not(test_clients),
    ignore = "needs the client libraries: npm ci --prefix tests/clients"
)]
#[tokio::test]
async fn graphql_js_executing_the_same_documents_gives_the_same_answers_key_by_key() {
    let dir = clients_dir();
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.load_demo().await;
        let lumen = app
            .ok(
                r#"{ organization(slug: "lumen-health") { id } }"#,
                serde_json::json!({}),
            )
            .await["organization"]["id"]
            .clone();
        let mut cases = Vec::new();
        for (query, variables) in SHAPE_DOCUMENTS {
            let variables: Value = match serde_json::from_str(variables).unwrap() {
                Value::Null => serde_json::json!({ "id": lumen }),
                given => given,
            };
            let answer = app.graphql(query, variables.clone()).await;
            cases.push(
                serde_json::json!({ "query": query, "variables": variables, "answer": answer }),
            );
        }
        let input = serde_json::json!({
            "schema": concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"),
            "cases": cases,
        });
        let results = node(dir, "shape.mjs", &[], Some(input)).await;
        let results = results.unwrap_or_else(|failure| panic!("[{backend:?}] {failure}"));
        let results = results.as_array().expect("a list of results");
        assert_eq!(results.len(), SHAPE_DOCUMENTS.len());
        for (result, (query, _)) in results.iter().zip(SHAPE_DOCUMENTS) {
            // Compared as text: key order counts (JSON values compare equal whatever it is).
            assert_eq!(
                serde_json::to_string(&result["orgdesign"]).unwrap(),
                serde_json::to_string(&result["graphqljs"]).unwrap(),
                "[{backend:?}] orgdesign's answer (left) differs from graphql-js's (right) for {query}"
            );
            assert_eq!(
                result["same"], true,
                "[{backend:?}] key order differs for {query}: {result}"
            );
        }
        // The documents did reach the cases they are for: data, a nullable failure, a
        // propagated one and `data: null`.
        let data = |i: usize| results[i]["orgdesign"]["data"].clone();
        assert_eq!(data(0)["orgs"]["nodes"].as_array().map(Vec::len), Some(4));
        assert_eq!(data(1)["node"]["__typename"], "Organization");
        assert_eq!(data(2)["organization"], Value::Null);
        assert_eq!(data(3)["organization"], Value::Null);
        assert_eq!(data(4), Value::Null);
    }
}
