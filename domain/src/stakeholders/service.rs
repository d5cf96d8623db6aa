//! Stakeholder and relationship storage rules.

use std::collections::HashMap;

use entity::{org_unit, relationship, relationship_review, stakeholder};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use crate::{
    Description, Name, RelationshipStrength, Score, StakeholderGroup, StakeholderKind,
    audit::Operation,
    auth::Writer,
    clock,
    error::{Error, Result},
    query::per_organization,
    store::Store,
    units::service::ensure_of_organization,
    write::{self, Row, Versioned, check_version},
};

/// Who a stakeholder is: a unit of the organization, or an outside group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StakeholderRef {
    Internal(Uuid),
    External(StakeholderGroup),
}

/// A new stakeholder, parsed.
#[derive(Debug)]
pub struct NewStakeholder {
    pub organization_id: Uuid,
    pub name: Name,
    pub who: StakeholderRef,
}

/// A new relationship, parsed.
#[derive(Debug)]
pub struct NewRelationship {
    /// The unit that keeps it (usually marketing).
    pub owner_unit_id: Uuid,
    pub stakeholder_id: Uuid,
    pub trust_score: Score,
    pub strength: RelationshipStrength,
    pub notes: Option<Description>,
}

/// A review of a relationship, parsed.
#[derive(Debug)]
pub struct Review {
    pub id: Uuid,
    pub version: i32,
    pub trust_score: Score,
    pub strength: RelationshipStrength,
    pub notes: Option<Description>,
}

/// Adds a stakeholder: an internal one points at a unit of the organization, an
/// external one names a group. Editors and admins.
pub async fn create_stakeholder(
    store: &Store,
    writer: Writer<'_>,
    new: NewStakeholder,
) -> Result<stakeholder::Model> {
    let write = write::begin_in(store, writer, new.organization_id).await?;
    let (tx, org) = (&write.tx, &write.organization);
    let (kind, unit, group) = match new.who {
        StakeholderRef::Internal(unit) => {
            ensure_of_organization(tx, org.id, unit, "unitId").await?;
            (StakeholderKind::Internal, Some(unit), None)
        }
        StakeholderRef::External(group) => (
            StakeholderKind::External,
            None,
            Some(group.as_str().to_owned()),
        ),
    };
    let now = clock::now();
    let row = stakeholder::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        name: Set(new.name.into_inner()),
        kind: Set(kind.as_str().to_owned()),
        unit_id: Set(unit),
        group: Set(group),
        archived: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(tx)
    .await?;
    write
        .commit(Operation::CreateStakeholder, vec![row.id])
        .await?;
    Ok(row)
}

/// Starts tracking a relationship from a unit to a stakeholder of the same
/// organization; its first review is recorded with it. Editors and admins.
pub async fn create_relationship(
    store: &Store,
    writer: Writer<'_>,
    new: NewRelationship,
) -> Result<relationship::Model> {
    let owner = Row::new(new.owner_unit_id, "ownerUnitId");
    let (write, owner_unit) = write::begin_on::<org_unit::Entity>(store, writer, owner).await?;
    let (tx, org, principal) = (&write.tx, &write.organization, write.principal()?);
    let found = stakeholder::Entity::find_by_id(new.stakeholder_id)
        .one(tx)
        .await?;
    if found.is_none_or(|s| s.organization_id != org.id) {
        return Err(Error::not_found_at("stakeholder", "stakeholderId"));
    }
    let now = clock::now();
    let row = relationship::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        owner_unit_id: Set(owner_unit.id),
        stakeholder_id: Set(new.stakeholder_id),
        trust_score: Set(new.trust_score.get()),
        strength: Set(new.strength.as_str().to_owned()),
        last_reviewed_at: Set(Some(now)),
        notes: Set(new.notes.map(Description::into_inner)),
        archived: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(tx)
    .await?;
    review_row(tx, &row, &principal.subject).await?;
    write
        .commit(Operation::CreateRelationship, vec![row.id])
        .await?;
    Ok(row)
}

/// Records a review: the new trust score and strength, if `version` is still current;
/// the history keeps every one. Editors and admins.
pub async fn review_relationship(
    store: &Store,
    writer: Writer<'_>,
    review: Review,
) -> Result<relationship::Model> {
    let relationship = Row::new(review.id, "id");
    let (write, current) =
        write::begin_on::<relationship::Entity>(store, writer, relationship).await?;
    let (tx, principal) = (&write.tx, write.principal()?);
    check_version("the relationship", current.version, review.version)?;
    let now = clock::now();
    let mut row = current.next_version(now);
    row.trust_score = Set(review.trust_score.get());
    row.strength = Set(review.strength.as_str().to_owned());
    row.notes = Set(review.notes.map(Description::into_inner));
    row.last_reviewed_at = Set(Some(now));
    let row = row.update(tx).await?;
    review_row(tx, &row, &principal.subject).await?;
    write
        .commit(Operation::ReviewRelationship, vec![row.id])
        .await?;
    Ok(row)
}

/// Appends the review a relationship's current state amounts to.
async fn review_row<C: ConnectionTrait>(tx: &C, row: &relationship::Model, by: &str) -> Result<()> {
    relationship_review::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(row.organization_id),
        relationship_id: Set(row.id),
        trust_score: Set(row.trust_score),
        strength: Set(row.strength.clone()),
        notes: Set(row.notes.clone()),
        reviewed_at: Set(row.last_reviewed_at.unwrap_or_else(clock::now)),
        reviewed_by: Set(Some(by.chars().take(200).collect())),
    }
    .insert(tx)
    .await?;
    Ok(())
}

/// The stakeholders of each of `organizations` (archived left out), by name: one
/// statement.
pub async fn stakeholders(
    db: &DatabaseConnection,
    organizations: &[Uuid],
) -> Result<HashMap<Uuid, Vec<stakeholder::Model>>> {
    let active = stakeholder::Entity::find()
        .filter(stakeholder::Column::Archived.eq(false))
        .order_by_asc(stakeholder::Column::Name);
    let column = stakeholder::Column::OrganizationId;
    Ok(per_organization(db, column, organizations, active, |row| row.organization_id).await?)
}

/// The relationships of each of `organizations` (archived left out), oldest first: one
/// statement.
pub async fn relationships(
    db: &DatabaseConnection,
    organizations: &[Uuid],
) -> Result<HashMap<Uuid, Vec<relationship::Model>>> {
    let active = relationship::Entity::find()
        .filter(relationship::Column::Archived.eq(false))
        .order_by_asc(relationship::Column::CreatedAt);
    let column = relationship::Column::OrganizationId;
    Ok(per_organization(db, column, organizations, active, |row| row.organization_id).await?)
}

/// Every review of a relationship, newest first.
pub async fn reviews(
    db: &DatabaseConnection,
    relationship: &relationship::Model,
) -> Result<Vec<relationship_review::Model>> {
    Ok(relationship_review::Entity::find()
        .filter(relationship_review::Column::OrganizationId.eq(relationship.organization_id))
        .filter(relationship_review::Column::RelationshipId.eq(relationship.id))
        .order_by_desc(relationship_review::Column::ReviewedAt)
        .all(db)
        .await?)
}
