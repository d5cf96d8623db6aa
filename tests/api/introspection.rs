//! The standard introspection queries of the tools clients use, printed by the real
//! libraries (graphql-js and graphql-core, installed in `tests/clients`), run as sent;
//! depth limits keep applying to real fields.
//!
//! Without a library its tests are compiled as ignored (`cfg(test_clients)`,
//! `cfg(test_graphql_core)`, see `build.rs`) and reported as skipped, never as passed.

use std::{path::Path, process::Command};

use orgdesign_domain::{auth::Role, settings::Environment};
use serde_json::{Value, json};

use crate::helpers::{Backend, SendJson, code, spawn_app, spawn_app_with, succeeded};

/// The standard introspection query of graphql-js 16 (`getIntrospectionQuery()` with
/// every option on, as GraphiQL, GraphQL Code Generator and Apollo tools send it),
/// printed by the library installed in `tests/clients` (`npm ci --prefix tests/clients`).
fn graphql_js_query() -> String {
    client_output(
        "graphql-js",
        "node_modules/graphql",
        Command::new("node").arg("introspection_query.mjs"),
    )
}

/// The standard introspection query of graphql-core 3.2 (`get_introspection_query()`
/// with every option on, as Python's gql sends it), printed by the library installed in
/// `tests/clients/python` (`python3 -m pip install --target tests/clients/python -r
/// tests/clients/requirements.txt`).
fn graphql_core_query() -> String {
    client_output(
        "graphql-core",
        "python/graphql",
        Command::new("python3")
            .arg("introspection_query.py")
            .env("PYTHONPATH", "python"),
    )
}

/// Runs `command` in `tests/clients` and returns what it printed, failing the test
/// when `installed` (a path there) is missing or the command fails: a test that needs
/// the library never passes without it.
fn client_output(library: &str, installed: &str, command: &mut Command) -> String {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients"));
    assert!(
        dir.join(installed).is_dir(),
        "{library} is not installed in tests/clients (see README.md, \"Tests\")"
    );
    succeeded(&command.current_dir(dir).output().expect("the tool runs"))
}

#[cfg_attr(
    not(test_clients),
    ignore = "needs graphql-js: npm ci --prefix tests/clients"
)]
#[tokio::test]
async fn the_standard_introspection_query_of_graphql_js_runs() {
    standard_query_runs("graphql-js 16", &graphql_js_query()).await;
}

#[cfg_attr(
    not(test_graphql_core),
    ignore = "needs graphql-core: python3 -m pip install --target tests/clients/python -r tests/clients/requirements.txt"
)]
#[tokio::test]
async fn the_standard_introspection_query_of_graphql_core_runs() {
    standard_query_runs("graphql-core 3.2", &graphql_core_query()).await;
}

/// `query`, sent as `tool` sends it, answers the whole schema: the root types and the
/// described fields of `Organization`.
async fn standard_query_runs(tool: &str, query: &str) {
    let app = spawn_app(Backend::Sqlite).await;
    let body: Value = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": query, "operationName": "IntrospectionQuery" }))
        .send_json()
        .await;
    assert!(body.get("errors").is_none(), "{tool}: {body}");
    let schema = &body["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query", "{tool}");
    assert_eq!(schema["mutationType"]["name"], "Mutation", "{tool}");
    assert_eq!(schema["subscriptionType"]["name"], "Subscription", "{tool}");
    let types = schema["types"].as_array().unwrap();
    let organization = types
        .iter()
        .find(|t| t["name"] == "Organization")
        .unwrap_or_else(|| panic!("{tool}: Organization is among the types"));
    assert!(
        organization["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "kpiSeries"),
        "{tool}: fields are described"
    );
}

#[tokio::test]
async fn deep_queries_of_real_fields_are_still_refused() {
    let app = spawn_app(Backend::Sqlite).await;
    // 13 levels of real fields (the limit is 12; 12 levels pass).
    let deep = "{ organizations { edges { node { units { superior { superior { superior { superior { superior { superior { superior { superior { name } } } } } } } } } } } } }";
    let errors = app.error(deep, json!({})).await;
    assert_eq!(code(&errors), "LIMIT_EXCEEDED", "{errors}");
    // Also when the depth comes from a fragment, or hides beside introspection.
    let fragment = "query { __typename ...Deep } fragment Deep on Query { organizations { edges { node { units { superior { superior { superior { superior { superior { superior { superior { superior { name } } } } } } } } } } } } }";
    let errors = app.error(fragment, json!({})).await;
    assert_eq!(code(&errors), "LIMIT_EXCEEDED", "{errors}");
    // A fragment spreading itself is refused as the invalid document it is, not
    // looped over.
    let cycle = "query { organizations { ...A } } fragment A on OrganizationConnection { ...A }";
    let errors = app.error(cycle, json!({})).await;
    assert_eq!(code(&errors), "GRAPHQL_VALIDATION_FAILED", "{errors}");
    // Introspection nested past its own bound is refused too.
    let mut nested = String::from("name");
    for _ in 0..40 {
        nested = format!("ofType {{ {nested} }}");
    }
    let errors = app
        .error(
            &format!("{{ __type(name: \"Organization\") {{ fields {{ type {{ {nested} }} }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(code(&errors), "LIMIT_EXCEEDED", "{errors}");
}

/// In production the standard query runs for admins and answers no schema to viewers
/// (the `introspection` policy); a 17-deep query of real fields is refused either way.
#[cfg_attr(
    not(test_clients),
    ignore = "needs graphql-js: npm ci --prefix tests/clients"
)]
#[tokio::test]
async fn in_production_admins_introspect_with_the_standard_query_and_viewers_do_not() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.env = Environment::Production).await;
    let org = app.create_org("introspected").await;
    let viewer = app.token(Role::Viewer, &[&org]);
    let query_js = &graphql_js_query();
    let (_, as_admin) = app
        .graphql_as(Some(&app.admin_token), query_js, json!({}))
        .await;
    assert!(as_admin.get("errors").is_none(), "{as_admin}");
    assert_eq!(as_admin["data"]["__schema"]["queryType"]["name"], "Query");
    let (_, as_viewer) = app.graphql_as(Some(&viewer), query_js, json!({})).await;
    assert_eq!(as_viewer["data"]["__schema"], Value::Null, "{as_viewer}");

    let mut deep = String::from("name");
    for _ in 0..13 {
        deep = format!("superior {{ {deep} }}");
    }
    // organizations → edges → node → units → 13 × superior → name: 17 levels.
    let deep = format!("{{ organizations {{ edges {{ node {{ units {{ {deep} }} }} }} }} }}");
    for token in [&app.admin_token, &viewer] {
        let (_, body) = app.graphql_as(Some(token), &deep, json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
            "{body}"
        );
    }
}
