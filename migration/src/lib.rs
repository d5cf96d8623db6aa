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
            Box::new(AddTables(m20261123_000001_structure::Migration)),
            Box::new(AddTables(m20261123_000002_maturity::Migration)),
            Box::new(AddTables(m20261123_000003_kpis::Migration)),
            Box::new(AddTables(
                m20261123_000004_priorities_relationships::Migration,
            )),
            Box::new(AddTables(m20261123_000005_tokens_audit::Migration)),
            Box::new(m20261210_000006_idempotency_owner::Migration),
            Box::new(m20261211_000007_scenarios::Migration),
            Box::new(AddTables(m20261211_000008_webhooks::Migration)),
            Box::new(m20261212_000009_dated_structure::Migration),
            Box::new(AddTables(m20261213_000010_scheduled_changes::Migration)),
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

/// A table of one organization's rows: its `id` UUID primary key, then the
/// `organization_id` it belongs to (see [`TableExt::tenant`]). Every tenant table names
/// these two columns so.
pub(crate) fn tenant_table(table: impl IntoIden + 'static) -> TableCreateStatement {
    use sea_orm_migration::schema::pk_uuid;
    Table::create()
        .table(table)
        .col(pk_uuid(Tenant::Id))
        .tenant(Tenant::OrganizationId)
        .to_owned()
}

/// A table of one organization's rows keyed by the organization and `key` together:
/// `organization_id` (see [`TableExt::tenant`]), then `key`, the two the primary key.
/// Rows another system names (a client's idempotency key, an insight's fingerprint)
/// are unique only within their organization.
pub(crate) fn keyed_tenant_table(
    table: impl IntoIden + 'static,
    key: ColumnDef,
) -> TableCreateStatement {
    let key_name = Alias::new(key.get_column_name());
    Table::create()
        .table(table)
        .tenant(Tenant::OrganizationId)
        .col(key)
        .primary_key(Index::create().col(Tenant::OrganizationId).col(key_name))
        .to_owned()
}

/// The shapes nearly every table declares: references to other tables and the
/// organization a tenant row belongs to, each written once.
pub(crate) trait TableExt {
    /// Adds a foreign key to the table ([`TableCreateStatement::foreign_key`]).
    fn with_foreign_key(&mut self, foreign_key: &mut ForeignKeyCreateStatement) -> &mut Self;

    /// Adds a column ([`TableCreateStatement::col`]).
    fn with_col(&mut self, column: ColumnDef) -> &mut Self;

    /// A foreign key from this table's `column` to `to_table.to_column`.
    fn references(
        &mut self,
        column: impl IntoIden,
        to_table: impl IntoIden + 'static,
        to_column: impl IntoIden,
    ) -> &mut Self {
        self.with_foreign_key(
            ForeignKey::create()
                .from_col(column)
                .to(to_table, to_column),
        )
    }

    /// A foreign key from this table's `column` to `to_table.to_column` that deletes
    /// this row with the row it references (a delivery with its endpoint or event).
    fn references_cascade(
        &mut self,
        column: impl IntoIden,
        to_table: impl IntoIden + 'static,
        to_column: impl IntoIden,
    ) -> &mut Self {
        self.with_foreign_key(
            ForeignKey::create()
                .from_col(column)
                .to(to_table, to_column)
                .on_delete(ForeignKeyAction::Cascade),
        )
    }

    /// The `organization_id` column of a tenant row: a UUID, not null, referencing
    /// `organization.id`.
    fn tenant(&mut self, organization_id: impl IntoIden + Clone) -> &mut Self {
        use sea_orm_migration::schema::uuid;
        self.with_col(uuid(organization_id.clone())).references(
            organization_id,
            Organization::Table,
            Organization::Id,
        )
    }
}

impl TableExt for TableCreateStatement {
    fn with_foreign_key(&mut self, foreign_key: &mut ForeignKeyCreateStatement) -> &mut Self {
        self.foreign_key(foreign_key)
    }

    fn with_col(&mut self, column: ColumnDef) -> &mut Self {
        self.col(column)
    }
}

/// A migration that adds tables: `up` creates its [`tables`](Self::tables) in order
/// (referenced tables first), then its [`indexes`](Self::indexes), then
/// [`fill`](Self::fill)s them; `down` drops the tables in reverse. [`Migrator`] runs one
/// through [`AddTables`].
#[async_trait::async_trait]
pub(crate) trait AddsTables: MigrationName + Send + Sync {
    /// The tables, referenced tables first.
    fn tables(&self) -> Vec<TableCreateStatement>;

    /// The indexes on them.
    fn indexes(&self) -> Vec<IndexCreateStatement>;

    /// What follows once the tables and indexes exist: a built-in catalog's rows, an
    /// index sea-query cannot express.
    async fn fill(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

/// Runs an [`AddsTables`] migration as a sea-orm migration, under its own name.
struct AddTables<M>(M);

impl<M: AddsTables> MigrationName for AddTables<M> {
    fn name(&self) -> &str {
        self.0.name()
    }
}

#[async_trait::async_trait]
impl<M: AddsTables> MigrationTrait for AddTables<M> {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in self.0.tables() {
            manager.create_table(table).await?;
        }
        for index in self.0.indexes() {
            manager.create_index(index).await?;
        }
        self.0.fill(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in self.0.tables().into_iter().rev() {
            if let Some(name) = table.get_table_name() {
                manager
                    .drop_table(Table::drop().table(name.clone()).to_owned())
                    .await?;
            }
        }
        Ok(())
    }
}

/// A plain (non-unique) index `name` on `table`'s `cols`, in that order.
pub(crate) fn index_on<T, C>(name: &str, table: T, cols: &[C]) -> IndexCreateStatement
where
    T: IntoIden + 'static,
    C: IntoIden + Clone + 'static,
{
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col.clone());
    }
    stmt
}

/// A unique index `name` on `table`'s `cols`, in that order.
pub(crate) fn unique_index_on<T, C>(name: &str, table: T, cols: &[C]) -> IndexCreateStatement
where
    T: IntoIden + 'static,
    C: IntoIden + Clone + 'static,
{
    index_on(name, table, cols).unique().to_owned()
}

/// The two columns every tenant table starts with ([`tenant_table`]).
#[derive(DeriveIden, Clone)]
enum Tenant {
    Id,
    OrganizationId,
}

/// The table tenant rows reference ([`TableExt::tenant`]).
#[derive(DeriveIden)]
enum Organization {
    Table,
    Id,
}

#[derive(DeriveIden)]
pub(crate) enum Lifecycle {
    CreatedAt,
    UpdatedAt,
    Version,
}
