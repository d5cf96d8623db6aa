//! Stakeholders and the relationships marketing keeps with them: internal ones point
//! at a unit (finance, IT, a business unit), external ones are groups (customers,
//! investors, the board ...). Every review of a relationship is kept.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entity::{org_unit, relationship, relationship_review, stakeholder};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::{
    domain::{
        Description, Name, RelationshipStrength, StakeholderGroup, StakeholderKind, parse_id,
    },
    error::{Error, GqlResult, Result},
    graphql::context::{db, request},
    organizations::service::{check_version, lock, now},
};

/// An organization's stakeholders and relationships (archived left out).
pub async fn load(
    db: &DatabaseConnection,
    organization: Uuid,
) -> Result<(Vec<stakeholder::Model>, Vec<relationship::Model>)> {
    let stakeholders = stakeholder::Entity::find()
        .filter(stakeholder::Column::OrganizationId.eq(organization))
        .filter(stakeholder::Column::Archived.eq(false))
        .order_by_asc(stakeholder::Column::Name)
        .all(db)
        .await?;
    let relationships = relationship::Entity::find()
        .filter(relationship::Column::OrganizationId.eq(organization))
        .filter(relationship::Column::Archived.eq(false))
        .order_by_asc(relationship::Column::CreatedAt)
        .all(db)
        .await?;
    Ok((stakeholders, relationships))
}

/// A stakeholder.
pub struct StakeholderObject(pub stakeholder::Model);

#[Object(name = "Stakeholder")]
impl StakeholderObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn kind(&self) -> GqlResult<StakeholderKind> {
        Ok(StakeholderKind::from_db(&self.0.kind)?)
    }

    /// The unit, for internal stakeholders.
    async fn unit_id(&self) -> Option<ID> {
        self.0.unit_id.map(|id| ID(id.to_string()))
    }

    /// The group, for external stakeholders.
    async fn group(&self) -> GqlResult<Option<StakeholderGroup>> {
        Ok(self
            .0
            .group
            .as_deref()
            .map(StakeholderGroup::from_db)
            .transpose()?)
    }
}

/// A relationship an owner unit keeps with a stakeholder.
pub struct RelationshipObject(pub relationship::Model);

#[Object(name = "Relationship")]
impl RelationshipObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The unit that keeps the relationship (usually marketing).
    async fn owner_unit_id(&self) -> ID {
        ID(self.0.owner_unit_id.to_string())
    }

    async fn stakeholder_id(&self) -> ID {
        ID(self.0.stakeholder_id.to_string())
    }

    /// 0 to 100.
    async fn trust_score(&self) -> i32 {
        self.0.trust_score
    }

    async fn strength(&self) -> GqlResult<RelationshipStrength> {
        Ok(RelationshipStrength::from_db(&self.0.strength)?)
    }

    async fn last_reviewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_reviewed_at
    }

    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }

    /// Optimistic-concurrency version; send it back with reviews.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Every review, newest first.
    async fn reviews(&self, ctx: &Context<'_>) -> GqlResult<Vec<RelationshipReview>> {
        Ok(relationship_review::Entity::find()
            .filter(relationship_review::Column::OrganizationId.eq(self.0.organization_id))
            .filter(relationship_review::Column::RelationshipId.eq(self.0.id))
            .order_by_desc(relationship_review::Column::ReviewedAt)
            .all(db(ctx)?)
            .await?
            .into_iter()
            .map(RelationshipReview)
            .collect())
    }
}

/// One review of a relationship.
pub struct RelationshipReview(pub relationship_review::Model);

#[Object]
impl RelationshipReview {
    async fn trust_score(&self) -> i32 {
        self.0.trust_score
    }

    async fn strength(&self) -> GqlResult<RelationshipStrength> {
        Ok(RelationshipStrength::from_db(&self.0.strength)?)
    }

    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }

    async fn reviewed_at(&self) -> DateTime<Utc> {
        self.0.reviewed_at
    }

    async fn reviewed_by(&self) -> Option<&str> {
        self.0.reviewed_by.as_deref()
    }
}

/// Input of `createStakeholder`.
#[derive(InputObject, Debug)]
pub struct CreateStakeholderInput {
    pub organization_id: ID,
    pub name: String,
    pub kind: StakeholderKind,
    /// Required for INTERNAL: the unit (finance, IT, a business unit ...).
    pub unit_id: Option<ID>,
    /// Required for EXTERNAL: the group.
    pub group: Option<StakeholderGroup>,
}

/// Input of `createRelationship`.
#[derive(InputObject, Debug)]
pub struct CreateRelationshipInput {
    /// The unit that keeps it (usually marketing).
    pub owner_unit_id: ID,
    pub stakeholder_id: ID,
    /// 0 to 100.
    pub trust_score: i32,
    pub strength: RelationshipStrength,
    pub notes: Option<String>,
}

/// Input of `reviewRelationship`.
#[derive(InputObject, Debug)]
pub struct ReviewRelationshipInput {
    pub id: ID,
    pub version: i32,
    pub trust_score: i32,
    pub strength: RelationshipStrength,
    pub notes: Option<String>,
}

fn check_trust(score: i32) -> Result<()> {
    if (0..=100).contains(&score) {
        Ok(())
    } else {
        Err(Error::bad_input(
            "input.trustScore",
            "must be between 0 and 100",
        ))
    }
}

async fn review_row<C: sea_orm::ConnectionTrait>(
    tx: &C,
    row: &relationship::Model,
    by: &str,
) -> Result<()> {
    relationship_review::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(row.organization_id),
        relationship_id: Set(row.id),
        trust_score: Set(row.trust_score),
        strength: Set(row.strength.clone()),
        notes: Set(row.notes.clone()),
        reviewed_at: Set(row.last_reviewed_at.unwrap_or_else(now)),
        reviewed_by: Set(Some(by.chars().take(200).collect())),
    }
    .insert(tx)
    .await?;
    Ok(())
}

/// Stakeholder and relationship mutations. Editors and admins.
#[derive(Default)]
pub struct RelationshipMutation;

#[Object]
impl RelationshipMutation {
    /// Adds a stakeholder: an internal one points at a unit, an external one names a
    /// group.
    async fn create_stakeholder(
        &self,
        ctx: &Context<'_>,
        input: CreateStakeholderInput,
    ) -> GqlResult<StakeholderObject> {
        let context = request(ctx)?;
        let (_, organization) =
            context.writer_of("input.organizationId", &input.organization_id)?;
        let name = Name::parse("input.name", &input.name)?;
        let unit = input
            .unit_id
            .map(|u| parse_id("input.unitId", &u))
            .transpose()?;
        match (input.kind, unit, input.group) {
            (StakeholderKind::Internal, Some(_), None)
            | (StakeholderKind::External, None, Some(_)) => {}
            (StakeholderKind::Internal, _, _) => {
                return Err(Error::bad_input(
                    "input.unitId",
                    "an internal stakeholder names a unit (and no group)",
                )
                .into());
            }
            (StakeholderKind::External, _, _) => {
                return Err(Error::bad_input(
                    "input.group",
                    "an external stakeholder names a group (and no unit)",
                )
                .into());
            }
        }
        let db = db(ctx)?;
        let tx = crate::db::begin_write(db).await?;
        let org = lock(&tx, organization)
            .await
            .map_err(|e| e.on_field("input.organizationId"))?;
        if let Some(unit) = unit {
            crate::units::service::ensure_of_organization(&tx, org.id, unit, "input.unitId")
                .await?;
        }
        let now = now();
        let row = stakeholder::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org.id),
            name: Set(name.into_inner()),
            kind: Set(input.kind.as_str().to_owned()),
            unit_id: Set(unit),
            group: Set(input.group.map(|g| g.as_str().to_owned())),
            archived: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
        .insert(&tx)
        .await?;
        crate::audit::record(&tx, context, Some(org.id), "createStakeholder", &[row.id]).await?;
        tx.commit().await?;
        Ok(StakeholderObject(row))
    }

    /// Starts tracking a relationship; its first review is recorded with it.
    async fn create_relationship(
        &self,
        ctx: &Context<'_>,
        input: CreateRelationshipInput,
    ) -> GqlResult<RelationshipObject> {
        let context = request(ctx)?;
        let principal = context.principal()?;
        principal.may_write_structure()?;
        check_trust(input.trust_score)?;
        let owner = parse_id("input.ownerUnitId", &input.owner_unit_id)?;
        let stakeholder_id = parse_id("input.stakeholderId", &input.stakeholder_id)?;
        let notes = Description::parse_opt("input.notes", input.notes.as_deref())?;
        let db = db(ctx)?;
        let owner_unit = org_unit::Entity::find_by_id(owner)
            .one(db)
            .await?
            .filter(|u| principal.reaches(u.organization_id))
            .ok_or_else(|| Error::not_found_at("unit", "input.ownerUnitId"))?;
        principal
            .may_write(owner_unit.organization_id, "unit")
            .map_err(|e| e.on_field("input.ownerUnitId"))?;
        let tx = crate::db::begin_write(db).await?;
        let org = lock(&tx, owner_unit.organization_id).await?;
        let found = stakeholder::Entity::find_by_id(stakeholder_id)
            .one(&tx)
            .await?;
        if found.is_none_or(|s| s.organization_id != org.id) {
            return Err(Error::not_found_at("stakeholder", "input.stakeholderId").into());
        }
        let now = now();
        let row = relationship::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org.id),
            owner_unit_id: Set(owner_unit.id),
            stakeholder_id: Set(stakeholder_id),
            trust_score: Set(input.trust_score),
            strength: Set(input.strength.as_str().to_owned()),
            last_reviewed_at: Set(Some(now)),
            notes: Set(notes.map(Description::into_inner)),
            archived: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
        .insert(&tx)
        .await?;
        review_row(&tx, &row, &principal.subject).await?;
        crate::audit::record(&tx, context, Some(org.id), "createRelationship", &[row.id]).await?;
        tx.commit().await?;
        Ok(RelationshipObject(row))
    }

    /// Records a review: the new trust score and strength; the history keeps every one.
    async fn review_relationship(
        &self,
        ctx: &Context<'_>,
        input: ReviewRelationshipInput,
    ) -> GqlResult<RelationshipObject> {
        let context = request(ctx)?;
        let principal = context.principal()?;
        principal.may_write_structure()?;
        check_trust(input.trust_score)?;
        let id = parse_id("input.id", &input.id)?;
        let notes = Description::parse_opt("input.notes", input.notes.as_deref())?;
        let db = db(ctx)?;
        let current = relationship::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|r| principal.reaches(r.organization_id))
            .ok_or_else(|| Error::not_found_at("relationship", "input.id"))?;
        principal
            .may_write(current.organization_id, "relationship")
            .map_err(|e| e.on_field("input.id"))?;
        let tx = crate::db::begin_write(db).await?;
        lock(&tx, current.organization_id).await?;
        let current = relationship::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .ok_or_else(|| Error::not_found_at("relationship", "input.id"))?;
        check_version("the relationship", current.version, input.version)?;
        let now = now();
        let mut row: relationship::ActiveModel = current.clone().into();
        row.trust_score = Set(input.trust_score);
        row.strength = Set(input.strength.as_str().to_owned());
        row.notes = Set(notes.map(Description::into_inner));
        row.last_reviewed_at = Set(Some(now));
        row.updated_at = Set(now);
        row.version = Set(current.version + 1);
        let row = row.update(&tx).await?;
        review_row(&tx, &row, &principal.subject).await?;
        crate::audit::record(
            &tx,
            context,
            Some(row.organization_id),
            "reviewRelationship",
            &[row.id],
        )
        .await?;
        tx.commit().await?;
        Ok(RelationshipObject(row))
    }
}
