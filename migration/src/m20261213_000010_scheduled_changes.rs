//! Structure changes dated in the future, kept until their day: the delivery worker
//! announces each once when it takes effect (`announced_at` is set by the one replica
//! that claims it).

use sea_orm_migration::{prelude::*, schema::*};

use crate::{AddsTables, index_on, tenant_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

impl AddsTables for Migration {
    fn tables(&self) -> Vec<TableCreateStatement> {
        vec![
            tenant_table(ScheduledChange::Table)
                .col(date(ScheduledChange::EffectiveOn))
                .col(string_len(ScheduledChange::Operation, 60))
                .col(json_binary(ScheduledChange::ObjectIds))
                .col(timestamp_with_time_zone(ScheduledChange::CreatedAt))
                .col(timestamp_with_time_zone_null(ScheduledChange::AnnouncedAt))
                .to_owned(),
        ]
    }

    fn indexes(&self) -> Vec<IndexCreateStatement> {
        vec![index_on(
            "ix_scheduled_change_due",
            ScheduledChange::Table,
            &[ScheduledChange::EffectiveOn, ScheduledChange::AnnouncedAt],
        )]
    }
}

#[derive(DeriveIden, Clone)]
enum ScheduledChange {
    Table,
    EffectiveOn,
    Operation,
    ObjectIds,
    CreatedAt,
    AnnouncedAt,
}
