//! The standard introspection queries of the tools clients use run as sent; depth
//! limits keep applying to real fields.

use serde_json::{Value, json};

use crate::helpers::{Backend, code, spawn_app};

/// graphql-js 16's `getIntrospectionQuery()` with every option on (GraphiQL, GraphQL
/// Code Generator, Apollo tools) and graphql-core 3.2's (Python gql), verbatim.
const STANDARD_QUERIES: [(&str, &str); 2] = [
    (
        "graphql-js 16",
        include_str!("../fixtures/introspection-graphql-js-16.graphql"),
    ),
    (
        "graphql-core 3.2",
        include_str!("../fixtures/introspection-graphql-core-3.2.graphql"),
    ),
];

#[tokio::test]
async fn the_standard_introspection_queries_of_graphql_js_and_graphql_core_run() {
    let app = spawn_app(Backend::Sqlite).await;
    for (tool, query) in STANDARD_QUERIES {
        let body: Value = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": query, "operationName": "IntrospectionQuery" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
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
    // A fragment spreading itself is refused (async-graphql's recursion bound), not
    // looped over.
    let cycle = "query { organizations { ...A } } fragment A on OrganizationConnection { ...A }";
    let errors = app.error(cycle, json!({})).await;
    assert_eq!(code(&errors), "LIMIT_EXCEEDED", "{errors}");
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
