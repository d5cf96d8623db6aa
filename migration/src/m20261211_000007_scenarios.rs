//! Scenarios: drafts of a reorganization, and the organization's structure version
//! they are drafted against.
//!
//! `organization.structure_version` counts committed structure changes (units,
//! positions, reporting lines); a scenario records the count it was drafted (or last
//! rebased) on, so promotion can tell whether the live structure moved since. The
//! scenario's changes are one ordered JSON array on its row: they are read, validated
//! and written as a whole, and one row keeps the read of a scenario one statement
//! however many changes it has.
//!
//! A scenario's diff names the KPI series recorded against the units it moves or
//! archives: `ix_kpi_measurement_org_unit` finds a unit's points without reading the
//! whole organization's. It is partial (points with a unit only): organization-wide
//! points, most of what integrations push, would all share one key of it, and their
//! ingestion pays nothing for it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{tenant_table, with_lifecycle};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organization::Table)
                    .add_column(integer(Organization::StructureVersion).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(with_lifecycle(
                tenant_table(Scenario::Table)
                    .col(string_len(Scenario::Name, 200))
                    .col(text_null(Scenario::Description))
                    .col(date(Scenario::EffectiveFrom))
                    .col(string_len(Scenario::Status, 20))
                    .col(string_len(Scenario::CreatedBy, 200))
                    .col(integer(Scenario::BaseStructureVersion))
                    .col(timestamp_with_time_zone(Scenario::BasedAt))
                    .col(json_binary(Scenario::Changes))
                    .col(timestamp_with_time_zone_null(Scenario::ClosedAt))
                    .to_owned(),
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_scenario_org_created")
                    .table(Scenario::Table)
                    .col(Scenario::OrganizationId)
                    .col(Scenario::CreatedAt)
                    .col(Scenario::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_kpi_measurement_org_unit")
                    .table(KpiMeasurement::Table)
                    .col(KpiMeasurement::OrganizationId)
                    .col(KpiMeasurement::UnitId)
                    .col(KpiMeasurement::KpiId)
                    // Organization-wide points (no unit), most of what integrations
                    // push, stay out of it: they cost the ingestion nothing more, and
                    // every key it holds is a unit's.
                    .and_where(Expr::col(KpiMeasurement::UnitId).is_not_null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_kpi_measurement_org_unit")
                    .table(KpiMeasurement::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Scenario::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organization::Table)
                    .drop_column(Organization::StructureVersion)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Organization {
    Table,
    StructureVersion,
}

#[derive(DeriveIden, Clone, Copy)]
enum KpiMeasurement {
    Table,
    OrganizationId,
    UnitId,
    KpiId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Scenario {
    Table,
    Id,
    OrganizationId,
    Name,
    Description,
    EffectiveFrom,
    Status,
    CreatedBy,
    BaseStructureVersion,
    BasedAt,
    Changes,
    ClosedAt,
    CreatedAt,
}
