//! GraphQL over HTTP: methods, media types, status codes, limits.

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app, spawn_app_with};

const GQL_RESPONSE: &str = "application/graphql-response+json";

#[tokio::test]
async fn queries_run_over_get_but_mutations_are_405_with_allow_post() {
    let app = spawn_app(Backend::Sqlite).await;
    let ok = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "{ maturityStages { key } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["data"]["maturityStages"].as_array().unwrap().len(), 4);

    let mutation = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[(
            "query",
            r#"mutation { createOrganization(input: { slug: "via-get", name: "x" }) { id } }"#,
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(mutation.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(mutation.headers()[header::ALLOW], "POST");
    let none = app.ok("{ organizations { totalCount } }", json!({})).await;
    assert_eq!(
        none["organizations"]["totalCount"], 0,
        "the mutation did not run"
    );

    let put = app
        .client
        .put(format!("{}/graphql", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_response_media_type_follows_accept() {
    let app = spawn_app(Backend::Sqlite).await;
    let send = |accept: Option<&'static str>| {
        let mut request = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": "{ leadershipPriorities { key } }" }));
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT, accept);
        }
        request.send()
    };
    let modern = send(Some(GQL_RESPONSE)).await.unwrap();
    assert!(
        modern.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with(GQL_RESPONSE)
    );
    let legacy = send(None).await.unwrap();
    assert!(
        legacy.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let both = send(Some(
        "application/json;q=0.5, application/graphql-response+json",
    ))
    .await
    .unwrap();
    assert!(
        both.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with(GQL_RESPONSE)
    );
    let xml = send(Some("application/xml")).await.unwrap();
    assert_eq!(xml.status(), StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn request_errors_are_400_for_graphql_response_json_and_200_for_json() {
    let app = spawn_app(Backend::Sqlite).await;
    for (query, what, code) in [
        (
            "{ organizations { ",
            "a parse error",
            "GRAPHQL_PARSE_FAILED",
        ),
        (
            "{ noSuchField }",
            "a validation error",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "{ organizations(first: \"many\") { edges { node { id } } } }",
            "an argument of the wrong type",
            "BAD_USER_INPUT",
        ),
    ] {
        let modern = app
            .client
            .post(format!("{}/graphql", app.address))
            .header(header::ACCEPT, GQL_RESPONSE)
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap();
        assert_eq!(modern.status(), StatusCode::BAD_REQUEST, "{what}");
        let body: Value = modern.json().await.unwrap();
        assert!(
            body.get("data").is_none(),
            "{what}: no data entry before execution"
        );
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{what}");

        let legacy = app
            .client
            .post(format!("{}/graphql", app.address))
            .header(header::ACCEPT, "application/json")
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap();
        assert_eq!(legacy.status(), StatusCode::OK, "{what}");
    }
}

#[tokio::test]
async fn malformed_requests_get_4xx_not_5xx() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.limits.max_body_bytes = 1024).await;
    let post = |content_type: &'static str, body: Vec<u8>| {
        app.client
            .post(format!("{}/graphql", app.address))
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };
    let cases: Vec<(&str, Vec<u8>, StatusCode)> = vec![
        (
            "application/json",
            b"{not json".to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        ("application/json", b"{}".to_vec(), StatusCode::BAD_REQUEST),
        (
            "application/json",
            br#"{"query": 42}"#.to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json",
            br#"{"query": "{ __typename }", "variables": [1]}"#.to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        ("application/json", b"[]".to_vec(), StatusCode::BAD_REQUEST),
        (
            "application/json",
            b"\"just a string\"".to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "text/plain",
            br#"{"query": "{ __typename }"}"#.to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "application/x-www-form-urlencoded",
            b"query=%7B__typename%7D".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        // A cross-site form can send the three "simple" types without a preflight;
        // none of them is accepted, so no such request reaches a resolver.
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data; name=\"query\"\r\n\r\n{ __typename }\r\n--x--"
                .to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "application/json",
            format!(
                r#"{{"query": "{{ __typename }}", "pad": "{}"}}"#,
                "x".repeat(2048)
            )
            .into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (content_type, body, expected) in cases {
        let shown = String::from_utf8_lossy(&body)
            .chars()
            .take(60)
            .collect::<String>();
        let response = post(content_type, body).await.unwrap();
        assert_eq!(response.status(), expected, "{content_type} {shown}");
        let json: Value = response.json().await.unwrap();
        assert!(
            json["errors"][0]["extensions"]["code"].is_string(),
            "{shown}: {json}"
        );
    }
}

#[tokio::test]
async fn batches_run_up_to_the_configured_maximum() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.limits.max_batch = 3).await;
    let batch = |n: usize| {
        let ops: Vec<Value> = (0..n)
            .map(|_| json!({ "query": "{ __typename }" }))
            .collect();
        app.client
            .post(format!("{}/graphql", app.address))
            .json(&ops)
            .send()
    };
    let ok = batch(3).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body.as_array().unwrap().len(), 3);
    let too_many = batch(4).await.unwrap();
    assert_eq!(too_many.status(), StatusCode::BAD_REQUEST);
    let body: Value = too_many.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
}

#[tokio::test]
async fn too_deep_or_too_complex_queries_are_limit_exceeded() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.limits.max_depth = 6;
        s.limits.max_complexity = 50;
    })
    .await;
    let deep = "{ organizations { edges { node { units { superior { superior { superior { name } } } } } } } }";
    let error = app.error(deep, json!({})).await;
    assert_eq!(error["extensions"]["code"], "LIMIT_EXCEEDED", "{error}");
    let wide: String = (0..60)
        .map(|i| format!("a{i}: maturityStages {{ key }} "))
        .collect();
    let error = app.error(&format!("{{ {wide} }}"), json!({})).await;
    assert_eq!(error["extensions"]["code"], "LIMIT_EXCEEDED", "{error}");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app.get_admin("/healthz").await;
    let id = response
        .headers()
        .get("x-request-id")
        .expect("x-request-id header");
    assert!(!id.to_str().unwrap().is_empty());
}

#[tokio::test]
async fn too_many_directives_on_a_field_is_limit_exceeded() {
    let app = spawn_app(Backend::Sqlite).await;
    let directives = "@include(if: true) ".repeat(9);
    let error = app
        .error(
            &format!("{{ maturityStages {directives} {{ key }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "LIMIT_EXCEEDED", "{error}");
}

#[tokio::test]
async fn too_many_aliases_are_limit_exceeded() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.limits.max_aliases = 3).await;
    let ok = app
        .ok(
            "{ a: me { role } b: me { role } c: me { role } }",
            json!({}),
        )
        .await;
    assert_eq!(ok["a"]["role"], "ADMIN");
    let error = app
        .error("{ a: me { role } b: me { role } ...F } fragment F on Query { c: me { role } d: me { role } }", json!({}))
        .await;
    assert_eq!(error["extensions"]["code"], "LIMIT_EXCEEDED", "{error}");
}

#[tokio::test]
async fn a_principal_over_its_rate_gets_429_with_retry_after() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.limits.requests_per_minute = 60;
        s.limits.request_burst = 3;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": "{ me { role } }" }))
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry: u64 = response.headers()[header::RETRY_AFTER]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(retry >= 1);
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS);
    // Another principal has its own allowance.
    let (status, _) = app
        .graphql_as(
            Some(&app.token(orgdesign_domain::auth::Role::Admin, &[])),
            "{ me { role } }",
            json!({}),
        )
        .await;
    assert_eq!(
        status, 429,
        "the same subject shares its allowance across tokens"
    );
}

#[tokio::test]
async fn a_request_over_its_time_limit_is_stopped_and_a_stopped_mutation_stored_nothing() {
    for backend in crate::helpers::backends() {
        let app = spawn_app_with(backend, |s| s.limits.request_timeout_ms = 0).await;
        let error = app
            .error("{ organizations { totalCount } }", json!({}))
            .await;
        assert_eq!(
            error["extensions"]["code"], "LIMIT_EXCEEDED",
            "[{backend:?}] the database answers, so the request asked too much: {error}"
        );
        // With no time at all, a mutation is stopped before its write begins; a write
        // under way is never stopped (`http::deadline`'s unit tests), so an answer
        // that says "stopped" never hides a change that landed.
        let error = app
            .error(
                "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { slug } }",
                json!({ "i": { "slug": "too-slow", "name": "Slow" } }),
            )
            .await;
        assert_eq!(
            error["extensions"]["code"], "LIMIT_EXCEEDED",
            "[{backend:?}] {error}"
        );
        let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
        use sea_orm::{EntityTrait, PaginatorTrait};
        let count = entity::organization::Entity::find()
            .count(&db)
            .await
            .unwrap();
        assert_eq!(count, 0, "[{backend:?}] nothing was written");
    }
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let closed = spawn_app(Backend::Sqlite).await;
    let preflight = |app: &crate::helpers::TestApp| {
        app.anonymous
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header(header::ORIGIN, "https://app.example.com")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "authorization, content-type",
            )
            .send()
    };
    let response = preflight(&closed).await.unwrap();
    assert!(
        response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none(),
        "no origin is allowed by default"
    );
    let open = spawn_app_with(Backend::Sqlite, |s| {
        s.cors_allowed_origins = vec!["https://app.example.com".to_owned()]
    })
    .await;
    let response = preflight(&open).await.unwrap();
    assert_eq!(
        response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example.com"
    );
}

/// Apollo Client's and tracing headers pass a preflight as they are; any other header
/// only once it is configured (`cors_allowed_headers`).
#[tokio::test]
async fn cors_preflights_allow_the_usual_client_headers_and_configured_ones() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.cors_allowed_origins = vec!["https://app.example.com".to_owned()];
        s.cors_allowed_headers = vec!["x-tenant-hint".to_owned()];
    })
    .await;
    let preflight = |headers: &'static str| {
        app.anonymous
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header(header::ORIGIN, "https://app.example.com")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, headers)
            .send()
    };
    for headers in [
        "authorization, content-type, apollographql-client-name, apollographql-client-version",
        "x-request-id, traceparent",
        "x-tenant-hint",
    ] {
        let response = preflight(headers).await.unwrap();
        assert!(
            response.status().is_success(),
            "{headers}: {}",
            response.status()
        );
        assert_eq!(
            response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://app.example.com",
            "{headers}"
        );
    }
    let response = preflight("x-not-configured").await.unwrap();
    assert!(
        !response.status().is_success()
            || response
                .headers()
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .is_none(),
        "an unlisted header is refused"
    );

    // A header name that is not one stops the server at start, saying which.
    let mut settings = orgdesign_domain::settings::Settings::for_database("sqlite::memory:");
    settings.cors_allowed_headers = vec!["bad header".to_owned()];
    let err = orgdesign_api::startup::Application::build(settings)
        .await
        .err()
        .map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.contains("cors_allowed_headers")));
}

/// Every operation of a batched request counts against the rate limit, not the request
/// once: a batch cannot multiply a caller's allowance.
#[tokio::test]
async fn every_operation_of_a_batch_counts_against_the_rate_limit() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.limits.requests_per_minute = 1;
        s.limits.request_burst = 5;
        s.limits.max_batch = 10;
    })
    .await;
    let batch = |n: usize| {
        let body: Vec<Value> = (0..n)
            .map(|_| json!({ "query": "{ __typename }" }))
            .collect();
        app.client
            .post(format!("{}/graphql", app.address))
            .json(&body)
            .send()
    };
    let first = batch(4).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK, "4 of the 5 allowed");
    let second = batch(3).await.unwrap();
    assert_eq!(
        second.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "1 left, 3 asked"
    );
    assert!(second.headers().get(header::RETRY_AFTER).is_some());
    let body: Value = second.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED",
        "{body}"
    );
}
