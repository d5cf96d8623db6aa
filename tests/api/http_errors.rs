//! One error shape for every HTTP refusal, REST and `/graphql` alike:
//! `{"errors": [{"message": ..., "extensions": {"code": ..., "field": ...}}]}`.

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::{
    authorization::issue_token,
    helpers::{Backend, TestApp, backends, spawn_app, spawn_app_with},
    tokens::{expired_token, foreign_token},
};

const PUSH: &str = "/api/v1/organizations/shape-org/kpi-measurements";

/// Sends `method path` with `token` (or none); the status, the headers and the body,
/// which must be JSON.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, header::HeaderMap, Value) {
    let mut request = app
        .anonymous
        .request(method, format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{path}: a JSON body, got {status} {text:?}"));
    (status, headers, body)
}

/// Asserts the one shape: a single error with a message and `code`, nothing else.
fn assert_shape(body: &Value, code: &str, what: &str) {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: {body}"));
    assert_eq!(errors.len(), 1, "{what}: {body}");
    assert!(errors[0]["message"].is_string(), "{what}: {body}");
    assert_eq!(errors[0]["extensions"]["code"], code, "{what}: {body}");
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["errors"],
        "{what}: nothing beside `errors`"
    );
}

#[tokio::test]
async fn rest_without_a_token_or_with_a_bad_one_is_401_with_www_authenticate_and_the_one_shape() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let org = app.create_org("shape-org").await;
        let bearer_expired = format!("Bearer {}", expired_token(&app, &org));
        let bearer_foreign = format!("Bearer {}", foreign_token(&org));
        let paths = [
            (Method::POST, PUSH),
            (Method::GET, PUSH),
            (Method::GET, "/api/v1/organizations/shape-org/chart.svg"),
            (
                Method::GET,
                "/api/v1/organizations/shape-org/kpis/mqls/chart.svg",
            ),
            (Method::GET, "/api/v1/organizations/shape-org/structure.csv"),
            (Method::POST, "/api/v1/organizations/shape-org/scenarios"),
        ];
        let tokens = [
            (None, "no token"),
            (Some("Bearer not-a-token"), "a malformed token"),
            (Some(bearer_expired.as_str()), "an expired token"),
            (
                Some(bearer_foreign.as_str()),
                "a token signed with another key",
            ),
            (Some("Basic dXNlcjpwYXNz"), "not a bearer token"),
        ];
        for (method, path) in paths {
            for (token, what) in tokens {
                let what = format!("[{backend:?}] {method} {path} with {what}");
                let (status, headers, body) = send(&app, method.clone(), path, token).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
                assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer", "{what}");
                assert!(
                    headers[header::CONTENT_TYPE]
                        .to_str()
                        .unwrap()
                        .starts_with("application/json"),
                    "{what}"
                );
                assert_shape(&body, "UNAUTHENTICATED", &what);
            }
        }
        // `/graphql` refuses a bad token with the same answer.
        let (status, headers, body) = send(
            &app,
            Method::GET,
            "/graphql?query=%7B__typename%7D",
            Some("Bearer not-a-token"),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
        assert_shape(&body, "UNAUTHENTICATED", "/graphql");
    }
}

#[tokio::test]
async fn unknown_paths_are_404_and_unknown_methods_405_in_the_one_shape() {
    let app = spawn_app(Backend::Sqlite).await;
    let admin = format!("Bearer {}", app.admin_token);
    for path in [
        "/nope",
        "/api/v1/nope",
        "/api/v1/organizations/shape-org/unknown",
        "/graphql/extra",
    ] {
        for token in [None, Some(admin.as_str())] {
            let (status, _, body) = send(&app, Method::GET, path, token).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert_shape(&body, "NOT_FOUND", path);
        }
    }
    for (method, path, allow) in [
        (Method::PUT, PUSH, "GET, POST"),
        (Method::DELETE, PUSH, "GET, POST"),
        (
            Method::POST,
            "/api/v1/organizations/shape-org/chart.svg",
            "GET",
        ),
        (Method::POST, "/api/openapi.json", "GET"),
        (
            Method::GET,
            "/api/v1/organizations/shape-org/scenarios",
            "POST",
        ),
        (Method::PUT, "/graphql", "GET, POST"),
        (Method::POST, "/healthz", "GET"),
    ] {
        let what = format!("{method} {path}");
        let (status, headers, body) = send(&app, method, path, Some(&admin)).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{what}");
        assert_eq!(headers[header::ALLOW], allow, "{what}");
        assert_shape(&body, "BAD_USER_INPUT", &what);
    }
}

#[tokio::test]
async fn rest_refusals_of_the_body_use_the_one_shape() {
    for backend in backends() {
        let app = spawn_app_with(backend, |s| s.limits.max_body_bytes = 256).await;
        let org = app.create_org("shape-org").await;
        let (token, _) = issue_token(&app, &org).await;
        let push = |content_type: &'static str, body: String| {
            app.anonymous
                .post(format!("{}{PUSH}", app.address))
                .bearer_auth(&token)
                .header(header::CONTENT_TYPE, content_type)
                .body(body)
                .send()
        };
        for (content_type, body, status, code, field) in [
            (
                "text/plain",
                "x".to_owned(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "BAD_USER_INPUT",
                json!("Content-Type"),
            ),
            (
                "application/json",
                format!(r#"{{"points": [], "pad": "{}"}}"#, "x".repeat(512)),
                StatusCode::PAYLOAD_TOO_LARGE,
                "LIMIT_EXCEEDED",
                Value::Null,
            ),
            (
                "application/json",
                "{not json".to_owned(),
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                json!("body"),
            ),
        ] {
            let what = format!("[{backend:?}] {content_type} -> {status}");
            let response = push(content_type, body).await.unwrap();
            assert_eq!(response.status(), status, "{what}");
            let body: Value = response.json().await.unwrap();
            assert_shape(&body, code, &what);
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{what}");
        }
        // Another organization's data looks unknown, in the same shape.
        let (status, _, body) = send(
            &app,
            Method::GET,
            "/api/v1/organizations/someone-else/kpi-measurements",
            Some(&format!("Bearer {token}")),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_shape(&body, "NOT_FOUND", "another organization");
    }
}

#[tokio::test]
async fn graphql_and_rest_draw_on_one_allowance_per_subject() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.limits.requests_per_minute = 60;
        s.limits.request_burst = 3;
    })
    .await;
    app.create_org("shape-org").await;
    let rest = || app.client.get(format!("{}{PUSH}", app.address)).send();
    let graphql = || {
        app.client
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": "{ me { role } }" }))
            .send()
    };
    // createOrganization spent one of the three.
    assert_eq!(rest().await.unwrap().status(), StatusCode::OK);
    assert_eq!(graphql().await.unwrap().status(), StatusCode::OK);
    for (response, what) in [
        (rest().await.unwrap(), "REST"),
        (graphql().await.unwrap(), "GraphQL"),
    ] {
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{what}");
        let retry: u64 = response.headers()[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry >= 1, "{what}");
        let body: Value = response.json().await.unwrap();
        assert_shape(&body, "LIMIT_EXCEEDED", what);
    }
    // Without a token, REST counts against the client's address and still says 401
    // while within it.
    let (status, _, _) = send(&app, Method::GET, PUSH, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn graphql_refusals_before_execution_use_the_one_shape_in_the_negotiated_media_type() {
    let app = spawn_app(Backend::Sqlite).await;
    let not_acceptable = app
        .client
        .post(format!("{}/graphql", app.address))
        .header(header::ACCEPT, "application/xml")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(not_acceptable.status(), StatusCode::NOT_ACCEPTABLE);
    assert_shape(
        &not_acceptable.json().await.unwrap(),
        "BAD_USER_INPUT",
        "406",
    );
    let mutation_over_get = app
        .client
        .get(format!("{}/graphql", app.address))
        .header(header::ACCEPT, "application/graphql-response+json")
        .query(&[("query", "mutation M { __typename }")])
        .send()
        .await
        .unwrap();
    assert_eq!(mutation_over_get.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(mutation_over_get.headers()[header::ALLOW], "POST");
    assert!(
        mutation_over_get.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/graphql-response+json")
    );
    assert_shape(
        &mutation_over_get.json().await.unwrap(),
        "BAD_USER_INPUT",
        "405",
    );
}
