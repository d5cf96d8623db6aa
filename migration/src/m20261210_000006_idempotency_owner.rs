//! Who holds an `Idempotency-Key` claim: the owner (a server process) and the lease of
//! the attempt, so that a retry can tell a claim whose attempt died (its process
//! crashed, its task was dropped) from one still running, at once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        // Claims stored before this migration have neither and are judged by age.
        for column in [IdempotencyRecord::Owner, IdempotencyRecord::Lease] {
            manager
                .alter_table(
                    Table::alter()
                        .table(IdempotencyRecord::Table)
                        .add_column(uuid_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [IdempotencyRecord::Lease, IdempotencyRecord::Owner] {
            manager
                .alter_table(
                    Table::alter()
                        .table(IdempotencyRecord::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum IdempotencyRecord {
    Table,
    Owner,
    Lease,
}
