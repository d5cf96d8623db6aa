//! Leadership priorities (catalog loaded here) and their assessments; stakeholders,
//! relationships and relationship reviews.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    AddsTables, TableExt, index_on, m20261123_000001_structure::OrgUnit, tenant_table,
    with_lifecycle,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The four leadership priorities of marketing leaders: about trust and relationships
/// rather than campaigns.
const PRIORITIES: [(&str, i32, &str, &str); 4] = [
    (
        "COMPANY_VALUES",
        1,
        "Defining and instilling company values",
        "Marketing leaders shape what the company stands for and carry those values inside and outside it.",
    ),
    (
        "STAKEHOLDER_RELATIONSHIPS",
        2,
        "Building and managing stakeholder relationships",
        "Customers, employees, investors, line-of-business executives, finance, the CIO and IT, the board: marketing keeps ties with all of them.",
    ),
    (
        "NEW_MEDIA_CAPABILITY",
        3,
        "Equipping the company with new-media skills and tools",
        "Marketing brings the skills and tools of new media into the whole company, not only its own team.",
    ),
    (
        "TRUST",
        4,
        "Building and managing trust in all its dimensions",
        "Trust of customers, employees, partners and the public is built and kept deliberately.",
    ),
];

#[async_trait::async_trait]
impl AddsTables for Migration {
    fn tables(&self) -> Vec<TableCreateStatement> {
        vec![
            Table::create()
                .table(LeadershipPriority::Table)
                .col(string_len(LeadershipPriority::Key, 40).primary_key())
                .col(integer(LeadershipPriority::Ordinal))
                .col(string_len(LeadershipPriority::Name, 200))
                .col(text(LeadershipPriority::Description))
                .to_owned(),
            tenant_table(PriorityAssessment::Table)
                .col(string_len(PriorityAssessment::Priority, 40))
                .col(integer(PriorityAssessment::Score))
                .col(integer(PriorityAssessment::Weight).default(1))
                .col(uuid_null(PriorityAssessment::OwnerUnitId))
                .col(text_null(PriorityAssessment::Notes))
                .col(timestamp_with_time_zone(PriorityAssessment::AssessedAt))
                .col(string_len_null(PriorityAssessment::AssessedBy, 200))
                .col(timestamp_with_time_zone(PriorityAssessment::CreatedAt))
                .references(
                    PriorityAssessment::Priority,
                    LeadershipPriority::Table,
                    LeadershipPriority::Key,
                )
                .references(PriorityAssessment::OwnerUnitId, OrgUnit::Table, OrgUnit::Id)
                .to_owned(),
            with_lifecycle(
                tenant_table(Stakeholder::Table)
                    .col(string_len(Stakeholder::Name, 200))
                    .col(string_len(Stakeholder::Kind, 20))
                    .col(uuid_null(Stakeholder::UnitId))
                    .col(string_len_null(Stakeholder::GroupName, 40))
                    .col(boolean(Stakeholder::Archived).default(false))
                    .references(Stakeholder::UnitId, OrgUnit::Table, OrgUnit::Id)
                    .to_owned(),
            ),
            with_lifecycle(
                tenant_table(Relationship::Table)
                    .col(uuid(Relationship::OwnerUnitId))
                    .col(uuid(Relationship::StakeholderId))
                    .col(integer(Relationship::TrustScore))
                    .col(string_len(Relationship::Strength, 20))
                    .col(timestamp_with_time_zone_null(Relationship::LastReviewedAt))
                    .col(text_null(Relationship::Notes))
                    .col(boolean(Relationship::Archived).default(false))
                    .references(Relationship::OwnerUnitId, OrgUnit::Table, OrgUnit::Id)
                    .references(
                        Relationship::StakeholderId,
                        Stakeholder::Table,
                        Stakeholder::Id,
                    )
                    .to_owned(),
            ),
            Table::create()
                .table(RelationshipReview::Table)
                .col(pk_uuid(RelationshipReview::Id))
                .col(uuid(RelationshipReview::OrganizationId))
                .col(uuid(RelationshipReview::RelationshipId))
                .col(integer(RelationshipReview::TrustScore))
                .col(string_len(RelationshipReview::Strength, 20))
                .col(text_null(RelationshipReview::Notes))
                .col(timestamp_with_time_zone(RelationshipReview::ReviewedAt))
                .col(string_len_null(RelationshipReview::ReviewedBy, 200))
                .references(
                    RelationshipReview::RelationshipId,
                    Relationship::Table,
                    Relationship::Id,
                )
                .to_owned(),
        ]
    }

    fn indexes(&self) -> Vec<IndexCreateStatement> {
        vec![
            index_on(
                "ix_priority_assessment_org",
                PriorityAssessment::Table,
                &[
                    PriorityAssessment::OrganizationId,
                    PriorityAssessment::Priority,
                    PriorityAssessment::AssessedAt,
                ],
            ),
            index_on(
                "ix_stakeholder_org",
                Stakeholder::Table,
                &[Stakeholder::OrganizationId],
            ),
            index_on(
                "ix_relationship_org_owner",
                Relationship::Table,
                &[Relationship::OrganizationId, Relationship::OwnerUnitId],
            ),
            index_on(
                "ix_relationship_review_org_relationship",
                RelationshipReview::Table,
                &[
                    RelationshipReview::OrganizationId,
                    RelationshipReview::RelationshipId,
                ],
            ),
        ]
    }

    async fn fill(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut insert = Query::insert();
        insert.into_table(LeadershipPriority::Table).columns([
            LeadershipPriority::Key,
            LeadershipPriority::Ordinal,
            LeadershipPriority::Name,
            LeadershipPriority::Description,
        ]);
        for (key, ordinal, name, description) in PRIORITIES {
            insert.values_panic([key.into(), ordinal.into(), name.into(), description.into()]);
        }
        manager.exec_stmt(insert).await?;
        Ok(())
    }
}

#[derive(DeriveIden, Clone)]
enum LeadershipPriority {
    Table,
    Key,
    Ordinal,
    Name,
    Description,
}

#[derive(DeriveIden, Clone)]
enum PriorityAssessment {
    Table,
    OrganizationId,
    Priority,
    Score,
    Weight,
    OwnerUnitId,
    Notes,
    AssessedAt,
    AssessedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone)]
enum Stakeholder {
    Table,
    Id,
    OrganizationId,
    Name,
    Kind,
    UnitId,
    GroupName,
    Archived,
}

#[derive(DeriveIden, Clone)]
enum Relationship {
    Table,
    Id,
    OrganizationId,
    OwnerUnitId,
    StakeholderId,
    TrustScore,
    Strength,
    LastReviewedAt,
    Notes,
    Archived,
}

#[derive(DeriveIden, Clone)]
enum RelationshipReview {
    Table,
    Id,
    OrganizationId,
    RelationshipId,
    TrustScore,
    Strength,
    Notes,
    ReviewedAt,
    ReviewedBy,
}
