//! The `webhooks` section of the OpenAPI document (OpenAPI 3.1): one entry per event
//! type the server sends to webhook endpoints ([`EventType::ALL`] and the ping), each a
//! `POST` with the Standard Webhooks headers and the event's JSON body.
//!
//! utoipa 5 has no `webhooks`, so [`add`] writes the section into the document as JSON,
//! and [`Payloads`] puts the bodies' schemas among its components. The bodies are built
//! in the domain as JSON (`webhooks::outbox::body`, its `data` at each `enqueue`), not
//! from Rust types this module could derive from: the structs below describe them, a
//! new [`EventType`] does not compile until [`payload`] names its body, and the tests
//! hold the envelope and each `data` to what the domain writes.

use chrono::{DateTime, NaiveDate, Utc};
use orgdesign_domain::webhooks::{EventType, event::PING};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

/// A change of the structure (`structure.changed`, `structure.scheduled`).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct StructureChangeData {
    pub organization_id: Uuid,
    /// The operation, e.g. `addReportingLine`.
    pub operation: String,
    /// The units, positions or lines it changed.
    pub object_ids: Vec<Uuid>,
    /// The day the change takes (or took) effect.
    pub effective_on: NaiveDate,
}

/// A push that inserted or corrected KPI points (`kpi.points_recorded`).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct KpiPointsRecordedData {
    pub organization_id: Uuid,
    /// The KPI keys of the push, sorted, each once.
    pub kpi_keys: Vec<String>,
    pub inserted: u64,
    pub corrected: u64,
}

/// A scenario promoted into the structure (`scenario.promoted`).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ScenarioPromotedData {
    pub organization_id: Uuid,
    pub scenario_id: Uuid,
    pub name: String,
    pub effective_from: NaiveDate,
    /// How many changes it made.
    pub changes: u64,
}

/// How much an insight matters.
#[derive(ToSchema)]
#[allow(dead_code, clippy::upper_case_acronyms)]
pub enum InsightSeverity {
    INFO,
    WARNING,
    CRITICAL,
}

/// An insight, as `Insight` in GraphQL.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct WebhookInsight {
    /// Its stable code, e.g. `MARKETING_REPORTS_TO_SALES`.
    pub code: String,
    pub severity: InsightSeverity,
    pub title: String,
    pub explanation: String,
    pub recommendation: String,
    /// The ids of the units, positions and lines it rests on.
    pub evidence: Vec<Uuid>,
}

/// An insight that appeared (`insight.raised`) or is gone (`insight.resolved`, as it
/// was raised).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct InsightData {
    pub organization_id: Uuid,
    /// The day evaluated.
    pub as_of: NaiveDate,
    pub insight: WebhookInsight,
}

/// An integration token revoked (`integration_token.revoked`).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct IntegrationTokenRevokedData {
    pub organization_id: Uuid,
    pub token_id: Uuid,
    pub name: String,
    pub revoked_at: DateTime<Utc>,
}

/// A test ping (`webhook.ping`, from `pingWebhookEndpoint`).
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PingData {
    pub organization_id: Uuid,
    pub endpoint_id: Uuid,
}

/// The schema name of each event type's `data`, and what the event tells. Exhaustive:
/// a new event type is a compile error here until it is described.
fn payload(event: EventType) -> (&'static str, &'static str) {
    match event {
        EventType::StructureChanged => (
            "StructureChangeData",
            "A change of the organization, a unit, a position or a reporting line took effect: when it was made, for a change dated today or earlier; on its day, for one dated later.",
        ),
        EventType::StructureScheduled => (
            "StructureChangeData",
            "A change dated after today was made; its `structure.changed` follows on that day.",
        ),
        EventType::KpiPointsRecorded => (
            "KpiPointsRecordedData",
            "A push (GraphQL, REST or `import-kpis`) inserted or corrected points; one that changed nothing sends nothing.",
        ),
        EventType::ScenarioPromoted => (
            "ScenarioPromotedData",
            "A scenario was promoted into the organization's structure.",
        ),
        EventType::InsightRaised => (
            "InsightData",
            "An insight appeared that was not there at the last evaluation.",
        ),
        EventType::InsightResolved => (
            "InsightData",
            "An insight of the last evaluation is gone (`insight` as it was raised).",
        ),
        EventType::IntegrationTokenRevoked => (
            "IntegrationTokenRevokedData",
            "An integration token was revoked.",
        ),
    }
}

/// Puts the bodies' `data` schemas among the document's components.
pub struct Payloads;

impl utoipa::Modify for Payloads {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::PartialSchema;
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut add = |name: &str, schema| {
            components.schemas.insert(name.to_owned(), schema);
        };
        add("StructureChangeData", StructureChangeData::schema());
        add("KpiPointsRecordedData", KpiPointsRecordedData::schema());
        add("ScenarioPromotedData", ScenarioPromotedData::schema());
        add("InsightSeverity", InsightSeverity::schema());
        add("WebhookInsight", WebhookInsight::schema());
        add("InsightData", InsightData::schema());
        add(
            "IntegrationTokenRevokedData",
            IntegrationTokenRevokedData::schema(),
        );
        add("PingData", PingData::schema());
    }
}

/// `structure.changed` as an operation id: `structureChangedWebhook`.
fn operation_id(name: &str) -> String {
    let mut id = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    id + "Webhook"
}

/// The `POST` a receiver gets for events of type `name` whose `data` is `data_schema`.
fn delivery(name: &str, data_schema: &str, description: &str) -> Value {
    let header = |name: &str, description: &str| {
        json!({
            "name": name,
            "in": "header",
            "required": true,
            "description": description,
            "schema": { "type": "string" },
        })
    };
    json!({
        "post": {
            "operationId": operation_id(name),
            "summary": format!("The `{name}` event"),
            "description": format!(
                "{description} Sent to every enabled endpoint of the organization that asked for `{name}`, signed per Standard Webhooks; \
                 retried with back-off for up to 24 hours until the receiver answers 2xx within 10 seconds (redirects are not followed)."
            ),
            "tags": ["webhooks"],
            "parameters": [
                header("webhook-id", "`msg_` and the event's id: the same for every attempt and redelivery, so a receiver can drop duplicates"),
                header("webhook-timestamp", "The attempt's time, in seconds since the Unix epoch"),
                header("webhook-signature", "`v1,` and the base64 of HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64-decoded secret after `whsec_`; two, space-separated, while a rotated secret overlaps"),
            ],
            "requestBody": {
                "required": true,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["type", "timestamp", "data"],
                            "additionalProperties": false,
                            "properties": {
                                "type": { "type": "string", "const": name },
                                "timestamp": {
                                    "type": "string",
                                    "format": "date-time",
                                    "description": "When the event happened, RFC 3339 in UTC with milliseconds",
                                },
                                "data": { "$ref": format!("#/components/schemas/{data_schema}") },
                            },
                        },
                    },
                },
            },
            "responses": {
                "2XX": { "description": "Received; any other answer (or none within 10 seconds) is retried" },
            },
            "security": [],
        }
    })
}

/// Writes the `webhooks` section and its tag into `document`, the document as JSON.
pub fn add(document: &mut Value) {
    let mut webhooks = serde_json::Map::new();
    for event in EventType::ALL {
        let (schema, description) = payload(event);
        webhooks.insert(
            event.as_str().to_owned(),
            delivery(event.as_str(), schema, description),
        );
    }
    webhooks.insert(
        PING.to_owned(),
        delivery(
            PING,
            "PingData",
            "A test ping, sent to one endpoint when `pingWebhookEndpoint` asks (never subscribed to).",
        ),
    );
    if let Some(object) = document.as_object_mut() {
        object.insert("webhooks".to_owned(), Value::Object(webhooks));
        if let Some(Value::Array(tags)) = object.get_mut("tags") {
            tags.push(json!({
                "name": "webhooks",
                "description": "The events the server POSTs to webhook endpoints (managed over GraphQL: createWebhookEndpoint)",
            }));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use orgdesign_domain::webhooks::outbox;

    use super::*;

    fn document() -> Value {
        serde_json::from_str(&crate::rest::openapi_json()).unwrap()
    }

    #[test]
    fn every_event_type_and_the_ping_is_a_webhook_of_the_document() {
        let document = document();
        let webhooks = document["webhooks"].as_object().unwrap();
        let mut names: Vec<&str> = EventType::ALL.iter().map(|e| e.as_str()).collect();
        names.push(PING);
        assert_eq!(
            webhooks.keys().map(String::as_str).collect::<Vec<_>>(),
            names
        );
        for (name, item) in webhooks {
            let schema = &item["post"]["requestBody"]["content"]["application/json"]["schema"];
            let data = schema["properties"]["data"]["$ref"].as_str().unwrap();
            let data = data.trim_start_matches("#/components/schemas/");
            assert!(
                document["components"]["schemas"][data].is_object(),
                "{name}: no schema {data}"
            );
        }
    }

    #[test]
    fn the_envelope_is_what_the_outbox_writes() {
        let organization = Uuid::now_v7();
        let body: Value = serde_json::from_str(&outbox::body(
            "structure.changed",
            Utc::now(),
            organization,
            json!({ "operation": "createUnit", "objectIds": [], "effectiveOn": "2026-01-01" }),
        ))
        .unwrap();
        let document = document();
        let schema = &document["webhooks"]["structure.changed"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"];
        let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        keys.sort();
        let mut declared: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        declared.sort();
        assert_eq!(keys, declared);
        let data = &document["components"]["schemas"]["StructureChangeData"]["properties"];
        for key in body["data"].as_object().unwrap().keys() {
            assert!(data.get(key).is_some(), "data.{key} is not in the document");
        }
    }
}
