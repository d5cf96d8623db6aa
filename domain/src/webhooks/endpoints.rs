//! Webhook endpoints and their delivery log: create (the secret shown once), change,
//! rotate the secret with an overlap, delete, list, redeliver, ping. Admins, and
//! editors of the organization.

use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};
use entity::{webhook_attempt, webhook_delivery, webhook_endpoint, webhook_event};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    delivery::{Message, Outcome, Transport},
    event::{EventType, PING},
    outbox::{DELIVERED, FAILED, PENDING, body},
    signing,
    watch::evaluation::follow_endpoints,
    worker::{
        deliveries::{give_up_waiting, insert_attempt},
        secrets, webhook_id,
    },
};
use crate::{
    Description, PageRequest,
    audit::Operation,
    auth::Writer,
    clock,
    error::{Error, Result},
    store::Store,
    write::{self, Row, Target, Versioned, Write, check_version},
};

/// Most endpoints one organization may have: each event is written once per endpoint.
pub const MAX_ENDPOINTS_PER_ORGANIZATION: u64 = 20;

/// Longest overlap of a secret rotation: a week.
pub const MAX_ROTATION_OVERLAP: Duration = Duration::from_secs(7 * 86_400);

/// A new endpoint, parsed (its URL is checked here, against the address policy).
#[derive(Debug)]
pub struct NewEndpoint {
    pub organization_id: Uuid,
    pub url: String,
    /// At least one, no repeats.
    pub events: Vec<EventType>,
    pub description: Option<Description>,
    /// Whether deliveries wait for earlier ones (see `webhook_endpoint::Model::ordered`).
    pub ordered: bool,
}

/// Changes to an endpoint; `None` leaves a field as it is.
#[derive(Debug)]
pub struct EndpointChanges {
    pub id: Uuid,
    pub version: i32,
    pub url: Option<String>,
    pub events: Option<Vec<EventType>>,
    pub description: Option<Option<Description>>,
    pub enabled: Option<bool>,
    pub ordered: Option<bool>,
}

/// A delivery with its attempts, first to last.
pub type DeliveryLog = (webhook_delivery::Model, Vec<webhook_attempt::Model>);

fn events_json(events: &[EventType]) -> serde_json::Value {
    json!(events.iter().map(|e| e.as_str()).collect::<Vec<_>>())
}

async fn checked_url(sender: &dyn Transport, url: &str, field: &str) -> Result<String> {
    sender
        .check_endpoint_url(url)
        .await
        .map(|url| url.to_string())
        .map_err(|why| Error::bad_input(field, why))
}

/// Creates an endpoint: the row and its secret (`whsec_…`), which exists in this
/// reply only. An endpoint that asks for insight events starts the watch of the
/// organization's insights (the baseline: insights already there are not raised).
pub async fn create(
    store: &Store,
    sender: &dyn Transport,
    writer: Writer<'_>,
    new: NewEndpoint,
) -> Result<(webhook_endpoint::Model, String)> {
    writer.reach(new.organization_id, "organization", "organizationId")?;
    let url = checked_url(sender, &new.url, "url").await?;
    let secret = signing::new_secret()?;
    let write = write::begin_in(store, writer, new.organization_id).await?;
    let (tx, org) = (&write.tx, &write.organization);
    let existing = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.eq(org.id))
        .count(tx)
        .await?;
    if existing >= MAX_ENDPOINTS_PER_ORGANIZATION {
        return Err(Error::LimitExceeded(format!(
            "an organization has at most {MAX_ENDPOINTS_PER_ORGANIZATION} webhook endpoints"
        )));
    }
    let now = clock::now();
    let row = webhook_endpoint::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        url: Set(url),
        description: Set(new.description.map(Description::into_inner)),
        events: Set(events_json(&new.events)),
        ordered: Set(new.ordered),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_expires_at: Set(None),
        enabled: Set(true),
        disabled_reason: Set(None),
        disabled_at: Set(None),
        failing_since: Set(None),
        lease_owner: Set(None),
        lease_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(tx)
    .await?;
    follow_endpoints(tx, &store.db, org.id).await?;
    write
        .commit(Operation::CreateWebhookEndpoint, vec![row.id])
        .await?;
    Ok((row, secret))
}

/// Begins a change of an endpoint, read again under its organization's lock.
/// `NOT_FOUND` on `field` for an unknown endpoint or one out of reach.
async fn begin_on_endpoint<'s>(
    store: &'s Store,
    writer: Writer<'s>,
    id: Uuid,
    field: &str,
) -> Result<(Write<'s>, webhook_endpoint::Model)> {
    write::begin_on::<webhook_endpoint::Entity>(store, writer, Row::new(id, field)).await
}

/// Changes an endpoint made against its current `version`. Enabling it again clears
/// the reason the server disabled it; disabling it gives up its waiting deliveries.
pub async fn update(
    store: &Store,
    sender: &dyn Transport,
    writer: Writer<'_>,
    changes: EndpointChanges,
) -> Result<webhook_endpoint::Model> {
    let url = match &changes.url {
        Some(url) => Some(checked_url(sender, url, "url").await?),
        None => None,
    };
    let (write, row) = begin_on_endpoint(store, writer, changes.id, "id").await?;
    let tx = &write.tx;
    check_version("the webhook endpoint", row.version, changes.version)?;
    let now = clock::now();
    let was_enabled = row.enabled;
    let organization = row.organization_id;
    let mut active = row.next_version(now);
    if let Some(url) = url {
        active.url = Set(url);
    }
    if let Some(events) = &changes.events {
        active.events = Set(events_json(events));
    }
    if let Some(description) = changes.description {
        active.description = Set(description.map(Description::into_inner));
    }
    if let Some(ordered) = changes.ordered {
        active.ordered = Set(ordered);
    }
    match changes.enabled {
        Some(true) if !was_enabled => {
            active.enabled = Set(true);
            active.disabled_reason = Set(None);
            active.disabled_at = Set(None);
            active.failing_since = Set(None);
        }
        Some(false) if was_enabled => {
            active.enabled = Set(false);
            active.disabled_at = Set(Some(now));
            give_up_waiting(tx, changes.id, "the endpoint was disabled", now).await?;
        }
        _ => {}
    }
    let updated = active.update(tx).await?;
    follow_endpoints(tx, &store.db, organization).await?;
    write
        .commit(Operation::UpdateWebhookEndpoint, vec![updated.id])
        .await?;
    Ok(updated)
}

/// Gives an endpoint a new secret, returned in this reply only. For `overlap` the old
/// one signs too (a second signature in `webhook-signature`), so receivers can switch
/// without losing a delivery.
pub async fn rotate_secret(
    store: &Store,
    writer: Writer<'_>,
    id: Uuid,
    overlap: Duration,
) -> Result<(webhook_endpoint::Model, String)> {
    if overlap > MAX_ROTATION_OVERLAP {
        return Err(Error::bad_input(
            "overlapSeconds",
            "at most 604800 (a week)",
        ));
    }
    let secret = signing::new_secret()?;
    let (write, row) = begin_on_endpoint(store, writer, id, "id").await?;
    let tx = &write.tx;
    let now = clock::now();
    let old = row.secret.clone();
    let mut active = row.next_version(now);
    if overlap.is_zero() {
        active.previous_secret = Set(None);
        active.previous_secret_expires_at = Set(None);
    } else {
        active.previous_secret = Set(Some(old));
        active.previous_secret_expires_at = Set(Some(
            now + chrono::Duration::from_std(overlap).map_err(|e| Error::Internal(e.into()))?,
        ));
    }
    active.secret = Set(secret.clone());
    let updated = active.update(tx).await?;
    write
        .commit(Operation::RotateWebhookSecret, vec![id])
        .await?;
    Ok((updated, secret))
}

/// Deletes an endpoint with its delivery log, if `version` is current.
pub async fn delete(
    store: &Store,
    writer: Writer<'_>,
    id: Uuid,
    version: i32,
) -> Result<webhook_endpoint::Model> {
    let (write, row) = begin_on_endpoint(store, writer, id, "id").await?;
    let tx = &write.tx;
    check_version("the webhook endpoint", row.version, version)?;
    webhook_endpoint::Entity::delete_by_id(id).exec(tx).await?;
    follow_endpoints(tx, &store.db, row.organization_id).await?;
    write
        .commit(Operation::DeleteWebhookEndpoint, vec![id])
        .await?;
    Ok(row)
}

/// A page of an organization's endpoints, oldest first, and their count.
pub async fn list(
    db: &DatabaseConnection,
    organization_id: Uuid,
    page: PageRequest,
) -> Result<(u64, Vec<webhook_endpoint::Model>)> {
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.eq(organization_id));
    let creation = (
        webhook_endpoint::Column::CreatedAt,
        webhook_endpoint::Column::Id,
    );
    page.fetch_by_creation(db, endpoints, creation, Order::Asc)
        .await
}

/// The organization of an endpoint, when it is in the writer's reach (`NOT_FOUND` on
/// `field` otherwise, like an unknown endpoint).
pub async fn endpoint_organization(
    store: &Store,
    writer: Writer<'_>,
    id: Uuid,
    field: &str,
) -> Result<Uuid> {
    write::organization_of::<webhook_endpoint::Entity>(store, writer, Row::new(id, field)).await
}

/// A page of an endpoint's deliveries, newest first, each with its attempts (two
/// statements for the page, however long), and their count.
pub async fn deliveries(
    db: &DatabaseConnection,
    organization_id: Uuid,
    endpoint_id: Uuid,
    page: PageRequest,
) -> Result<(u64, Vec<DeliveryLog>)> {
    let (total, rows) = page
        .fetch(
            db,
            webhook_delivery::Entity::find()
                .filter(webhook_delivery::Column::OrganizationId.eq(organization_id))
                .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
                .order_by_desc(webhook_delivery::Column::CreatedAt)
                .order_by_desc(webhook_delivery::Column::Id),
        )
        .await?;
    let attempts = with_attempts(db, organization_id, rows).await?;
    Ok((total, attempts))
}

async fn with_attempts(
    db: &DatabaseConnection,
    organization_id: Uuid,
    rows: Vec<webhook_delivery::Model>,
) -> Result<Vec<DeliveryLog>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let attempts = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::OrganizationId.eq(organization_id))
        .filter(webhook_attempt::Column::DeliveryId.is_in(rows.iter().map(|d| d.id)))
        .order_by_asc(webhook_attempt::Column::Number)
        .all(db)
        .await?;
    let mut by_delivery: HashMap<Uuid, Vec<webhook_attempt::Model>> =
        crate::query::group(attempts, |a| a.delivery_id);
    Ok(rows
        .into_iter()
        .map(|d| {
            let attempts = by_delivery.remove(&d.id).unwrap_or_default();
            (d, attempts)
        })
        .collect())
}

/// Sends a delivered or failed event to its endpoint again, as a new delivery of the
/// same event (the same `webhook-id`, so receivers that keep ids see a duplicate),
/// tried and retried like a first one. The endpoint must be enabled.
pub async fn redeliver(
    store: &Store,
    writer: Writer<'_>,
    delivery_id: Uuid,
) -> Result<DeliveryLog> {
    let delivery = Row::new(delivery_id, "deliveryId");
    let (write, original) =
        write::begin_on::<webhook_delivery::Entity>(store, writer, delivery).await?;
    let (tx, organization) = (&write.tx, write.organization.id);
    let not_found = || Error::not_found_at("webhook delivery", "deliveryId");
    let endpoint = webhook_endpoint::Entity::find_by_id(original.endpoint_id)
        .one(tx)
        .await?
        .ok_or_else(not_found)?;
    if !endpoint.enabled {
        return Err(Error::conflict(
            "deliveryId",
            "the endpoint is disabled; enable it (updateWebhookEndpoint) first",
        ));
    }
    let now = clock::now();
    let row = webhook_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization),
        endpoint_id: Set(endpoint.id),
        event_id: Set(original.event_id),
        event_type: Set(original.event_type.clone()),
        event_at: Set(original.event_at),
        state: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        redelivery_of: Set(Some(original.id)),
        last_status: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        completed_at: Set(None),
    }
    .insert(tx)
    .await?;
    write
        .commit(Operation::RedeliverWebhook, vec![row.id])
        .await?;
    Ok((row, Vec::new()))
}

/// Sends a test event (`webhook.ping`) to an endpoint now, enabled or not, and records
/// it in the delivery log with its one attempt (a ping is not retried).
pub async fn ping(
    store: &Store,
    sender: &dyn Transport,
    writer: Writer<'_>,
    endpoint_id: Uuid,
) -> Result<DeliveryLog> {
    let organization = endpoint_organization(store, writer, endpoint_id, "id").await?;
    let endpoint = webhook_endpoint::Entity::find_by_id(endpoint_id)
        .one(&store.db)
        .await?
        .ok_or_else(|| Error::not_found_at("webhook endpoint", "id"))?;
    let event_id = Uuid::now_v7();
    let at: DateTime<Utc> = clock::now();
    let text = body(PING, at, organization, json!({ "endpointId": endpoint.id }));
    let message = Message {
        id: webhook_id(event_id),
        body: &text,
        secrets: secrets(&endpoint, at),
    };
    let reply = sender.send(&endpoint.url, &message).await;
    let target = Target::object(organization, "webhook endpoint", "id");
    let write = write::begin(store, writer, target).await?;
    let tx = &write.tx;
    write
        .find::<webhook_endpoint::Entity>(endpoint_id, "id")
        .await?;
    let now = clock::now();
    webhook_event::ActiveModel {
        id: Set(event_id),
        organization_id: Set(organization),
        event_type: Set(PING.to_owned()),
        body: Set(text.clone()),
        created_at: Set(at),
    }
    .insert(tx)
    .await?;
    let delivered = reply.outcome == Outcome::Success;
    let delivery = webhook_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization),
        endpoint_id: Set(endpoint.id),
        event_id: Set(event_id),
        event_type: Set(PING.to_owned()),
        event_at: Set(at),
        state: Set(if delivered { DELIVERED } else { FAILED }.to_owned()),
        attempts: Set(1),
        next_attempt_at: Set(at),
        redelivery_of: Set(None),
        last_status: Set(reply.status.map(i32::from)),
        last_error: Set(reply.error.clone()),
        created_at: Set(at),
        completed_at: Set(Some(now)),
    }
    .insert(tx)
    .await?;
    insert_attempt(tx, &delivery, 1, &reply, now).await?;
    write
        .commit(Operation::PingWebhookEndpoint, vec![delivery.id])
        .await?;
    let log = with_attempts(&store.db, organization, vec![delivery]).await?;
    log.into_iter()
        .next()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the ping's delivery vanished")))
}
