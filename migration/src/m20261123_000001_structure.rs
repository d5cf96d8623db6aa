//! The organization structure: organizations, units, positions and reporting lines.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{AddsTables, TableExt, index_on, tenant_table, unique_index_on, with_lifecycle};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl AddsTables for Migration {
    fn tables(&self) -> Vec<TableCreateStatement> {
        vec![
            with_lifecycle(
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
            ),
            with_lifecycle(
                tenant_table(OrgUnit::Table)
                    .col(string_len(OrgUnit::Name, 200))
                    .col(string_len(OrgUnit::Function, 40))
                    .col(string_len(OrgUnit::Sourcing, 40))
                    .col(text_null(OrgUnit::Description))
                    .col(boolean(OrgUnit::Archived).default(false))
                    .to_owned(),
            ),
            with_lifecycle(
                tenant_table(Position::Table)
                    .col(uuid(Position::UnitId))
                    .col(string_len(Position::Title, 200))
                    .col(string_len(Position::Role, 40))
                    .col(string_len_null(Position::HolderName, 200))
                    .col(json_binary(Position::Responsibilities))
                    .col(boolean(Position::Archived).default(false))
                    .references(Position::UnitId, OrgUnit::Table, OrgUnit::Id)
                    .to_owned(),
            ),
            with_lifecycle(
                tenant_table(ReportingLine::Table)
                    .col(uuid(ReportingLine::UnitId))
                    .col(uuid(ReportingLine::SuperiorUnitId))
                    .col(string_len(ReportingLine::Kind, 10))
                    .col(date(ReportingLine::EffectiveFrom))
                    .col(date_null(ReportingLine::EffectiveTo))
                    .references(ReportingLine::UnitId, OrgUnit::Table, OrgUnit::Id)
                    .references(ReportingLine::SuperiorUnitId, OrgUnit::Table, OrgUnit::Id)
                    .to_owned(),
            ),
        ]
    }

    fn indexes(&self) -> Vec<IndexCreateStatement> {
        vec![
            unique_index_on(
                "ux_organization_slug",
                Organization::Table,
                &[Organization::Slug],
            ),
            index_on(
                "ix_org_unit_org",
                OrgUnit::Table,
                &[OrgUnit::OrganizationId],
            ),
            index_on(
                "ix_position_org_unit",
                Position::Table,
                &[Position::OrganizationId, Position::UnitId],
            ),
            index_on(
                "ix_reporting_line_org_unit",
                ReportingLine::Table,
                &[ReportingLine::OrganizationId, ReportingLine::UnitId],
            ),
            index_on(
                "ix_reporting_line_org_superior",
                ReportingLine::Table,
                &[ReportingLine::OrganizationId, ReportingLine::SuperiorUnitId],
            ),
        ]
    }

    async fn fill(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
    OrganizationId,
    UnitId,
    SuperiorUnitId,
    Kind,
    EffectiveFrom,
    EffectiveTo,
}
