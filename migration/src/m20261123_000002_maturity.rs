//! The maturity-stage catalog (loaded here) and organizations' declared stages.

use sea_orm_migration::{prelude::*, schema::*};

use crate::fk;

use crate::m20261123_000001_structure::{Organization, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The four stages a marketing department matures through, each accountable for more.
const STAGES: [(&str, i32, &str, &str, &str); 4] = [
    (
        "TRADITIONAL",
        1,
        "Traditional",
        "Spending the budget well",
        "Marketing runs campaigns and brand work and is judged on how it spends its budget: utilisation, spend against plan, share of voice, brand awareness.",
    ),
    (
        "LEAD_GENERATION",
        2,
        "Lead generation",
        "Leads",
        "Marketing is accountable for filling the top of the funnel: number of leads, cost per lead, marketing-qualified leads.",
    ),
    (
        "OPPORTUNITY",
        3,
        "Opportunity",
        "Demand and alignment with sales",
        "Marketing and sales share one demand waterfall: sales-accepted leads, MQL to SQL conversion, pipeline generated, marketing-sourced opportunities.",
    ),
    (
        "REVENUE",
        4,
        "Revenue",
        "Revenue",
        "Marketing answers for revenue: marketing-sourced and marketing-influenced revenue, marketing ROI, customer acquisition cost.",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MaturityStage::Table)
                    .col(string_len(MaturityStage::Key, 40).primary_key())
                    .col(integer(MaturityStage::Ordinal))
                    .col(string_len(MaturityStage::Name, 100))
                    .col(string_len(MaturityStage::AccountableFor, 200))
                    .col(text(MaturityStage::Description))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert();
        insert.into_table(MaturityStage::Table).columns([
            MaturityStage::Key,
            MaturityStage::Ordinal,
            MaturityStage::Name,
            MaturityStage::AccountableFor,
            MaturityStage::Description,
        ]);
        for (key, ordinal, name, accountable, description) in STAGES {
            insert.values_panic([
                key.into(),
                ordinal.into(),
                name.into(),
                accountable.into(),
                description.into(),
            ]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
                Table::create()
                    .table(StageAssessment::Table)
                    .col(pk_uuid(StageAssessment::Id))
                    .col(uuid(StageAssessment::OrganizationId))
                    .col(string_len(StageAssessment::Stage, 40))
                    .col(date(StageAssessment::AssessedOn))
                    .col(text_null(StageAssessment::Rationale))
                    .col(string_len_null(StageAssessment::AssessedBy, 200))
                    .col(timestamp_with_time_zone(StageAssessment::CreatedAt))
                    .foreign_key(&mut fk(
                        StageAssessment::Table,
                        StageAssessment::OrganizationId,
                        Organization::Table,
                        Organization::Id,
                    ))
                    .foreign_key(&mut fk(
                        StageAssessment::Table,
                        StageAssessment::Stage,
                        MaturityStage::Table,
                        MaturityStage::Key,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_stage_assessment_org",
            StageAssessment::Table,
            &[StageAssessment::OrganizationId, StageAssessment::AssessedOn],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StageAssessment::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MaturityStage::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone)]
pub(crate) enum MaturityStage {
    Table,
    Key,
    Ordinal,
    Name,
    AccountableFor,
    Description,
}

#[derive(DeriveIden, Clone)]
enum StageAssessment {
    Table,
    Id,
    OrganizationId,
    Stage,
    AssessedOn,
    Rationale,
    AssessedBy,
    CreatedAt,
}
