//! Integration tokens, the audit log and REST idempotency records.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{drop_tables, fk};

use crate::m20261123_000001_structure::{Organization, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiToken::Table)
                    .col(pk_uuid(ApiToken::Id))
                    .col(uuid(ApiToken::OrganizationId))
                    .col(string_len(ApiToken::Jti, 64))
                    .col(string_len(ApiToken::Name, 200))
                    .col(string_len(ApiToken::Role, 20))
                    .col(json_binary(ApiToken::Scopes))
                    .col(timestamp_with_time_zone(ApiToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                    .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                    .col(string_len_null(ApiToken::CreatedBy, 200))
                    .foreign_key(&mut fk(
                        ApiToken::Table,
                        ApiToken::OrganizationId,
                        Organization::Table,
                        Organization::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_api_token_jti")
                    .table(ApiToken::Table)
                    .col(ApiToken::Jti)
                    .unique()
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_api_token_org",
            ApiToken::Table,
            &[ApiToken::OrganizationId],
        )
        .await?;

        manager
            .create_table(
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
            )
            .await?;
        index(
            manager,
            "ix_audit_log_org_created",
            AuditLog::Table,
            &[AuditLog::OrganizationId, AuditLog::CreatedAt],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyRecord::Table)
                    .col(uuid(IdempotencyRecord::OrganizationId))
                    .col(string_len(IdempotencyRecord::Key, 255))
                    .col(string_len(IdempotencyRecord::RequestHash, 128))
                    .col(integer_null(IdempotencyRecord::StatusCode))
                    .col(text_null(IdempotencyRecord::ResponseBody))
                    .col(timestamp_with_time_zone(IdempotencyRecord::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        IdempotencyRecord::CompletedAt,
                    ))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyRecord::OrganizationId)
                            .col(IdempotencyRecord::Key),
                    )
                    .foreign_key(&mut fk(
                        IdempotencyRecord::Table,
                        IdempotencyRecord::OrganizationId,
                        Organization::Table,
                        Organization::Id,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                IdempotencyRecord::Table.into_iden(),
                AuditLog::Table.into_iden(),
                ApiToken::Table.into_iden(),
            ],
        )
        .await
    }
}

#[derive(DeriveIden, Clone)]
enum ApiToken {
    Table,
    Id,
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
    OrganizationId,
    Key,
    RequestHash,
    StatusCode,
    ResponseBody,
    CreatedAt,
    CompletedAt,
}
