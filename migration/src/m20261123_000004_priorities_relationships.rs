//! Leadership priorities (catalog loaded here) and their assessments; stakeholders,
//! relationships and relationship reviews.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    drop_tables, fk,
    m20261123_000001_structure::{OrgUnit, Organization, index},
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
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LeadershipPriority::Table)
                    .col(string_len(LeadershipPriority::Key, 40).primary_key())
                    .col(integer(LeadershipPriority::Ordinal))
                    .col(string_len(LeadershipPriority::Name, 200))
                    .col(text(LeadershipPriority::Description))
                    .to_owned(),
            )
            .await?;
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

        manager
            .create_table(
                Table::create()
                    .table(PriorityAssessment::Table)
                    .col(pk_uuid(PriorityAssessment::Id))
                    .col(uuid(PriorityAssessment::OrganizationId))
                    .col(string_len(PriorityAssessment::Priority, 40))
                    .col(integer(PriorityAssessment::Score))
                    .col(integer(PriorityAssessment::Weight).default(1))
                    .col(uuid_null(PriorityAssessment::OwnerUnitId))
                    .col(text_null(PriorityAssessment::Notes))
                    .col(timestamp_with_time_zone(PriorityAssessment::AssessedAt))
                    .col(string_len_null(PriorityAssessment::AssessedBy, 200))
                    .col(timestamp_with_time_zone(PriorityAssessment::CreatedAt))
                    .foreign_key(&mut fk(
                        PriorityAssessment::Table,
                        PriorityAssessment::OrganizationId,
                        Organization::Table,
                        Organization::Id,
                    ))
                    .foreign_key(&mut fk(
                        PriorityAssessment::Table,
                        PriorityAssessment::Priority,
                        LeadershipPriority::Table,
                        LeadershipPriority::Key,
                    ))
                    .foreign_key(&mut fk(
                        PriorityAssessment::Table,
                        PriorityAssessment::OwnerUnitId,
                        OrgUnit::Table,
                        OrgUnit::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_priority_assessment_org",
            PriorityAssessment::Table,
            &[
                PriorityAssessment::OrganizationId,
                PriorityAssessment::Priority,
                PriorityAssessment::AssessedAt,
            ],
        )
        .await?;

        manager
            .create_table(with_lifecycle(
                Table::create()
                    .table(Stakeholder::Table)
                    .col(pk_uuid(Stakeholder::Id))
                    .col(uuid(Stakeholder::OrganizationId))
                    .col(string_len(Stakeholder::Name, 200))
                    .col(string_len(Stakeholder::Kind, 20))
                    .col(uuid_null(Stakeholder::UnitId))
                    .col(string_len_null(Stakeholder::GroupName, 40))
                    .col(boolean(Stakeholder::Archived).default(false))
                    .foreign_key(&mut fk(
                        Stakeholder::Table,
                        Stakeholder::OrganizationId,
                        Organization::Table,
                        Organization::Id,
                    ))
                    .foreign_key(&mut fk(
                        Stakeholder::Table,
                        Stakeholder::UnitId,
                        OrgUnit::Table,
                        OrgUnit::Id,
                    ))
                    .to_owned(),
            ))
            .await?;
        index(
            manager,
            "ix_stakeholder_org",
            Stakeholder::Table,
            &[Stakeholder::OrganizationId],
        )
        .await?;

        manager
            .create_table(with_lifecycle(
                Table::create()
                    .table(Relationship::Table)
                    .col(pk_uuid(Relationship::Id))
                    .col(uuid(Relationship::OrganizationId))
                    .col(uuid(Relationship::OwnerUnitId))
                    .col(uuid(Relationship::StakeholderId))
                    .col(integer(Relationship::TrustScore))
                    .col(string_len(Relationship::Strength, 20))
                    .col(timestamp_with_time_zone_null(Relationship::LastReviewedAt))
                    .col(text_null(Relationship::Notes))
                    .col(boolean(Relationship::Archived).default(false))
                    .foreign_key(&mut fk(
                        Relationship::Table,
                        Relationship::OrganizationId,
                        Organization::Table,
                        Organization::Id,
                    ))
                    .foreign_key(&mut fk(
                        Relationship::Table,
                        Relationship::OwnerUnitId,
                        OrgUnit::Table,
                        OrgUnit::Id,
                    ))
                    .foreign_key(&mut fk(
                        Relationship::Table,
                        Relationship::StakeholderId,
                        Stakeholder::Table,
                        Stakeholder::Id,
                    ))
                    .to_owned(),
            ))
            .await?;
        index(
            manager,
            "ix_relationship_org_owner",
            Relationship::Table,
            &[Relationship::OrganizationId, Relationship::OwnerUnitId],
        )
        .await?;

        manager
            .create_table(
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
                    .foreign_key(&mut fk(
                        RelationshipReview::Table,
                        RelationshipReview::RelationshipId,
                        Relationship::Table,
                        Relationship::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_relationship_review_org_relationship",
            RelationshipReview::Table,
            &[
                RelationshipReview::OrganizationId,
                RelationshipReview::RelationshipId,
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                RelationshipReview::Table.into_iden(),
                Relationship::Table.into_iden(),
                Stakeholder::Table.into_iden(),
                PriorityAssessment::Table.into_iden(),
                LeadershipPriority::Table.into_iden(),
            ],
        )
        .await
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
    Id,
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
