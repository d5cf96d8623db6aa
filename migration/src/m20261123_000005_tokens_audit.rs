//! Integration tokens, the audit log and REST idempotency records.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{AddsTables, index_on, keyed_tenant_table, tenant_table, unique_index_on};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl AddsTables for Migration {
    fn tables(&self) -> Vec<TableCreateStatement> {
        vec![
            tenant_table(ApiToken::Table)
                .col(string_len(ApiToken::Jti, 64))
                .col(string_len(ApiToken::Name, 200))
                .col(string_len(ApiToken::Role, 20))
                .col(json_binary(ApiToken::Scopes))
                .col(timestamp_with_time_zone(ApiToken::ExpiresAt))
                .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                .col(string_len_null(ApiToken::CreatedBy, 200))
                .to_owned(),
            Table::create()
                .table(AuditLog::Table)
                .col(pk_uuid(AuditLog::Id))
                .col(uuid_null(AuditLog::OrganizationId))
                .col(string_len(AuditLog::Actor, 200))
                .col(string_len(AuditLog::Operation, 100))
                .col(json_binary(AuditLog::ObjectIds))
                .col(string_len_null(AuditLog::RequestId, 100))
                .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                .to_owned(),
            keyed_tenant_table(
                IdempotencyRecord::Table,
                string_len(IdempotencyRecord::Key, 255),
            )
            .col(string_len(IdempotencyRecord::RequestHash, 128))
            .col(integer_null(IdempotencyRecord::StatusCode))
            .col(text_null(IdempotencyRecord::ResponseBody))
            .col(timestamp_with_time_zone(IdempotencyRecord::CreatedAt))
            .col(timestamp_with_time_zone_null(
                IdempotencyRecord::CompletedAt,
            ))
            .to_owned(),
        ]
    }

    fn indexes(&self) -> Vec<IndexCreateStatement> {
        vec![
            unique_index_on("ux_api_token_jti", ApiToken::Table, &[ApiToken::Jti]),
            index_on(
                "ix_api_token_org",
                ApiToken::Table,
                &[ApiToken::OrganizationId],
            ),
            index_on(
                "ix_audit_log_org_created",
                AuditLog::Table,
                &[AuditLog::OrganizationId, AuditLog::CreatedAt],
            ),
        ]
    }
}

#[derive(DeriveIden, Clone)]
enum ApiToken {
    Table,
    OrganizationId,
    Jti,
    Name,
    Role,
    Scopes,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden, Clone)]
enum AuditLog {
    Table,
    Id,
    OrganizationId,
    Actor,
    Operation,
    ObjectIds,
    RequestId,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum IdempotencyRecord {
    Table,
    Key,
    RequestHash,
    StatusCode,
    ResponseBody,
    CreatedAt,
    CompletedAt,
}
