//! The transactional outbox: the events a change writes into its own transaction, so
//! a committed change always has its events and a rolled-back one never does.
//!
//! Services call [`enqueue`] inside their write transaction, before the commit; the
//! delivery worker (`webhooks::worker`) sends what was committed.

use chrono::{DateTime, SecondsFormat, Utc};
use entity::{webhook_delivery, webhook_endpoint, webhook_event, webhook_insight_watch};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{clock, error::Result, webhooks::event::EventType};

/// A delivery waiting for its first or next attempt.
pub const PENDING: &str = "PENDING";
/// A delivery a receiver accepted (answered 2xx).
pub const DELIVERED: &str = "DELIVERED";
/// A delivery given up: its retries ran out, its endpoint was disabled, or a ping
/// that failed.
pub const FAILED: &str = "FAILED";

/// Writes an event of `organization_id` into the outbox inside `tx`, the caller's
/// write transaction (before its commit): one delivery for each enabled endpoint of
/// the organization that asked for `event`. Nothing is written when none did.
///
/// `data` is the body's `data` (an object; `organizationId` is added when it lacks
/// one). Events that may change the organization's insights
/// ([`EventType::may_change_insights`]) also mark them for evaluation
/// ([`insights_may_have_changed`]). The caller holds the organization's lock, which
/// orders its events (the order an endpoint receives them in).
///
/// Scenario promotion calls this with [`EventType::ScenarioPromoted`] after it merged
/// the scenario, in the same transaction.
pub async fn enqueue<C: ConnectionTrait>(
    tx: &C,
    organization_id: Uuid,
    event: EventType,
    data: Value,
) -> Result<()> {
    write(
        tx,
        organization_id,
        event.as_str(),
        data,
        clock::now(),
        None,
    )
    .await?;
    if event.may_change_insights() {
        insights_may_have_changed(tx, organization_id).await?;
    }
    Ok(())
}

/// Marks the organization's insights for evaluation by the delivery worker, when an
/// endpoint of it listens to `insight.raised` or `insight.resolved` (otherwise there
/// is nothing to mark and nothing is written). [`crate::write::Write::commit`] calls it,
/// inside the change's transaction, for operations that may raise or resolve insights
/// without an event of their own ([`crate::audit::Operation::may_change_insights`]:
/// stage declarations, priority assessments, stakeholders, relationships and their
/// reviews). [`enqueue`] calls it for structure changes.
pub async fn insights_may_have_changed<C: ConnectionTrait>(
    tx: &C,
    organization_id: Uuid,
) -> Result<()> {
    let now = clock::now();
    webhook_insight_watch::Entity::update_many()
        .col_expr(webhook_insight_watch::Column::DueAt, Expr::value(now))
        .filter(webhook_insight_watch::Column::OrganizationId.eq(organization_id))
        .filter(webhook_insight_watch::Column::DueAt.gt(now))
        .exec(tx)
        .await?;
    Ok(())
}

/// The body every delivery of an event sends: `type`, `timestamp` (the event's time,
/// RFC 3339 in UTC) and `data`.
pub fn body(event_type: &str, at: DateTime<Utc>, organization_id: Uuid, data: Value) -> String {
    let data = match data {
        Value::Object(mut object) => {
            object
                .entry("organizationId")
                .or_insert_with(|| json!(organization_id));
            Value::Object(object)
        }
        Value::Null => json!({ "organizationId": organization_id }),
        other => json!({ "organizationId": organization_id, "value": other }),
    };
    json!({
        "type": event_type,
        "timestamp": at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string()
}

/// Whether an endpoint's stored `events` list names `event_type`.
pub fn wants(endpoint: &webhook_endpoint::Model, event_type: &str) -> bool {
    endpoint
        .events
        .as_array()
        .is_some_and(|events| events.iter().any(|e| e.as_str() == Some(event_type)))
}

/// Writes the event and its deliveries: to every enabled endpoint of the organization
/// that wants it, or to `only` (whatever it wants). Returns the event's id, or `None`
/// when no endpoint gets it (and nothing was written).
pub(crate) async fn write<C: ConnectionTrait>(
    tx: &C,
    organization_id: Uuid,
    event_type: &str,
    data: Value,
    at: DateTime<Utc>,
    only: Option<&webhook_endpoint::Model>,
) -> Result<Option<Uuid>> {
    let endpoints: Vec<Uuid> = match only {
        Some(endpoint) => vec![endpoint.id],
        None => webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::OrganizationId.eq(organization_id))
            .filter(webhook_endpoint::Column::Enabled.eq(true))
            .all(tx)
            .await?
            .into_iter()
            .filter(|endpoint| wants(endpoint, event_type))
            .map(|endpoint| endpoint.id)
            .collect(),
    };
    if endpoints.is_empty() {
        return Ok(None);
    }
    let event_id = Uuid::now_v7();
    webhook_event::Entity::insert(webhook_event::ActiveModel {
        id: Set(event_id),
        organization_id: Set(organization_id),
        event_type: Set(event_type.to_owned()),
        body: Set(body(event_type, at, organization_id, data)),
        created_at: Set(at),
    })
    .exec_without_returning(tx)
    .await?;
    let deliveries = endpoints
        .into_iter()
        .map(|endpoint_id| webhook_delivery::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(organization_id),
            endpoint_id: Set(endpoint_id),
            event_id: Set(event_id),
            event_type: Set(event_type.to_owned()),
            event_at: Set(at),
            state: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(at),
            redelivery_of: Set(None),
            last_status: Set(None),
            last_error: Set(None),
            created_at: Set(at),
            completed_at: Set(None),
        });
    webhook_delivery::Entity::insert_many(deliveries)
        .exec_without_returning(tx)
        .await?;
    Ok(Some(event_id))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_body_has_its_type_time_and_data_with_the_organization() {
        let org = Uuid::now_v7();
        let at = DateTime::parse_from_rfc3339("2026-11-26T10:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        let body: Value = serde_json::from_str(&body(
            "structure.changed",
            at,
            org,
            json!({ "operation": "createUnit" }),
        ))
        .unwrap();
        assert_eq!(body["type"], "structure.changed");
        assert_eq!(body["timestamp"], "2026-11-26T10:00:00.123Z");
        assert_eq!(body["data"]["operation"], "createUnit");
        assert_eq!(body["data"]["organizationId"], org.to_string());
    }
}
