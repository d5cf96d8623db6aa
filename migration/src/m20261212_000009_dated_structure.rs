//! Units and positions dated like reporting lines: each exists over
//! `[effective_from, effective_to)`, and its attributes are a history of values, each
//! from a date (`org_unit_version`, `position_version`).
//!
//! Existing rows keep every value they had. A unit exists from the earlier of its
//! creation day and the first day of any reporting line naming it (the demo and
//! imports record lines older than the rows). An archived row ends on the day it
//! was last changed (archiving is the last change an archived row takes), and its
//! `archived` flag goes: whether a unit has ended is now a question of the day asked.
//! Each row gets one version, from its first day, holding today's values.
//! A position exists from its unit's first day (the positions heading a unit are as
//! old as the unit in the data orgdesign has held so far).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, JsonValue, Statement},
};
use uuid::Uuid;

use crate::{TableExt, index_on, tenant_table, unique_index_on};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The day every existing row is given before its own day is worked out; no row
/// keeps it.
const PLACEHOLDER_DAY: &str = "1970-01-01";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Dated::OrgUnit, Dated::Position] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table.clone())
                        .add_column(date(Dated::EffectiveFrom).default(PLACEHOLDER_DAY))
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(date_null(Dated::EffectiveTo))
                        .to_owned(),
                )
                .await?;
        }
        create_version_tables(manager).await?;
        backfill(manager).await?;
        for table in [Dated::OrgUnit, Dated::Position] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(Dated::Archived)
                        .to_owned(),
                )
                .await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            // SQLite cannot drop a column default; every writer sets the day anyway.
            let db = manager.get_connection();
            for table in ["org_unit", "position"] {
                db.execute_unprepared(&format!(
                    "ALTER TABLE {table} ALTER COLUMN effective_from DROP DEFAULT"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Dated::OrgUnit, Dated::Position] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(boolean(Dated::Archived).default(false))
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        for table in ["org_unit", "position"] {
            db.execute_unprepared(&format!(
                "UPDATE {table} SET archived = TRUE WHERE effective_to IS NOT NULL"
            ))
            .await?;
        }
        for table in [
            PositionVersion::Table.into_iden(),
            OrgUnitVersion::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ix_org_unit_org_from")
                    .table(Dated::OrgUnit)
                    .to_owned(),
            )
            .await?;
        for table in [Dated::OrgUnit, Dated::Position] {
            for column in [Dated::EffectiveFrom, Dated::EffectiveTo] {
                manager
                    .alter_table(
                        Table::alter()
                            .table(table.clone())
                            .drop_column(column)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}

async fn create_version_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            tenant_table(OrgUnitVersion::Table)
                .col(uuid(OrgUnitVersion::UnitId))
                .col(date(OrgUnitVersion::EffectiveFrom))
                .col(string_len(OrgUnitVersion::Name, 200))
                .col(string_len(OrgUnitVersion::Function, 40))
                .col(string_len(OrgUnitVersion::Sourcing, 40))
                .col(text_null(OrgUnitVersion::Description))
                .col(timestamp_with_time_zone(OrgUnitVersion::CreatedAt))
                .references(OrgUnitVersion::UnitId, Dated::OrgUnit, Dated::Id)
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            tenant_table(PositionVersion::Table)
                .col(uuid(PositionVersion::PositionId))
                .col(date(PositionVersion::EffectiveFrom))
                .col(string_len(PositionVersion::Title, 200))
                .col(string_len(PositionVersion::Role, 40))
                .col(string_len_null(PositionVersion::HolderName, 200))
                .col(json_binary(PositionVersion::Responsibilities))
                .col(timestamp_with_time_zone(PositionVersion::CreatedAt))
                .references(PositionVersion::PositionId, Dated::Position, Dated::Id)
                .to_owned(),
        )
        .await?;
    for index in [
        unique_index_on(
            "ux_org_unit_version_day",
            OrgUnitVersion::Table,
            &[
                OrgUnitVersion::OrganizationId,
                OrgUnitVersion::UnitId,
                OrgUnitVersion::EffectiveFrom,
            ],
        ),
        unique_index_on(
            "ux_position_version_day",
            PositionVersion::Table,
            &[
                PositionVersion::OrganizationId,
                PositionVersion::PositionId,
                PositionVersion::EffectiveFrom,
            ],
        ),
        index_on(
            "ix_org_unit_org_from",
            Dated::OrgUnit,
            &[Dated::OrganizationId, Dated::EffectiveFrom],
        ),
    ] {
        manager.create_index(index).await?;
    }
    Ok(())
}

#[derive(FromQueryResult)]
struct UnitRow {
    id: Uuid,
    organization_id: Uuid,
    name: String,
    function: String,
    sourcing: String,
    description: Option<String>,
    archived: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(FromQueryResult)]
struct PositionRow {
    id: Uuid,
    organization_id: Uuid,
    unit_id: Uuid,
    title: String,
    role: String,
    holder_name: Option<String>,
    responsibilities: JsonValue,
    archived: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(FromQueryResult)]
struct LineStart {
    unit_id: Uuid,
    superior_unit_id: Uuid,
    effective_from: NaiveDate,
}

/// Works out every existing row's days and writes its first version: one pass over
/// the units, the lines and the positions, one update and one insert per row.
async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let select = |sql: &str| Statement::from_string(backend, sql.to_owned());

    let mut first_day: HashMap<Uuid, NaiveDate> = HashMap::new();
    let lines = LineStart::find_by_statement(select(
        "SELECT unit_id, superior_unit_id, effective_from FROM reporting_line",
    ))
    .all(db)
    .await?;
    for line in &lines {
        for unit in [line.unit_id, line.superior_unit_id] {
            let day = first_day.entry(unit).or_insert(line.effective_from);
            *day = (*day).min(line.effective_from);
        }
    }

    let units = UnitRow::find_by_statement(select(
        "SELECT id, organization_id, name, function, sourcing, description, archived, \
         created_at, updated_at FROM org_unit",
    ))
    .all(db)
    .await?;
    let mut unit_from: HashMap<Uuid, NaiveDate> = HashMap::new();
    for unit in units {
        let created = unit.created_at.date_naive();
        let from = first_day
            .get(&unit.id)
            .map_or(created, |d| (*d).min(created));
        unit_from.insert(unit.id, from);
        let to = ended(unit.archived, unit.updated_at, from);
        set_days(db, backend, "org_unit", unit.id, from, to).await?;
        run(
            db,
            backend,
            Query::insert()
                .into_table(OrgUnitVersion::Table)
                .columns([
                    OrgUnitVersion::Id,
                    OrgUnitVersion::OrganizationId,
                    OrgUnitVersion::UnitId,
                    OrgUnitVersion::EffectiveFrom,
                    OrgUnitVersion::Name,
                    OrgUnitVersion::Function,
                    OrgUnitVersion::Sourcing,
                    OrgUnitVersion::Description,
                    OrgUnitVersion::CreatedAt,
                ])
                .values_panic([
                    Uuid::now_v7().into(),
                    unit.organization_id.into(),
                    unit.id.into(),
                    from.into(),
                    unit.name.into(),
                    unit.function.into(),
                    unit.sourcing.into(),
                    unit.description.into(),
                    unit.created_at.into(),
                ])
                .to_owned(),
        )
        .await?;
    }

    let positions = PositionRow::find_by_statement(select(
        "SELECT id, organization_id, unit_id, title, role, holder_name, responsibilities, \
         archived, created_at, updated_at FROM position",
    ))
    .all(db)
    .await?;
    for position in positions {
        let created = position.created_at.date_naive();
        let from = unit_from.get(&position.unit_id).copied().unwrap_or(created);
        let to = ended(position.archived, position.updated_at, from);
        set_days(db, backend, "position", position.id, from, to).await?;
        run(
            db,
            backend,
            Query::insert()
                .into_table(PositionVersion::Table)
                .columns([
                    PositionVersion::Id,
                    PositionVersion::OrganizationId,
                    PositionVersion::PositionId,
                    PositionVersion::EffectiveFrom,
                    PositionVersion::Title,
                    PositionVersion::Role,
                    PositionVersion::HolderName,
                    PositionVersion::Responsibilities,
                    PositionVersion::CreatedAt,
                ])
                .values_panic([
                    Uuid::now_v7().into(),
                    position.organization_id.into(),
                    position.id.into(),
                    from.into(),
                    position.title.into(),
                    position.role.into(),
                    position.holder_name.into(),
                    position.responsibilities.into(),
                    position.created_at.into(),
                ])
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

/// The day an archived row ended: the day of its last change, and never before the
/// day after it began (a row always exists for at least one day).
fn ended(archived: bool, updated_at: DateTime<Utc>, from: NaiveDate) -> Option<NaiveDate> {
    archived.then(|| {
        let day = updated_at.date_naive();
        day.max(from.succ_opt().unwrap_or(from))
    })
}

async fn set_days(
    db: &SchemaManagerConnection<'_>,
    backend: DbBackend,
    table: &'static str,
    id: Uuid,
    from: NaiveDate,
    to: Option<NaiveDate>,
) -> Result<(), DbErr> {
    run(
        db,
        backend,
        Query::update()
            .table(Alias::new(table))
            .value(Dated::EffectiveFrom, from)
            .value(Dated::EffectiveTo, to)
            .and_where(Expr::col(Dated::Id).eq(id))
            .to_owned(),
    )
    .await
}

/// Runs one built statement with its values bound.
async fn run(
    db: &SchemaManagerConnection<'_>,
    backend: DbBackend,
    statement: impl QueryStatementWriter,
) -> Result<(), DbErr> {
    let (sql, values) = statement.build_any(&*backend.get_query_builder());
    db.execute(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(())
}

#[derive(DeriveIden, Clone)]
enum Dated {
    OrgUnit,
    Position,
    Id,
    OrganizationId,
    EffectiveFrom,
    EffectiveTo,
    Archived,
}

#[derive(DeriveIden, Clone)]
enum OrgUnitVersion {
    Table,
    Id,
    OrganizationId,
    UnitId,
    EffectiveFrom,
    Name,
    Function,
    Sourcing,
    Description,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum PositionVersion {
    Table,
    Id,
    OrganizationId,
    PositionId,
    EffectiveFrom,
    Title,
    Role,
    HolderName,
    Responsibilities,
    CreatedAt,
}
