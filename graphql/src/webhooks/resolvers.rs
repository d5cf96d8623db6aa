//! Webhook queries and mutations: parse, authorize (admins, and editors of the
//! organization), call [`orgdesign_domain::webhooks::endpoints`], shape the answer.

use std::{sync::Arc, time::Duration};

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use orgdesign_domain::{
    Description,
    error::{Error, Result},
    parse_id,
    webhooks::{
        delivery::Transport,
        endpoints::{self as service, EndpointChanges, NewEndpoint},
        event::EventType,
    },
};

use super::types::{
    CreatedWebhookEndpoint, DeletedWebhookEndpoint, RotatedWebhookSecret, WebhookDelivery,
    WebhookEndpoint,
};
use crate::{
    context::{request, store, writer_of},
    error::{AtInput, GqlResult},
    pagination::{self, Page},
};

/// The event types of an input, parsed: at least one, each a known type once.
fn parse_events(field: &str, raw: &[String]) -> Result<Vec<EventType>> {
    if raw.is_empty() {
        return Err(Error::bad_input(
            field,
            "name at least one event type, e.g. structure.changed",
        ));
    }
    let mut events = Vec::with_capacity(raw.len());
    for (i, name) in raw.iter().enumerate() {
        let event = EventType::parse(name.trim()).ok_or_else(|| {
            Error::bad_input(
                format!("{field}[{i}]"),
                format!(
                    "{name:?} is no event type; the types are {}",
                    EventType::ALL.map(EventType::as_str).join(", ")
                ),
            )
        })?;
        if events.contains(&event) {
            return Err(Error::bad_input(
                format!("{field}[{i}]"),
                "an event type is named twice",
            ));
        }
        events.push(event);
    }
    Ok(events)
}

/// The webhook transport the schema was built with.
fn sender<'a>(ctx: &Context<'a>) -> GqlResult<&'a dyn Transport> {
    Ok(ctx.data::<Arc<dyn Transport>>()?.as_ref())
}

/// Input of `createWebhookEndpoint`.
#[derive(InputObject, Debug)]
pub struct CreateWebhookEndpointInput {
    /// The organization whose events it gets.
    organization_id: ID,
    /// `https://…` (`http://` only where the server allows it); not to a loopback,
    /// private, link-local or metadata address.
    url: String,
    /// The event types wanted: `structure.changed`, `structure.scheduled`,
    /// `kpi.points_recorded`, `scenario.promoted`, `insight.raised`, `insight.resolved`,
    /// `integration_token.revoked`.
    events: Vec<String>,
    /// What it is for, up to 2,000 characters; null or blank for none.
    description: Option<String>,
    /// Deliver strictly in event order: a delivery waits until the earlier ones
    /// succeeded or were given up.
    #[graphql(default = false)]
    ordered: bool,
}

/// Input of `updateWebhookEndpoint`: what is left out stays as it is.
#[derive(InputObject, Debug)]
pub struct UpdateWebhookEndpointInput {
    /// The endpoint to change.
    id: ID,
    /// The version the change was made against; a newer stored one is a `CONFLICT`.
    version: i32,
    /// A new URL, under the same rules as at creation.
    url: Option<String>,
    /// A new list of event types (at least one), replacing the old one.
    events: Option<Vec<String>>,
    /// A new description, up to 2,000 characters; null clears it.
    description: MaybeUndefined<String>,
    /// `true` enables it again (clearing why the server disabled it); `false`
    /// disables it and gives up its waiting deliveries.
    enabled: Option<bool>,
    /// Whether deliveries keep strictly to event order.
    ordered: Option<bool>,
}

/// Input of `rotateWebhookSecret`.
#[derive(InputObject, Debug)]
pub struct RotateWebhookSecretInput {
    /// The endpoint.
    id: ID,
    /// How long the old secret still signs beside the new one (default a day, at most
    /// a week; 0 ends it at once).
    #[graphql(default = 86_400)]
    overlap_seconds: i32,
}

/// Input of `deleteWebhookEndpoint`.
#[derive(InputObject, Debug)]
pub struct DeleteWebhookEndpointInput {
    /// The endpoint to delete.
    id: ID,
    /// The version the deletion was decided on; a newer stored one is a `CONFLICT`.
    version: i32,
}

/// Webhook queries.
#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// An organization's webhook endpoints, oldest first, without their secrets.
    /// Admins, and editors of the organization.
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization.")] organization_id: ID,
        #[graphql(desc = "Page size: 1 to the page-size cap (100 unless configured); default 20.")]
        first: Option<i32>,
        #[graphql(desc = "The `cursor` of the edge to continue after; null starts at the top.")]
        after: Option<String>,
    ) -> GqlResult<Page<WebhookEndpoint>> {
        let (_, organization_id) = request(ctx)?.writer_of("organizationId", &organization_id)?;
        let list = async |db: &_, page| service::list(db, organization_id, page).await;
        pagination::load_page(ctx, first, after.as_deref(), list, WebhookEndpoint).await
    }

    /// An endpoint's delivery log, newest first: every delivery with its attempts
    /// (status, latency, the first bytes of the reply). Admins, and editors of the
    /// organization.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint.")] endpoint_id: ID,
        #[graphql(desc = "Page size: 1 to the page-size cap (100 unless configured); default 20.")]
        first: Option<i32>,
        #[graphql(desc = "The `cursor` of the edge to continue after; null starts at the top.")]
        after: Option<String>,
    ) -> GqlResult<Page<WebhookDelivery>> {
        let writer = request(ctx)?.writer()?;
        let endpoint_id = parse_id("endpointId", &endpoint_id)?;
        let store = store(ctx)?;
        let deliveries = async |db: &_, page| {
            let organization =
                service::endpoint_organization(store, writer, endpoint_id, "endpointId").await?;
            service::deliveries(db, organization, endpoint_id, page).await
        };
        let wrap = |(row, attempts)| WebhookDelivery { row, attempts };
        pagination::load_page(ctx, first, after.as_deref(), deliveries, wrap).await
    }
}

/// Webhook mutations.
#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Adds an endpoint that gets the organization's events of the types it names.
    /// The secret that signs them is in the reply once. Admins, and editors of the
    /// organization.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new endpoint.")] input: CreateWebhookEndpointInput,
    ) -> GqlResult<CreatedWebhookEndpoint> {
        let (writer, organization_id) =
            writer_of(ctx, "input.organizationId", &input.organization_id)?;
        let new = NewEndpoint {
            organization_id,
            url: input.url,
            events: parse_events("input.events", &input.events)?,
            description: Description::parse_opt("input.description", input.description.as_deref())?,
            ordered: input.ordered,
        };
        let (row, secret) = service::create(store(ctx)?, sender(ctx)?, writer, new)
            .await
            .at_input()?;
        Ok(CreatedWebhookEndpoint {
            endpoint: WebhookEndpoint(row),
            secret,
        })
    }

    /// Changes an endpoint if `version` is current; enabling it again clears why the
    /// server disabled it. Admins, and editors of the organization.
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which endpoint, its version and what changes.")]
        input: UpdateWebhookEndpointInput,
    ) -> GqlResult<WebhookEndpoint> {
        let writer = request(ctx)?.writer()?;
        let changes = EndpointChanges {
            id: parse_id("input.id", &input.id)?,
            version: input.version,
            url: input.url,
            events: input
                .events
                .as_deref()
                .map(|events| parse_events("input.events", events))
                .transpose()?,
            description: match input.description {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(text) => {
                    Some(Description::parse_opt("input.description", Some(&text))?)
                }
            },
            enabled: input.enabled,
            ordered: input.ordered,
        };
        let row = service::update(store(ctx)?, sender(ctx)?, writer, changes)
            .await
            .at_input()?;
        Ok(WebhookEndpoint(row))
    }

    /// Gives an endpoint a new secret, in the reply once; the old one keeps signing
    /// beside it for `overlapSeconds`. Admins, and editors of the organization.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint and how long the old secret still signs.")]
        input: RotateWebhookSecretInput,
    ) -> GqlResult<RotatedWebhookSecret> {
        let writer = request(ctx)?.writer()?;
        let id = parse_id("input.id", &input.id)?;
        let overlap = u64::try_from(input.overlap_seconds)
            .map_err(|_| Error::bad_input("input.overlapSeconds", "must be 0 or more"))?;
        let (row, secret) =
            service::rotate_secret(store(ctx)?, writer, id, Duration::from_secs(overlap))
                .await
                .at_input()?;
        Ok(RotatedWebhookSecret {
            endpoint: WebhookEndpoint(row),
            secret,
        })
    }

    /// Deletes an endpoint and its delivery log. Admins, and editors of the organization.
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which endpoint and its version.")] input: DeleteWebhookEndpointInput,
    ) -> GqlResult<DeletedWebhookEndpoint> {
        let writer = request(ctx)?.writer()?;
        let id = parse_id("input.id", &input.id)?;
        let row = service::delete(store(ctx)?, writer, id, input.version)
            .await
            .at_input()?;
        Ok(DeletedWebhookEndpoint {
            id: ID(row.id.to_string()),
        })
    }

    /// Sends a delivery's event to its endpoint again, as a new delivery with the
    /// same `webhook-id`, retried like a first one. Admins, and editors of the organization.
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The delivery to send again.")] delivery_id: ID,
    ) -> GqlResult<WebhookDelivery> {
        let writer = request(ctx)?.writer()?;
        let id = parse_id("deliveryId", &delivery_id)?;
        let (row, attempts) = service::redeliver(store(ctx)?, writer, id).await?;
        Ok(WebhookDelivery { row, attempts })
    }

    /// Sends a `webhook.ping` event to an endpoint now (enabled or not) and answers
    /// with the delivery and its one attempt. Admins, and editors of the organization.
    async fn ping_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint.")] id: ID,
    ) -> GqlResult<WebhookDelivery> {
        let writer = request(ctx)?.writer()?;
        let id = parse_id("id", &id)?;
        let (row, attempts) = service::ping(store(ctx)?, sender(ctx)?, writer, id).await?;
        Ok(WebhookDelivery { row, attempts })
    }
}
