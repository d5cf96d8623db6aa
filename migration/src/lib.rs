//! orgdesign's schema: migrations are the only way it is made, in production and in tests.
//!
//! Each file holds one reversible change. The tenant tables all carry
//! `organization_id`, and every tenant-scoped unique key and hot index starts with it,
//! so queries stay tenant-local and the schema can later be distributed by organization.
//!
//! # Layout
//!
//! [`Migrator`] applies them in this order:
//! - `m20261123_000001_structure`: organizations, units, positions, reporting lines.
//! - `m20261123_000002_maturity`: the maturity-stage catalog and declared stages.
//! - `m20261123_000003_kpis`: KPI definitions (the built-in catalog), targets,
//!   measurements and their revisions.
//! - `m20261123_000004_priorities_relationships`: leadership priorities and their
//!   assessments, stakeholders, relationships and reviews.
//! - `m20261123_000005_tokens_audit`: integration tokens, the audit log, idempotency
//!   records.
//! - `m20261210_000006_idempotency_owner`: the owner and lease of an idempotency claim.
//! - `m20261211_000007_scenarios`: scenarios and the structure version.
//! - `m20261211_000008_webhooks`: endpoints, the outbox, deliveries, attempts, the
//!   insight watch.
//! - `m20261212_000009_dated_structure`: units and positions dated like reporting
//!   lines, their attributes kept as histories of values.
//! - `m20261213_000010_scheduled_changes`: structure changes dated in the future,
//!   announced once on their day.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_structure;
mod m20261123_000002_maturity;
mod m20261123_000003_kpis;
mod m20261123_000004_priorities_relationships;
mod m20261123_000005_tokens_audit;
mod m20261210_000006_idempotency_owner;
mod m20261211_000007_scenarios;
mod m20261211_000008_webhooks;
mod m20261212_000009_dated_structure;
mod m20261213_000010_scheduled_changes;

/// Every migration of orgdesign, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_structure::Migration),
            Box::new(m20261123_000002_maturity::Migration),
            Box::new(m20261123_000003_kpis::Migration),
            Box::new(m20261123_000004_priorities_relationships::Migration),
            Box::new(m20261123_000005_tokens_audit::Migration),
            Box::new(m20261210_000006_idempotency_owner::Migration),
            Box::new(m20261211_000007_scenarios::Migration),
            Box::new(m20261211_000008_webhooks::Migration),
            Box::new(m20261212_000009_dated_structure::Migration),
            Box::new(m20261213_000010_scheduled_changes::Migration),
        ]
    }
}

/// Columns every mutable row carries: creation and update time and the optimistic
/// concurrency version.
pub(crate) fn with_lifecycle(mut table: TableCreateStatement) -> TableCreateStatement {
    use sea_orm_migration::schema::{integer, timestamp_with_time_zone};
    table
        .col(timestamp_with_time_zone(Lifecycle::CreatedAt))
        .col(timestamp_with_time_zone(Lifecycle::UpdatedAt))
        .col(integer(Lifecycle::Version).default(1));
    table
}

/// A foreign key from `from_table.from_col` to `to_table.to_col`: the shape of nearly
/// every reference between tables (a tenant row to its organization, a row to its
/// parent), written once.
pub(crate) fn fk<A, B, C, D>(
    from_table: A,
    from_col: B,
    to_table: C,
    to_col: D,
) -> ForeignKeyCreateStatement
where
    A: IntoIden + 'static,
    B: IntoIden + 'static,
    C: IntoIden + 'static,
    D: IntoIden + 'static,
{
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .to_owned()
}

/// Drops `tables`, in the order given (dependents first), for a migration's `down`.
pub(crate) async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: impl IntoIterator<Item = DynIden>,
) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(table).to_owned())
            .await?;
    }
    Ok(())
}

#[derive(DeriveIden)]
pub(crate) enum Lifecycle {
    CreatedAt,
    UpdatedAt,
    Version,
}
