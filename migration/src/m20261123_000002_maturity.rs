//! The maturity-stage catalog (loaded here) and organizations' declared stages.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{AddsTables, TableExt, index_on, tenant_table};

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
impl AddsTables for Migration {
    fn tables(&self) -> Vec<TableCreateStatement> {
        vec![
            Table::create()
                .table(MaturityStage::Table)
                .col(string_len(MaturityStage::Key, 40).primary_key())
                .col(integer(MaturityStage::Ordinal))
                .col(string_len(MaturityStage::Name, 100))
                .col(string_len(MaturityStage::AccountableFor, 200))
                .col(text(MaturityStage::Description))
                .to_owned(),
            tenant_table(StageAssessment::Table)
                .col(string_len(StageAssessment::Stage, 40))
                .col(date(StageAssessment::AssessedOn))
                .col(text_null(StageAssessment::Rationale))
                .col(string_len_null(StageAssessment::AssessedBy, 200))
                .col(timestamp_with_time_zone(StageAssessment::CreatedAt))
                .references(
                    StageAssessment::Stage,
                    MaturityStage::Table,
                    MaturityStage::Key,
                )
                .to_owned(),
        ]
    }

    fn indexes(&self) -> Vec<IndexCreateStatement> {
        vec![index_on(
            "ix_stage_assessment_org",
            StageAssessment::Table,
            &[StageAssessment::OrganizationId, StageAssessment::AssessedOn],
        )]
    }

    async fn fill(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
        Ok(())
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
    OrganizationId,
    Stage,
    AssessedOn,
    Rationale,
    AssessedBy,
    CreatedAt,
}
