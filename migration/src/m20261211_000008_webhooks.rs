//! Webhooks: endpoints per organization, the outbox of events changes write in their
//! own transaction, one delivery per (event, endpoint) with its attempts, and the
//! insights last seen per organization (to tell which were raised or resolved).

use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    AddsTables, TableExt, index_on, keyed_tenant_table, m20261123_000001_structure::Organization,
    tenant_table, with_lifecycle,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl AddsTables for Migration {
    fn tables(&self) -> Vec<TableCreateStatement> {
        vec![
            with_lifecycle(
                tenant_table(WebhookEndpoint::Table)
                    .col(string_len(WebhookEndpoint::Url, 2_000))
                    .col(text_null(WebhookEndpoint::Description))
                    .col(json_binary(WebhookEndpoint::Events))
                    .col(boolean(WebhookEndpoint::Ordered).default(false))
                    .col(string_len(WebhookEndpoint::Secret, 100))
                    .col(string_len_null(WebhookEndpoint::PreviousSecret, 100))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoint::PreviousSecretExpiresAt,
                    ))
                    .col(boolean(WebhookEndpoint::Enabled).default(true))
                    .col(text_null(WebhookEndpoint::DisabledReason))
                    .col(timestamp_with_time_zone_null(WebhookEndpoint::DisabledAt))
                    .col(timestamp_with_time_zone_null(WebhookEndpoint::FailingSince))
                    .col(uuid_null(WebhookEndpoint::LeaseOwner))
                    .col(timestamp_with_time_zone_null(WebhookEndpoint::LeaseUntil))
                    .to_owned(),
            ),
            tenant_table(WebhookEvent::Table)
                .col(string_len(WebhookEvent::EventType, 60))
                .col(text(WebhookEvent::Body))
                .col(timestamp_with_time_zone(WebhookEvent::CreatedAt))
                .to_owned(),
            Table::create()
                .table(WebhookDelivery::Table)
                .col(pk_uuid(WebhookDelivery::Id))
                .col(uuid(WebhookDelivery::OrganizationId))
                .col(uuid(WebhookDelivery::EndpointId))
                .col(uuid(WebhookDelivery::EventId))
                .col(string_len(WebhookDelivery::EventType, 60))
                .col(timestamp_with_time_zone(WebhookDelivery::EventAt))
                .col(string_len(WebhookDelivery::State, 20))
                .col(integer(WebhookDelivery::Attempts).default(0))
                .col(timestamp_with_time_zone(WebhookDelivery::NextAttemptAt))
                .col(uuid_null(WebhookDelivery::RedeliveryOf))
                .col(integer_null(WebhookDelivery::LastStatus))
                .col(text_null(WebhookDelivery::LastError))
                .col(timestamp_with_time_zone(WebhookDelivery::CreatedAt))
                .col(timestamp_with_time_zone_null(WebhookDelivery::CompletedAt))
                .references_cascade(
                    WebhookDelivery::EndpointId,
                    WebhookEndpoint::Table,
                    WebhookEndpoint::Id,
                )
                .references_cascade(
                    WebhookDelivery::EventId,
                    WebhookEvent::Table,
                    WebhookEvent::Id,
                )
                .to_owned(),
            Table::create()
                .table(WebhookAttempt::Table)
                .col(pk_uuid(WebhookAttempt::Id))
                .col(uuid(WebhookAttempt::OrganizationId))
                .col(uuid(WebhookAttempt::DeliveryId))
                .col(integer(WebhookAttempt::Number))
                .col(timestamp_with_time_zone(WebhookAttempt::AttemptedAt))
                .col(string_len(WebhookAttempt::Outcome, 20))
                .col(integer_null(WebhookAttempt::StatusCode))
                .col(big_integer(WebhookAttempt::LatencyMs))
                .col(text_null(WebhookAttempt::ResponseExcerpt))
                .col(text_null(WebhookAttempt::Error))
                .references_cascade(
                    WebhookAttempt::DeliveryId,
                    WebhookDelivery::Table,
                    WebhookDelivery::Id,
                )
                .to_owned(),
            Table::create()
                .table(WebhookInsightWatch::Table)
                .col(pk_uuid(WebhookInsightWatch::OrganizationId))
                .col(timestamp_with_time_zone(WebhookInsightWatch::DueAt))
                .col(timestamp_with_time_zone_null(
                    WebhookInsightWatch::EvaluatedAt,
                ))
                .references(
                    WebhookInsightWatch::OrganizationId,
                    Organization::Table,
                    Organization::Id,
                )
                .to_owned(),
            keyed_tenant_table(
                WebhookInsightState::Table,
                string_len(WebhookInsightState::Fingerprint, 64),
            )
            .col(string_len(WebhookInsightState::Code, 100))
            .col(json_binary(WebhookInsightState::Insight))
            .col(timestamp_with_time_zone(WebhookInsightState::RaisedAt))
            .to_owned(),
        ]
    }

    fn indexes(&self) -> Vec<IndexCreateStatement> {
        vec![
            index_on(
                "ix_webhook_endpoint_org",
                WebhookEndpoint::Table,
                &[WebhookEndpoint::OrganizationId, WebhookEndpoint::Enabled],
            ),
            index_on(
                "ix_webhook_event_org_created",
                WebhookEvent::Table,
                &[WebhookEvent::OrganizationId, WebhookEvent::CreatedAt],
            ),
            // The delivery log of an endpoint, newest first.
            index_on(
                "ix_webhook_delivery_endpoint_created",
                WebhookDelivery::Table,
                &[
                    WebhookDelivery::OrganizationId,
                    WebhookDelivery::EndpointId,
                    WebhookDelivery::CreatedAt,
                ],
            ),
            // What an endpoint has waiting, in event order.
            index_on(
                "ix_webhook_delivery_endpoint_pending",
                WebhookDelivery::Table,
                &[
                    WebhookDelivery::EndpointId,
                    WebhookDelivery::State,
                    WebhookDelivery::NextAttemptAt,
                ],
            ),
            // The worker's view across tenants (queue depth, the oldest waiting delivery,
            // the endpoints with work): not tenant-scoped on purpose.
            index_on(
                "ix_webhook_delivery_state_due",
                WebhookDelivery::Table,
                &[WebhookDelivery::State, WebhookDelivery::NextAttemptAt],
            ),
            index_on(
                "ix_webhook_attempt_delivery",
                WebhookAttempt::Table,
                &[
                    WebhookAttempt::OrganizationId,
                    WebhookAttempt::DeliveryId,
                    WebhookAttempt::Number,
                ],
            ),
            index_on(
                "ix_webhook_insight_watch_due",
                WebhookInsightWatch::Table,
                &[WebhookInsightWatch::DueAt],
            ),
        ]
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookEndpoint {
    Table,
    Id,
    OrganizationId,
    Url,
    Description,
    Events,
    Ordered,
    Secret,
    PreviousSecret,
    PreviousSecretExpiresAt,
    Enabled,
    DisabledReason,
    DisabledAt,
    FailingSince,
    LeaseOwner,
    LeaseUntil,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookEvent {
    Table,
    Id,
    OrganizationId,
    EventType,
    Body,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookDelivery {
    Table,
    Id,
    OrganizationId,
    EndpointId,
    EventId,
    EventType,
    EventAt,
    State,
    Attempts,
    NextAttemptAt,
    RedeliveryOf,
    LastStatus,
    LastError,
    CreatedAt,
    CompletedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookAttempt {
    Table,
    Id,
    OrganizationId,
    DeliveryId,
    Number,
    AttemptedAt,
    Outcome,
    StatusCode,
    LatencyMs,
    ResponseExcerpt,
    Error,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookInsightWatch {
    Table,
    OrganizationId,
    DueAt,
    EvaluatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookInsightState {
    Table,
    Fingerprint,
    Code,
    Insight,
    RaisedAt,
}
