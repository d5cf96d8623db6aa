//! Apollo's automatic persisted queries: a hash alone is answered
//! `PERSISTED_QUERY_NOT_FOUND` until the document has been sent with it, then runs.

use serde_json::{Value, json};

use crate::helpers::{Backend, SendJson, spawn_app};

/// SHA-256 of a document, lower-case hex, as Apollo Client computes it.
fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_hash_alone_is_not_found_until_its_document_was_sent_then_it_runs_over_post_and_get() {
    let app = spawn_app(Backend::Sqlite).await;
    let query = "query Stages { maturityStages { key } }";
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(query) } });
    let post = |body: Value| {
        let request = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };

    // 1. The hash alone: the code (and message) Apollo Client retries on.
    let (status, body) = post(json!({ "extensions": extensions })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{body}"
    );
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");

    // 2. The document with its hash runs and is remembered.
    let (status, body) = post(json!({ "query": query, "extensions": extensions })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["maturityStages"].as_array().unwrap().len(),
        4,
        "{body}"
    );

    // 3. The hash alone now runs, over POST and over GET (as Apollo sends queries).
    let (_, body) = post(json!({ "extensions": extensions, "operationName": "Stages" })).await;
    assert_eq!(
        body["data"]["maturityStages"].as_array().unwrap().len(),
        4,
        "{body}"
    );
    let body: Value = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[
            ("operationName", "Stages"),
            ("extensions", &extensions.to_string()),
        ])
        .send_json()
        .await;
    assert_eq!(
        body["data"]["maturityStages"].as_array().unwrap().len(),
        4,
        "{body}"
    );

    // 4. A document that does not match its hash, and a malformed hash, are refused.
    let (status, body) = post(json!({ "query": "{ __typename }", "extensions": extensions })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    let (status, body) =
        post(json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "abc" } } }))
            .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    // Without a hash the document is still required.
    let (status, body) = post(json!({ "variables": {} })).await;
    assert_eq!(status, 400, "{body}");
}

/// Operation names label the metrics only for authenticated callers: made-up names of
/// anonymous requests all count as `unauthenticated`.
#[tokio::test]
async fn anonymous_operation_names_do_not_become_metric_labels() {
    let app = spawn_app(Backend::Sqlite).await;
    for i in 0..5 {
        app.anonymous
            .get(format!("{}/graphql", app.address))
            .query(&[("query", format!("query Random{i} {{ __typename }}"))])
            .send()
            .await
            .unwrap();
    }
    app.ok("query Named { __typename }", json!({})).await;
    let metrics = app.get_admin("/metrics").await.text().await.unwrap();
    assert!(!metrics.contains("operation=\"Random0\""), "{metrics}");
    assert!(
        metrics.contains("operation=\"unauthenticated\""),
        "{metrics}"
    );
    assert!(metrics.contains("operation=\"Named\""), "{metrics}");
}
