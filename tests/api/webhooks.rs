//! Webhooks end to end: a receiver on 127.0.0.1 that verifies every signature on its
//! own (`helpers::receiver`), the event types, retries
//! with growing intervals, the private-address rule, the delivery log, redelivery,
//! pings, secret rotation, auto-disable, and deliveries that survive a SIGKILL or are
//! shared by two server processes on one PostgreSQL database.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use orgdesign_domain::settings::Settings;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

use crate::helpers::{
    Backend, SendJson, ServerProcess, TestApp, Trio, backends, code, field, fresh_database,
    post_graphql,
    receiver::{Received, Receiver},
    require_postgres, spawn_app_with, wait_for,
};

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

/// Webhook settings for tests: http to 127.0.0.1, time compressed.
fn compressed(settings: &mut Settings) {
    settings.webhooks.allow_http = true;
    settings.webhooks.allow_hosts = vec!["127.0.0.1".to_owned()];
    settings.webhooks.poll_interval_ms = 50;
    settings.webhooks.retry_base_ms = 300;
    settings.webhooks.retry_max_interval_ms = 5_000;
    settings.webhooks.timeout_ms = 3_000;
}

/// The same, for server processes.
const PROCESS_ENV: [(&str, &str); 6] = [
    ("ORGDESIGN_WEBHOOKS__ALLOW_HTTP", "true"),
    ("ORGDESIGN_WEBHOOKS__ALLOW_HOSTS", "127.0.0.1"),
    ("ORGDESIGN_WEBHOOKS__POLL_INTERVAL_MS", "50"),
    ("ORGDESIGN_WEBHOOKS__RETRY_BASE_MS", "200"),
    ("ORGDESIGN_WEBHOOKS__RETRY_MAX_INTERVAL_MS", "1000"),
    ("ORGDESIGN_WEBHOOKS__TIMEOUT_MS", "3000"),
];

const CREATE: &str = "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id version events enabled } secret } }";

const DELIVERIES: &str = "query($e: ID!) { webhookDeliveries(endpointId: $e, first: 100) { totalCount edges { node { id webhookId eventType state attemptCount lastStatus redeliveryOf attempts { number outcome statusCode latencyMs responseExcerpt error } } } } }";

/// Creates an endpoint as admin and teaches the receiver its secret: (endpoint id,
/// secret).
async fn endpoint(
    app: &TestApp,
    receiver: &Receiver,
    org: &str,
    events: &[&str],
) -> (String, String) {
    let data = app
        .ok(
            CREATE,
            json!({ "i": { "organizationId": org, "url": format!("{}/hooks", receiver.url), "events": events } }),
        )
        .await;
    let created = &data["createWebhookEndpoint"];
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    receiver.add_secret(&secret);
    (
        created["endpoint"]["id"].as_str().unwrap().to_owned(),
        secret,
    )
}

async fn deliveries(app: &TestApp, endpoint: &str) -> Vec<Value> {
    app.ok(DELIVERIES, json!({ "e": endpoint })).await["webhookDeliveries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// Waits until every delivery of `endpoint` is settled (none `PENDING`): then nothing
/// more will reach the receiver unless a new event is written, and what the changes so
/// far enqueued (in their own transactions) is all there is.
async fn settled(app: &TestApp, endpoint: &str) -> Vec<Value> {
    wait_for(
        "every delivery settled",
        Duration::from_secs(20),
        || async {
            let all = deliveries(app, endpoint).await;
            all.iter().all(|d| d["state"] != "PENDING").then_some(all)
        },
    )
    .await
}

/// Waits until the receiver accepted requests of `count` distinct messages.
async fn wait_for_distinct(receiver: &Receiver, count: usize, within: Duration) {
    wait_for(
        &format!("{count} distinct webhooks at the receiver"),
        within,
        || async { (receiver.distinct() >= count).then_some(()) },
    )
    .await;
}

/// Waits until a delivery of `endpoint` matches `wanted` (described by `what`) and
/// returns it.
async fn delivery_where(
    app: &TestApp,
    endpoint: &str,
    what: &str,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    wait_for(what, Duration::from_secs(20), || async {
        deliveries(app, endpoint).await.into_iter().find(&wanted)
    })
    .await
}

/// Waits until the receiver accepted an `event_type` (`insight.raised` or
/// `insight.resolved`) about the insight MARKETING_REPORTS_TO_SALES, and returns it.
async fn marketing_reports_to_sales(receiver: &Receiver, event_type: &str) -> Received {
    wait_for(
        &format!("{event_type} MARKETING_REPORTS_TO_SALES"),
        Duration::from_secs(20),
        || async {
            of_type(receiver, event_type)
                .into_iter()
                .find(|r| r.body["data"]["insight"]["code"] == "MARKETING_REPORTS_TO_SALES")
        },
    )
    .await
}

/// The accepted bodies of type `event_type`.
fn of_type(receiver: &Receiver, event_type: &str) -> Vec<Received> {
    receiver
        .accepted()
        .into_iter()
        .filter(|r| r.body["type"] == event_type)
        .collect()
}

// ---------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_structure_change_a_kpi_push_and_a_revocation_each_arrive_once_signed() {
    for backend in backends() {
        let app = spawn_app_with(backend, compressed).await;
        let receiver = Receiver::start().await;
        let org = app.create_org("hooked").await;
        let (endpoint_id, _) = endpoint(
            &app,
            &receiver,
            &org,
            &[
                "structure.changed",
                "kpi.points_recorded",
                "integration_token.revoked",
            ],
        )
        .await;

        let unit = app.create_unit(&org, "Marketing", "MARKETING").await;
        app.ok(
            "mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted } }",
            json!({ "o": org, "p": [
                { "kpi": "mqls", "granularity": "DAY", "periodStart": "2024-03-01", "value": "12", "source": "crm" },
                { "kpi": "sqls", "granularity": "DAY", "periodStart": "2024-03-01", "value": "3", "source": "crm" },
            ] }),
        )
        .await;
        let (_, token_id) = crate::authorization::issue_token(&app, &org).await;
        app.ok(
            "mutation($i: RevokeIntegrationTokenInput!) { revokeIntegrationToken(input: $i) { id } }",
            json!({ "i": { "id": token_id } }),
        )
        .await;

        wait_for_distinct(&receiver, 3, Duration::from_secs(20)).await;
        // Nothing more may come: the endpoint's deliveries are three, all settled.
        assert_eq!(settled(&app, &endpoint_id).await.len(), 3, "[{backend:?}]");
        receiver.assert_all_verified();
        let got = receiver.accepted();
        assert_eq!(got.len(), 3, "[{backend:?}] each once: {got:#?}");
        let structure = &of_type(&receiver, "structure.changed")[0].body;
        assert_eq!(structure["data"]["operation"], "createUnit");
        assert_eq!(structure["data"]["objectIds"], json!([unit]));
        assert_eq!(structure["data"]["organizationId"], org.as_str());
        let kpis = &of_type(&receiver, "kpi.points_recorded")[0].body;
        assert_eq!(kpis["data"]["kpiKeys"], json!(["mqls", "sqls"]));
        assert_eq!(kpis["data"]["inserted"], 2);
        assert_eq!(kpis["data"]["corrected"], 0);
        let revoked = &of_type(&receiver, "integration_token.revoked")[0].body;
        assert_eq!(revoked["data"]["tokenId"], token_id.as_str());
        assert_eq!(revoked["data"]["name"], "crm-sync");
        for r in &got {
            assert!(r.id.starts_with("msg_"), "{}", r.id);
            assert!(r.body["timestamp"].as_str().unwrap().ends_with('Z'));
            assert_eq!(r.path, "/hooks");
        }
        // Events happened in this order, and a single endpoint got them in it.
        let types: Vec<&str> = got
            .iter()
            .map(|r| r.body["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "structure.changed",
                "kpi.points_recorded",
                "integration_token.revoked"
            ]
        );

        // The delivery log: one successful attempt each, with status, latency and the
        // first bytes of the reply.
        let log = deliveries(&app, &endpoint_id).await;
        assert_eq!(log.len(), 3, "{log:#?}");
        for delivery in &log {
            assert_eq!(delivery["state"], "DELIVERED");
            assert_eq!(delivery["attemptCount"], 1);
            let attempt = &delivery["attempts"][0];
            assert_eq!(attempt["outcome"], "SUCCESS");
            assert_eq!(attempt["statusCode"], 200);
            assert_eq!(attempt["responseExcerpt"], "received");
            assert!(attempt["latencyMs"].as_i64().unwrap() >= 0);
        }
        let metrics = app.get_admin("/metrics").await.text().await.unwrap();
        assert!(
            metrics.contains("orgdesign_webhook_deliveries_total{outcome=\"delivered\"} 3"),
            "{metrics}"
        );
        assert!(
            metrics.contains("orgdesign_webhook_queue_depth"),
            "{metrics}"
        );
        assert!(
            metrics.contains("orgdesign_webhook_oldest_undelivered_age_seconds"),
            "{metrics}"
        );

        // An event of a transaction that rolls back is never sent: a refused change
        // writes no event.
        let refused = app
            .add_line(&unit, &unit, "SOLID", "2024-01-01", None)
            .await;
        assert!(refused["errors"].is_array());
        // The outbox is written in the change's transaction: no delivery was made.
        assert_eq!(settled(&app, &endpoint_id).await.len(), 3, "[{backend:?}]");
        assert_eq!(receiver.accepted().len(), 3, "[{backend:?}]");
    }
}

#[tokio::test]
async fn marketing_made_to_report_to_sales_raises_that_insight_and_ending_it_resolves_it() {
    for backend in backends() {
        let app = spawn_app_with(backend, compressed).await;
        let receiver = Receiver::start().await;
        let org = app.create_org("insightful").await;
        let Trio {
            sales, marketing, ..
        } = app.sales_under_top(&org, "Executive").await;
        // The baseline is taken here: insights already there are not raised.
        let (endpoint_id, _) = endpoint(
            &app,
            &receiver,
            &org,
            &["insight.raised", "insight.resolved"],
        )
        .await;

        let line = app
            .add_line(&marketing, &sales, "SOLID", "2024-01-01", None)
            .await;
        let line_id = line["data"]["addReportingLine"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let raised = marketing_reports_to_sales(&receiver, "insight.raised").await;
        let insight = &raised.body["data"]["insight"];
        assert_eq!(insight["severity"], "WARNING");
        assert!(
            insight["evidence"]
                .as_array()
                .unwrap()
                .contains(&json!(marketing))
        );
        assert!(
            insight["evidence"]
                .as_array()
                .unwrap()
                .contains(&json!(line_id))
        );
        assert!(raised.body["data"]["asOf"].is_string());

        app.ok(
            "mutation($i: DeleteReportingLineInput!) { deleteReportingLine(input: $i) { id } }",
            json!({ "i": { "id": line_id, "version": 1 } }),
        )
        .await;
        let resolved = marketing_reports_to_sales(&receiver, "insight.resolved").await;
        assert_eq!(resolved.body["data"]["insight"], *insight);
        settled(&app, &endpoint_id).await;
        receiver.assert_all_verified();
        let raised_codes: Vec<String> = of_type(&receiver, "insight.raised")
            .iter()
            .map(|r| {
                r.body["data"]["insight"]["code"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            raised_codes
                .iter()
                .filter(|c| *c == "MARKETING_REPORTS_TO_SALES")
                .count(),
            1,
            "raised once: {raised_codes:?}"
        );
        // Insights that were there before the endpoint and did not change are not told.
        assert!(
            !raised_codes.iter().any(|c| c == "PRIORITY_UNASSESSED"),
            "[{backend:?}] {raised_codes:?}"
        );
    }
}

#[tokio::test]
async fn a_receiver_that_fails_three_times_gets_the_event_on_the_fourth_with_growing_intervals() {
    for backend in backends() {
        let app = spawn_app_with(backend, compressed).await;
        let receiver = Receiver::start().await;
        receiver.with(|s| s.fail_first = 3);
        let org = app.create_org("flaky").await;
        let (endpoint_id, _) = endpoint(&app, &receiver, &org, &["structure.changed"]).await;
        app.create_unit(&org, "Marketing", "MARKETING").await;

        wait_for_distinct(&receiver, 1, Duration::from_secs(30)).await;
        receiver.assert_all_verified();
        let all = receiver.received();
        assert_eq!(
            all.len(),
            4,
            "[{backend:?}] three failures and a success: {all:#?}"
        );
        assert!(
            all.iter().all(|r| r.id == all[0].id),
            "one webhook-id throughout"
        );
        assert!(
            all.iter().all(|r| r.raw == all[0].raw),
            "the same body each time"
        );
        assert_eq!(
            all.iter().map(|r| r.status).collect::<Vec<_>>(),
            [500, 500, 500, 200]
        );
        let intervals: Vec<Duration> = all.windows(2).map(|w| w[1].at - w[0].at).collect();
        assert!(
            intervals[0] < intervals[1] && intervals[1] < intervals[2],
            "[{backend:?}] back-off grows: {intervals:?}"
        );
        // Base 300 ms, doubling, ±20%.
        assert!(intervals[0] >= Duration::from_millis(200), "{intervals:?}");

        // The receiver answers before the worker records the outcome: wait for it.
        let log = settled(&app, &endpoint_id).await;
        let attempts = log[0]["attempts"].as_array().unwrap();
        assert_eq!(log[0]["state"], "DELIVERED");
        assert_eq!(
            attempts
                .iter()
                .map(|a| a["outcome"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["HTTP_ERROR", "HTTP_ERROR", "HTTP_ERROR", "SUCCESS"]
        );
        assert_eq!(attempts[0]["statusCode"], 500);
        assert!(
            attempts[0]["error"].as_str().unwrap().contains("500"),
            "{attempts:?}"
        );
    }
}

#[tokio::test]
async fn urls_that_point_at_private_addresses_are_refused_at_creation_and_after_dns() {
    for backend in backends() {
        let app = spawn_app_with(backend, |s| {
            s.webhooks.allow_http = true;
            s.webhooks.poll_interval_ms = 50;
        })
        .await;
        let org = app.create_org("guarded").await;
        for (url, why) in [
            ("http://localhost:9/hook", "localhost"),
            ("https://10.1.2.3/hook", "private"),
            ("https://169.254.169.254/latest/meta-data", "metadata"),
            ("http://[::1]:8080/", "loopback"),
            ("ftp://hooks.example.com/", "https"),
        ] {
            let error = app
                .error(
                    CREATE,
                    json!({ "i": { "organizationId": org, "url": url, "events": ["structure.changed"] } }),
                )
                .await;
            assert_eq!(code(&error), "BAD_USER_INPUT", "{url}: {error}");
            assert_eq!(field(&error), "input.url", "{url}: {error}");
            assert!(
                error["message"].as_str().unwrap().contains(why),
                "{url}: {error}"
            );
        }
        let unknown = app
            .error(
                CREATE,
                json!({ "i": { "organizationId": org, "url": "https://hooks.example.com/", "events": ["structure.changes"] } }),
            )
            .await;
        assert_eq!(field(&unknown), "input.events[0]", "{unknown}");

        // A host that resolves to a private address once the endpoint exists (its row
        // is changed underneath, as DNS would change): the worker refuses after
        // resolving it, and says so in the log.
        let receiver = Receiver::start().await;
        let port = receiver.url.rsplit(':').next().unwrap().to_owned();
        let endpoint_id = app
            .ok(
                CREATE,
                json!({ "i": { "organizationId": org, "url": "https://hooks.example.com/hook", "events": ["structure.changed"] } }),
            )
            .await["createWebhookEndpoint"]["endpoint"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let private = format!("http://localhost:{port}/hook");
        point_underneath(&app, &endpoint_id, &private).await;
        app.create_unit(&org, "Marketing", "MARKETING").await;
        let log = wait_for("a refused attempt", Duration::from_secs(20), || async {
            let log = deliveries(&app, &endpoint_id).await;
            log.first()
                .filter(|d| d["attemptCount"].as_i64() >= Some(1))
                .cloned()
        })
        .await;
        let attempt = &log["attempts"][0];
        assert_eq!(attempt["outcome"], "REFUSED", "[{backend:?}] {log:#}");
        let error = attempt["error"].as_str().unwrap();
        assert!(
            error.contains("localhost resolves to") && error.contains("loopback"),
            "{error}"
        );
        assert!(
            receiver.received().is_empty(),
            "nothing reached the receiver"
        );
    }
}

/// Points an endpoint at `url` straight in the database, past the API's checks, as a
/// change of what its host resolves to would.
async fn point_underneath(app: &TestApp, endpoint: &str, url: &str) {
    use entity::webhook_endpoint::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let changed = Entity::update_many()
        .col_expr(Column::Url, Expr::value(url))
        .filter(Column::Id.eq(endpoint.parse::<uuid::Uuid>().unwrap()))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(changed.rows_affected, 1);
}

#[tokio::test]
async fn ping_redelivery_rotation_and_an_endpoint_disabled_after_failing_too_long() {
    for backend in backends() {
        let app = spawn_app_with(backend, |s| {
            compressed(s);
            s.webhooks.retry_base_ms = 100;
            s.webhooks.disable_after_secs = 1;
        })
        .await;
        let receiver = Receiver::start().await;
        let org = app.create_org("pinged").await;
        let (endpoint_id, old_secret) =
            endpoint(&app, &receiver, &org, &["structure.changed"]).await;

        // Ping: sent at once, answered with the delivery and its attempt.
        let ping = app
            .ok(
                "mutation($id: ID!) { pingWebhookEndpoint(id: $id) { eventType state webhookId attempts { outcome statusCode } } }",
                json!({ "id": endpoint_id }),
            )
            .await["pingWebhookEndpoint"]
            .clone();
        assert_eq!(ping["eventType"], "webhook.ping");
        assert_eq!(ping["state"], "DELIVERED");
        assert_eq!(ping["attempts"][0]["statusCode"], 200);
        let pinged = of_type(&receiver, "webhook.ping");
        assert_eq!(pinged.len(), 1);
        assert_eq!(pinged[0].id, ping["webhookId"].as_str().unwrap());
        assert_eq!(pinged[0].body["data"]["endpointId"], endpoint_id.as_str());

        // Rotation with an overlap: both secrets sign until it ends.
        let rotated = app
            .ok(
                "mutation($i: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $i) { secret endpoint { previousSecretExpiresAt version } } }",
                json!({ "i": { "id": endpoint_id, "overlapSeconds": 3600 } }),
            )
            .await["rotateWebhookSecret"]
            .clone();
        let new_secret = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(new_secret, old_secret);
        assert!(rotated["endpoint"]["previousSecretExpiresAt"].is_string());
        let new_index = receiver.add_secret(&new_secret);
        app.create_unit(&org, "Marketing", "MARKETING").await;
        let after_rotation = wait_for(
            "the event after the rotation",
            Duration::from_secs(20),
            || async { of_type(&receiver, "structure.changed").into_iter().next() },
        )
        .await;
        assert_eq!(
            after_rotation.signed_by,
            vec![0, new_index],
            "both secrets sign"
        );

        // Redelivery: the same event again, the same webhook-id.
        let log = deliveries(&app, &endpoint_id).await;
        let original = log
            .iter()
            .find(|d| d["eventType"] == "structure.changed")
            .unwrap();
        let again = app
            .ok(
                "mutation($d: ID!) { redeliverWebhook(deliveryId: $d) { id redeliveryOf webhookId state } }",
                json!({ "d": original["id"] }),
            )
            .await["redeliverWebhook"]
            .clone();
        assert_eq!(again["redeliveryOf"], original["id"]);
        assert_eq!(again["webhookId"], original["webhookId"]);
        wait_for("the redelivery", Duration::from_secs(20), || async {
            (of_type(&receiver, "structure.changed").len() == 2).then_some(())
        })
        .await;
        let both = of_type(&receiver, "structure.changed");
        assert_eq!(both[0].id, both[1].id);
        assert_eq!(both[0].raw, both[1].raw);

        // A receiver that fails every attempt for longer than disable_after (1 s here)
        // gets its endpoint disabled, and the admins see why.
        receiver.with(|s| s.always_fail = true);
        app.create_unit(&org, "Sales", "SALES").await;
        let disabled = wait_for("the endpoint to be disabled", Duration::from_secs(30), || async {
            let endpoints = app
                .ok(
                    "query($o: ID!) { webhookEndpoints(organizationId: $o) { edges { node { id enabled disabledReason failingSince version } } } }",
                    json!({ "o": org }),
                )
                .await;
            let node = endpoints["webhookEndpoints"]["edges"][0]["node"].clone();
            (node["enabled"] == false).then_some(node)
        })
        .await;
        let reason = disabled["disabledReason"].as_str().unwrap();
        assert!(
            reason.contains("every delivery attempt has failed since") && reason.contains("500"),
            "[{backend:?}] {reason}"
        );
        let log = deliveries(&app, &endpoint_id).await;
        let failed = log.iter().find(|d| d["state"] == "FAILED").unwrap();
        assert!(failed["attemptCount"].as_i64().unwrap() >= 2, "{failed:#}");
        // Disabled, nothing more is sent; enabling it again clears the reason.
        let redeliver_disabled = app
            .error(
                "mutation($d: ID!) { redeliverWebhook(deliveryId: $d) { id } }",
                json!({ "d": failed["id"] }),
            )
            .await;
        assert_eq!(code(&redeliver_disabled), "CONFLICT");
        let enabled = app
            .ok(
                "mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { enabled disabledReason failingSince } }",
                json!({ "i": { "id": endpoint_id, "version": disabled["version"], "enabled": true } }),
            )
            .await;
        assert_eq!(
            enabled["updateWebhookEndpoint"],
            json!({ "enabled": true, "disabledReason": null, "failingSince": null })
        );
        receiver.assert_all_verified();
    }
}

/// Creates `count` units in `org` through a process, 25 per request: one
/// `structure.changed` event each.
async fn create_units(address: &str, token: &str, org: &str, prefix: &str, count: usize) {
    let client = reqwest::Client::new();
    for chunk in 0..count.div_ceil(25) {
        let fields: Vec<String> = (0..25.min(count - chunk * 25))
            .map(|i| {
                format!(
                    "u{i}: createUnit(input: {{ organizationId: \"{org}\", name: \"{prefix} {}\", function: MARKETING }}) {{ id }}",
                    chunk * 25 + i
                )
            })
            .collect();
        let query = format!("mutation {{ {} }}", fields.join(" "));
        let body = post_graphql(&client, address, Some(token), &json!({ "query": query })).await;
        assert!(body.get("errors").is_none(), "{body}");
    }
}

async fn process_graphql(address: &str, token: &str, query: &str, variables: Value) -> Value {
    let body: Value = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send_json()
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

/// Creates an organization and an endpoint to `receiver` at `path` through a process.
async fn org_with_endpoint(
    address: &str,
    token: &str,
    receiver: &Receiver,
    slug: &str,
    path: &str,
) -> String {
    let org = process_graphql(
        address,
        token,
        "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }",
        json!({ "i": { "slug": slug, "name": slug } }),
    )
    .await["createOrganization"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = process_graphql(
        address,
        token,
        CREATE,
        json!({ "i": { "organizationId": org, "url": format!("{}{path}", receiver.url), "events": ["structure.changed"] } }),
    )
    .await;
    receiver.add_secret(created["createWebhookEndpoint"]["secret"].as_str().unwrap());
    org
}

/// Every message arrived whole: duplicates carry the same webhook-id and the same body.
fn assert_duplicates_identical(receiver: &Receiver) -> usize {
    let mut bodies: HashMap<(String, String), String> = HashMap::new();
    let mut duplicates = 0;
    for r in receiver.accepted() {
        match bodies.get(&(r.path.clone(), r.id.clone())) {
            Some(body) => {
                assert_eq!(*body, r.raw, "a duplicate of {} differs", r.id);
                duplicates += 1;
            }
            None => {
                bodies.insert((r.path.clone(), r.id.clone()), r.raw.clone());
            }
        }
    }
    duplicates
}

#[tokio::test]
async fn a_thousand_events_queued_when_the_server_is_killed_are_all_delivered_after_a_restart() {
    for backend in backends() {
        let (database_url, temp_dir) = fresh_database(backend).await;
        let receiver = Receiver::start().await;
        // A slow receiver, so the queue builds up behind it.
        receiver.with(|s| s.delay = Duration::from_millis(25));
        let mut first = ServerProcess::start_with_env(&database_url, &PROCESS_ENV);
        let token = first.admin_token();
        let org = org_with_endpoint(&first.address, &token, &receiver, "killed", "/hooks").await;
        create_units(&first.address, &token, &org, "Unit", 1_000).await;
        let before = receiver.distinct();
        assert!(
            before < 1_000,
            "[{backend:?}] the queue was still full: {before}"
        );
        first.kill();
        let at_kill = receiver.distinct();

        receiver.with(|s| s.delay = Duration::ZERO);
        let _second = ServerProcess::start_with_env(&database_url, &PROCESS_ENV);
        wait_for_distinct(&receiver, 1_000, Duration::from_secs(180)).await;
        receiver.assert_all_verified();
        let duplicates = assert_duplicates_identical(&receiver);
        let units: HashSet<String> = receiver
            .accepted()
            .iter()
            .map(|r| r.body["data"]["objectIds"][0].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(units.len(), 1_000, "every unit's event arrived");
        eprintln!(
            "[{backend:?}] {at_kill} delivered before the kill, {} after; {duplicates} duplicates",
            1_000 - at_kill
        );
        if let Some(dir) = temp_dir {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

#[cfg_attr(
    not(test_postgres),
    ignore = "needs PostgreSQL: set ORGDESIGN_TEST_POSTGRES_URL"
)]
#[tokio::test]
async fn two_processes_on_one_postgres_database_never_send_one_delivery_at_the_same_time() {
    require_postgres("two processes share the webhook work only on PostgreSQL");
    let (database_url, _) = fresh_database(Backend::Postgres).await;
    let receiver = Receiver::start().await;
    // Each request lingers, so that two senders of one delivery would overlap.
    receiver.with(|s| s.delay = Duration::from_millis(3));
    let a = ServerProcess::start_with_env(&database_url, &PROCESS_ENV);
    let b = ServerProcess::start_with_env(&database_url, &PROCESS_ENV);
    let token = a.admin_token();
    let mut orgs = Vec::new();
    for n in 0..4 {
        let via = if n % 2 == 0 { &a } else { &b };
        orgs.push(
            org_with_endpoint(
                &via.address,
                &token,
                &receiver,
                &format!("shared-{n}"),
                &format!("/hooks/{n}"),
            )
            .await,
        );
    }
    let mut writers = Vec::new();
    for (n, org) in orgs.iter().enumerate() {
        let address = if n % 2 == 0 {
            a.address.clone()
        } else {
            b.address.clone()
        };
        let (token, org) = (token.clone(), org.clone());
        writers.push(tokio::spawn(async move {
            create_units(&address, &token, &org, "Unit", 250).await;
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    wait_for_distinct(&receiver, 1_000, Duration::from_secs(180)).await;
    receiver.assert_all_verified();
    let overlaps = receiver.with(|s| s.overlaps.clone());
    assert!(
        overlaps.is_empty(),
        "deliveries sent by two senders at once: {overlaps:?}"
    );
    let duplicates = assert_duplicates_identical(&receiver);
    assert_eq!(
        duplicates, 0,
        "no process crashed, so nothing was sent twice"
    );
    let paths: HashSet<String> = receiver.accepted().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths.len(), 4);
}

#[tokio::test]
async fn an_ordered_endpoint_never_gets_a_later_event_before_an_earlier_one_succeeded() {
    for backend in backends() {
        let app = spawn_app_with(backend, |s| {
            compressed(s);
            s.webhooks.retry_base_ms = 200;
        })
        .await;
        let receiver = Receiver::start().await;
        receiver.with(|s| s.fail_first = 2);
        let org = app.create_org("ordered").await;
        let data = app
            .ok(
                CREATE,
                json!({ "i": { "organizationId": org, "url": format!("{}/hooks", receiver.url), "events": ["structure.changed"], "ordered": true } }),
            )
            .await;
        assert_eq!(
            data["createWebhookEndpoint"]["endpoint"]["events"],
            json!(["structure.changed"])
        );
        receiver.add_secret(data["createWebhookEndpoint"]["secret"].as_str().unwrap());
        for name in ["First", "Second", "Third"] {
            app.create_unit(&org, name, "MARKETING").await;
        }
        wait_for_distinct(&receiver, 3, Duration::from_secs(30)).await;
        receiver.assert_all_verified();
        // Every request for a later event comes after the earlier one was accepted.
        let all = receiver.received();
        let mut order: Vec<String> = Vec::new();
        for r in &all {
            if !order.contains(&r.id) {
                if let Some(previous) = order.last() {
                    let accepted = all
                        .iter()
                        .position(|x| x.id == *previous && x.status == 200)
                        .unwrap();
                    let first_try = all.iter().position(|x| x.id == r.id).unwrap();
                    assert!(
                        accepted < first_try,
                        "[{backend:?}] {} was tried before {previous} was delivered",
                        r.id
                    );
                }
                order.push(r.id.clone());
            }
        }
        let units: Vec<String> = receiver
            .accepted()
            .iter()
            .map(|r| r.body["data"]["objectIds"][0].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(units.len(), 3, "each unit once: {units:?}");
        assert_eq!(all.len(), 9, "each tried three times: {all:#?}");
    }
}

#[tokio::test]
async fn a_promoted_scenario_arrives_once_as_scenario_promoted_beside_its_structure_changes() {
    for backend in backends() {
        let app = spawn_app_with(backend, compressed).await;
        let receiver = Receiver::start().await;
        let org = app.create_org("promoted-hook").await;
        let Trio {
            top: ceo,
            sales,
            marketing,
        } = app.marketing_under_sales(&org, "CEO office").await;
        let (endpoint_id, _) = endpoint(
            &app,
            &receiver,
            &org,
            &[
                "scenario.promoted",
                "structure.changed",
                "structure.scheduled",
            ],
        )
        .await;
        let draft = app
            .ok(
                "mutation($i: CreateScenarioInput!) { createScenario(input: $i) { id version } }",
                json!({ "i": { "organizationId": org, "name": "Out of sales", "effectiveFrom": "2030-01-01" } }),
            )
            .await["createScenario"]
            .clone();
        let added = app
            .ok(
                "mutation($i: AddScenarioChangesInput!) { addScenarioChanges(input: $i) { version } }",
                json!({ "i": { "scenarioId": draft["id"], "version": draft["version"], "changes": [
                    { "moveUnit": { "unitId": marketing, "superiorUnitId": ceo } },
                    { "addDottedLine": { "unitId": marketing, "superiorUnitId": sales } } ] } }),
            )
            .await["addScenarioChanges"]
            .clone();
        app.ok(
            "mutation($i: ScenarioVersionInput!) { promoteScenario(input: $i) { status } }",
            json!({ "i": { "scenarioId": draft["id"], "version": added["version"] } }),
        )
        .await;
        // The promotion, dated 2030: one scenario.promoted, a structure.changed for the
        // promotion itself, and a structure.scheduled per change.
        wait_for_distinct(&receiver, 4, Duration::from_secs(20)).await;
        settled(&app, &endpoint_id).await;
        receiver.assert_all_verified();
        let promoted = of_type(&receiver, "scenario.promoted");
        assert_eq!(
            promoted.len(),
            1,
            "[{backend:?}] {:#?}",
            receiver.accepted()
        );
        let data = &promoted[0].body["data"];
        assert_eq!(data["scenarioId"], draft["id"]);
        assert_eq!(data["changes"], 2);
        assert_eq!(data["effectiveFrom"], "2030-01-01");
        let operations = |kind: &str| -> Vec<String> {
            of_type(&receiver, kind)
                .iter()
                .map(|r| r.body["data"]["operation"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            operations("structure.scheduled"),
            ["replaceReportingLine", "addReportingLine"],
            "[{backend:?}]"
        );
        assert_eq!(
            operations("structure.changed"),
            ["promoteScenario"],
            "[{backend:?}]"
        );
        // On 2030-01-01 the changes take effect: each announced once, in order.
        let store = orgdesign_domain::store::Store::new(
            sea_orm::Database::connect(&app.database_url).await.unwrap(),
        );
        let day = "2030-01-01".parse().unwrap();
        assert_eq!(
            orgdesign_domain::scheduled::announce_due(&store, &store.db, day)
                .await
                .unwrap(),
            2
        );
        wait_for_distinct(&receiver, 6, Duration::from_secs(20)).await;
        settled(&app, &endpoint_id).await;
        assert_eq!(
            operations("structure.changed"),
            [
                "promoteScenario",
                "replaceReportingLine",
                "addReportingLine"
            ],
            "[{backend:?}]"
        );
    }
}

/// A receiver that answers `200` with a `Content-Length` of 10 MB, sends 256 KiB of it
/// and then holds the connection without sending more.
async fn endless_replier() -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(0));
    let counted = requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                // The request (its head and small body arrive together here).
                let _ = stream.read(&mut buffer).await;
                *counted.lock().unwrap() += 1;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 10000000\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'x'; 16 * 1024];
                for _ in 0..16 {
                    if stream.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    (url, requests)
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_a_long_reply_is_read_only_up_to_its_bound() {
    for backend in backends() {
        let app = spawn_app_with(backend, |s| {
            compressed(s);
            s.webhooks.timeout_ms = 1_500;
            s.webhooks.max_response_bytes = 32 * 1024;
        })
        .await;
        // A receiver slower than the time limit: the attempt is a TIMEOUT, retried, and
        // delivered once the receiver is quick again.
        let receiver = Receiver::start().await;
        receiver.with(|s| s.delay = Duration::from_millis(4_000));
        let org = app.create_org("slow-hooks").await;
        let (slow, _) = endpoint(&app, &receiver, &org, &["structure.changed"]).await;
        app.create_unit(&org, "Marketing", "MARKETING").await;
        let first = delivery_where(&app, &slow, "a timed-out attempt", |d| {
            d["attempts"][0]["outcome"] == "TIMEOUT"
        })
        .await;
        let attempt = &first["attempts"][0];
        let latency = attempt["latencyMs"].as_i64().unwrap();
        assert!((1_500..4_000).contains(&latency), "[{backend:?}] {first:#}");
        receiver.with(|s| s.delay = Duration::ZERO);
        delivery_where(&app, &slow, "the retry delivered", |d| {
            d["state"] == "DELIVERED"
        })
        .await;

        // A receiver whose reply never ends: success on its 2xx, the log keeps the
        // first 1 KiB, and the worker does not wait for the rest.
        let (url, requests) = endless_replier().await;
        let created = app
            .ok(
                CREATE,
                json!({ "i": { "organizationId": org, "url": format!("{url}/hooks"), "events": ["structure.changed"] } }),
            )
            .await;
        let long = created["createWebhookEndpoint"]["endpoint"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.create_unit(&org, "Sales", "SALES").await;
        let delivered = delivery_where(&app, &long, "the long reply's delivery", |d| {
            d["state"] == "DELIVERED"
        })
        .await;
        let attempt = &delivered["attempts"][0];
        assert_eq!(attempt["outcome"], "SUCCESS", "[{backend:?}] {delivered:#}");
        assert_eq!(attempt["statusCode"], 200);
        let excerpt = attempt["responseExcerpt"].as_str().unwrap();
        assert_eq!(excerpt.len(), 1_024, "[{backend:?}]");
        assert!(excerpt.bytes().all(|b| b == b'x'));
        // Read up to the bound, not until the time limit.
        assert!(
            attempt["latencyMs"].as_i64().unwrap() < 1_500,
            "[{backend:?}] {delivered:#}"
        );
        assert!(*requests.lock().unwrap() >= 1);
    }
}

#[tokio::test]
async fn the_daily_evaluation_tells_an_insight_no_announced_change_raised() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    for backend in backends() {
        let app = spawn_app_with(backend, compressed).await;
        let receiver = Receiver::start().await;
        let org = app.create_org("daily-watch").await;
        let Trio {
            top: executive,
            sales,
            marketing,
        } = app.sales_under_top(&org, "Executive").await;
        app.add_line(&marketing, &executive, "SOLID", "2024-01-01", None)
            .await;
        endpoint(
            &app,
            &receiver,
            &org,
            &["insight.raised", "insight.resolved"],
        )
        .await;
        // What a day's passing can change without any write to announce it (a KPI
        // going stale, a line starting on a date): here, a line written straight to
        // the table, which no service announced.
        let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
        let org_id = uuid::Uuid::parse_str(&org).unwrap();
        let sales_id = uuid::Uuid::parse_str(&sales).unwrap();
        let marketing_id = uuid::Uuid::parse_str(&marketing).unwrap();
        let lines = entity::reporting_line::Entity::find()
            .all(&db)
            .await
            .unwrap();
        let current = lines
            .into_iter()
            .find(|l| l.unit_id == marketing_id)
            .unwrap();
        let mut ended: entity::reporting_line::ActiveModel = current.into();
        ended.effective_to = Set(Some(chrono::NaiveDate::from_ymd_opt(2024, 6, 1).unwrap()));
        ended.update(&db).await.unwrap();
        let now = chrono::Utc::now();
        entity::reporting_line::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            organization_id: Set(org_id),
            unit_id: Set(marketing_id),
            superior_unit_id: Set(sales_id),
            kind: Set("SOLID".to_owned()),
            effective_from: Set(chrono::NaiveDate::from_ymd_opt(2024, 6, 1).unwrap()),
            effective_to: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
        .insert(&db)
        .await
        .unwrap();
        // Nothing is told until the daily evaluation is due... A worker's decision not
        // to act leaves no trace to await, so this waits out several of its polls.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            of_type(&receiver, "insight.raised").is_empty(),
            "[{backend:?}]"
        );
        // ...and when it is (midnight, brought forward here), the new risk is raised.
        let watch = entity::webhook_insight_watch::Entity::find_by_id(org_id)
            .one(&db)
            .await
            .unwrap()
            .expect("the organization is watched once an endpoint wants insight events");
        let mut due: entity::webhook_insight_watch::ActiveModel = watch.into();
        due.due_at = Set(now - chrono::Duration::seconds(1));
        due.update(&db).await.unwrap();
        let raised = marketing_reports_to_sales(&receiver, "insight.raised").await;
        assert!(raised.body["data"]["asOf"].is_string());
        receiver.assert_all_verified();
    }
}
