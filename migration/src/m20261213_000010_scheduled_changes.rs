//! Structure changes dated in the future, kept until their day: the delivery worker
//! announces each once when it takes effect (`announced_at` is set by the one replica
//! that claims it).

use sea_orm_migration::{prelude::*, schema::*};

use crate::{drop_tables, fk, m20261123_000001_structure::index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScheduledChange::Table)
                    .col(pk_uuid(ScheduledChange::Id))
                    .col(uuid(ScheduledChange::OrganizationId))
                    .col(date(ScheduledChange::EffectiveOn))
                    .col(string_len(ScheduledChange::Operation, 60))
                    .col(json_binary(ScheduledChange::ObjectIds))
                    .col(timestamp_with_time_zone(ScheduledChange::CreatedAt))
                    .col(timestamp_with_time_zone_null(ScheduledChange::AnnouncedAt))
                    .foreign_key(&mut fk(
                        ScheduledChange::Table,
                        ScheduledChange::OrganizationId,
                        Organization::Table,
                        Organization::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_scheduled_change_due",
            ScheduledChange::Table,
            &[ScheduledChange::EffectiveOn, ScheduledChange::AnnouncedAt],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [ScheduledChange::Table.into_iden()]).await
    }
}

#[derive(DeriveIden)]
enum Organization {
    Table,
    Id,
}

#[derive(DeriveIden, Clone)]
enum ScheduledChange {
    Table,
    Id,
    OrganizationId,
    EffectiveOn,
    Operation,
    ObjectIds,
    CreatedAt,
    AnnouncedAt,
}
