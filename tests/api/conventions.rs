//! HTTP conventions clients and caches rely on: `HEAD` wherever `GET` is served,
//! `ETag`/`If-None-Match` on the SDL and the SVG charts, gzip and brotli, and the
//! headers every answer carries.

use reqwest::{StatusCode, header};
use serde_json::json;

use crate::helpers::{backends, create_unit_request, spawn_app};

#[tokio::test]
async fn head_validators_compression_and_security_headers() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let url = |path: &str| format!("{}{path}", app.address);

        // HEAD: the GET's status and headers, no body.
        for path in [
            "/healthz",
            "/schema.graphql",
            "/metrics",
            "/api/openapi.json",
        ] {
            let get = app.client.get(url(path)).send().await.unwrap();
            let head = app.client.head(url(path)).send().await.unwrap();
            assert_eq!(head.status(), get.status(), "[{backend:?}] HEAD {path}");
            assert_eq!(
                head.headers().get(header::CONTENT_TYPE),
                get.headers().get(header::CONTENT_TYPE),
                "[{backend:?}] HEAD {path}"
            );
            assert!(
                head.bytes().await.unwrap().is_empty(),
                "[{backend:?}] HEAD {path} has no body"
            );
        }

        // ETag on the SDL: a client holding it gets 304 without a body.
        let sdl = app.client.get(url("/schema.graphql")).send().await.unwrap();
        let etag = sdl.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"'), "a strong tag: {etag}");
        let again = app
            .client
            .get(url("/schema.graphql"))
            .header(header::IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers()[header::ETAG], etag.as_str());
        assert!(again.bytes().await.unwrap().is_empty());
        let other = app
            .client
            .get(url("/schema.graphql"))
            .header(header::IF_NONE_MATCH, "\"something-else\"")
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), StatusCode::OK);

        // ETag on an SVG chart, which changes when the organization does.
        let org = app.create_org("etagged").await;
        app.create_unit(&org, "Marketing", "MARKETING").await;
        let chart_url = url("/api/v1/organizations/etagged/chart.svg");
        let chart = app.client.get(&chart_url).send().await.unwrap();
        assert_eq!(chart.status(), StatusCode::OK);
        let chart_tag = chart.headers()[header::ETAG].to_str().unwrap().to_owned();
        // The chart again, sent only if it no longer matches the tag.
        let revalidated = || async {
            app.client
                .get(&chart_url)
                .header(header::IF_NONE_MATCH, &chart_tag)
                .send()
                .await
                .unwrap()
        };
        let cached = revalidated().await;
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED, "[{backend:?}]");
        app.create_unit(&org, "Sales", "SALES").await;
        let changed = revalidated().await;
        assert_eq!(
            changed.status(),
            StatusCode::OK,
            "[{backend:?}] a changed chart is sent again"
        );

        // Compression, as the client asks: gzip and brotli, on /metrics and GraphQL.
        let plain = app
            .client
            .get(url("/metrics"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        for encoding in ["gzip", "br"] {
            let compressed = app
                .client
                .get(url("/metrics"))
                .header(header::ACCEPT_ENCODING, encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(compressed.headers()[header::CONTENT_ENCODING], encoding);
            let body = compressed.bytes().await.unwrap();
            assert!(
                body.len() < plain.len() / 2,
                "[{backend:?}] {encoding}: {} of {}",
                body.len(),
                plain.len()
            );
        }
        let graphql = app
            .client
            .post(url("/graphql"))
            .header(header::ACCEPT_ENCODING, "gzip")
            .json(&json!({ "query": "{ maturityStages { key name description } __schema { types { name description } } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(graphql.headers()[header::CONTENT_ENCODING], "gzip");

        // Every answer: no MIME sniffing, no framing.
        let any = app.client.get(url("/healthz")).send().await.unwrap();
        assert_eq!(any.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(any.headers()[header::X_FRAME_OPTIONS], "DENY");
    }
}

/// The caller's `X-Request-Id` is the request's id (answered, logged, audited); its W3C
/// `traceparent` is answered with one of the same trace.
#[tokio::test]
async fn an_incoming_request_id_and_traceparent_are_honoured() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let org = app.create_org("traced").await;
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("x-request-id", "client-req.42")
            .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
            .json(&create_unit_request(&org, "Brand", "MARKETING"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["x-request-id"],
            "client-req.42",
            "[{backend:?}]"
        );
        let answered = response.headers()["traceparent"]
            .to_str()
            .unwrap()
            .to_owned();
        let parts: Vec<&str> = answered.split('-').collect();
        assert_eq!(parts.len(), 4, "{answered}");
        assert_eq!(
            (parts[0], parts[1], parts[3]),
            ("00", trace, "01"),
            "{answered}"
        );
        assert_ne!(
            parts[2], "00f067aa0ba902b7",
            "this request is the new parent"
        );
        let audit = app
            .ok(
                "query($o: ID!) { auditLog(organizationId: $o, first: 1) { edges { node { operation requestId } } } }",
                json!({ "o": org }),
            )
            .await;
        assert_eq!(
            audit["auditLog"]["edges"][0]["node"]["requestId"], "client-req.42",
            "[{backend:?}] {audit}"
        );

        // An id that is not a plain token is replaced; no traceparent, none answered.
        let response = app
            .client
            .get(format!("{}/healthz", app.address))
            .header("x-request-id", "has spaces and \"quotes\"")
            .send()
            .await
            .unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap();
        assert!(!id.contains(' ') && !id.is_empty(), "{id}");
        assert!(response.headers().get("traceparent").is_none());
    }
}
