//! The organization structure: organizations, units, positions and reporting lines.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{drop_tables, fk, with_lifecycle};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(with_lifecycle(
                Table::create()
                    .table(Organization::Table)
                    .col(pk_uuid(Organization::Id))
                    .col(string_len(Organization::Slug, 63))
                    .col(string_len(Organization::Name, 200))
                    .col(string_len_null(Organization::Industry, 200))
                    .col(integer_null(Organization::EmployeeCount))
                    .col(string_len_null(Organization::DeclaredModel, 40))
                    .col(boolean(Organization::Archived).default(false))
                    .to_owned(),
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_organization_slug")
                    .table(Organization::Table)
                    .col(Organization::Slug)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(with_lifecycle(
                Table::create()
                    .table(OrgUnit::Table)
                    .col(pk_uuid(OrgUnit::Id))
                    .col(uuid(OrgUnit::OrganizationId))
                    .col(string_len(OrgUnit::Name, 200))
                    .col(string_len(OrgUnit::Function, 40))
                    .col(string_len(OrgUnit::Sourcing, 40))
                    .col(text_null(OrgUnit::Description))
                    .col(boolean(OrgUnit::Archived).default(false))
                    .foreign_key(&mut fk(
                        OrgUnit::Table,
                        OrgUnit::OrganizationId,
                        Organization::Table,
                        Organization::Id,
                    ))
                    .to_owned(),
            ))
            .await?;
        index(
            manager,
            "ix_org_unit_org",
            OrgUnit::Table,
            &[OrgUnit::OrganizationId],
        )
        .await?;

        manager
            .create_table(with_lifecycle(
                Table::create()
                    .table(Position::Table)
                    .col(pk_uuid(Position::Id))
                    .col(uuid(Position::OrganizationId))
                    .col(uuid(Position::UnitId))
                    .col(string_len(Position::Title, 200))
                    .col(string_len(Position::Role, 40))
                    .col(string_len_null(Position::HolderName, 200))
                    .col(json_binary(Position::Responsibilities))
                    .col(boolean(Position::Archived).default(false))
                    .foreign_key(&mut fk(
                        Position::Table,
                        Position::OrganizationId,
                        Organization::Table,
                        Organization::Id,
                    ))
                    .foreign_key(&mut fk(
                        Position::Table,
                        Position::UnitId,
                        OrgUnit::Table,
                        OrgUnit::Id,
                    ))
                    .to_owned(),
            ))
            .await?;
        index(
            manager,
            "ix_position_org_unit",
            Position::Table,
            &[Position::OrganizationId, Position::UnitId],
        )
        .await?;

        manager
            .create_table(with_lifecycle(
                Table::create()
                    .table(ReportingLine::Table)
                    .col(pk_uuid(ReportingLine::Id))
                    .col(uuid(ReportingLine::OrganizationId))
                    .col(uuid(ReportingLine::UnitId))
                    .col(uuid(ReportingLine::SuperiorUnitId))
                    .col(string_len(ReportingLine::Kind, 10))
                    .col(date(ReportingLine::EffectiveFrom))
                    .col(date_null(ReportingLine::EffectiveTo))
                    .foreign_key(&mut fk(
                        ReportingLine::Table,
                        ReportingLine::OrganizationId,
                        Organization::Table,
                        Organization::Id,
                    ))
                    .foreign_key(&mut fk(
                        ReportingLine::Table,
                        ReportingLine::UnitId,
                        OrgUnit::Table,
                        OrgUnit::Id,
                    ))
                    .foreign_key(&mut fk(
                        ReportingLine::Table,
                        ReportingLine::SuperiorUnitId,
                        OrgUnit::Table,
                        OrgUnit::Id,
                    ))
                    .to_owned(),
            ))
            .await?;
        index(
            manager,
            "ix_reporting_line_org_unit",
            ReportingLine::Table,
            &[ReportingLine::OrganizationId, ReportingLine::UnitId],
        )
        .await?;
        index(
            manager,
            "ix_reporting_line_org_superior",
            ReportingLine::Table,
            &[ReportingLine::OrganizationId, ReportingLine::SuperiorUnitId],
        )
        .await?;
        // The database's own guard for "at most one current SOLID superior per unit": the
        // service checks overlapping date ranges too, but this index also stops two
        // concurrent writers that both passed that check. Partial indexes work on SQLite
        // and PostgreSQL alike; sea-query cannot express the WHERE clause, hence raw SQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_reporting_line_current_solid ON reporting_line \
                 (organization_id, unit_id) WHERE kind = 'SOLID' AND effective_to IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                ReportingLine::Table.into_iden(),
                Position::Table.into_iden(),
                OrgUnit::Table.into_iden(),
                Organization::Table.into_iden(),
            ],
        )
        .await
    }
}

/// Creates a plain (non-unique) index.
pub(crate) async fn index<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: &[C],
) -> Result<(), DbErr>
where
    T: IntoIden + 'static,
    C: IntoIden + Clone + 'static,
{
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col.clone());
    }
    manager.create_index(stmt).await
}

#[derive(DeriveIden, Clone)]
pub(crate) enum Organization {
    Table,
    Id,
    Slug,
    Name,
    Industry,
    EmployeeCount,
    DeclaredModel,
    Archived,
}

#[derive(DeriveIden, Clone)]
pub(crate) enum OrgUnit {
    Table,
    Id,
    OrganizationId,
    Name,
    Function,
    Sourcing,
    Description,
    Archived,
}

#[derive(DeriveIden, Clone)]
enum Position {
    Table,
    Id,
    OrganizationId,
    UnitId,
    Title,
    Role,
    HolderName,
    Responsibilities,
    Archived,
}

#[derive(DeriveIden, Clone)]
enum ReportingLine {
    Table,
    Id,
    OrganizationId,
    UnitId,
    SuperiorUnitId,
    Kind,
    EffectiveFrom,
    EffectiveTo,
}
