//! Leadership-priority assessments: append-only, so every score stays in the history.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::priority_assessment;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, QueryOrder, Set};
use uuid::Uuid;

use crate::{
    Description, PriorityKey, Score, Weight, audit::Operation, auth::Writer, clock, error::Result,
    query::per_organization, store::Store, units::service::ensure_of_organization, write,
};

/// An assessment, parsed.
#[derive(Debug)]
pub struct NewAssessment {
    pub organization_id: Uuid,
    pub priority: PriorityKey,
    pub score: Score,
    pub weight: Weight,
    /// The unit that owns the priority (usually marketing); one of the organization's.
    pub owner_unit_id: Option<Uuid>,
    pub notes: Option<Description>,
    /// When it was assessed; `None` is the moment it is recorded.
    pub assessed_at: Option<DateTime<Utc>>,
}

/// Records an assessment of one leadership priority; earlier ones stay as history.
/// Editors and admins.
pub async fn assess(
    store: &Store,
    writer: Writer<'_>,
    new: NewAssessment,
) -> Result<priority_assessment::Model> {
    let write = write::begin_in(store, writer, new.organization_id).await?;
    let (tx, org, principal) = (&write.tx, &write.organization, write.principal()?);
    if let Some(owner) = new.owner_unit_id {
        ensure_of_organization(tx, org.id, owner, "ownerUnitId").await?;
    }
    let now = clock::now();
    let row = priority_assessment::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        priority: Set(new.priority.as_str().to_owned()),
        score: Set(new.score.get()),
        weight: Set(new.weight.get()),
        owner_unit_id: Set(new.owner_unit_id),
        notes: Set(new.notes.map(Description::into_inner)),
        assessed_at: Set(new.assessed_at.unwrap_or(now)),
        assessed_by: Set(Some(principal.subject.chars().take(200).collect())),
        created_at: Set(now),
    }
    .insert(tx)
    .await?;
    write
        .commit(Operation::AssessPriority, vec![row.id])
        .await?;
    Ok(row)
}

/// Every assessment of each of `organizations`, newest first: one statement.
pub async fn assessments(
    db: &DatabaseConnection,
    organizations: &[Uuid],
) -> Result<HashMap<Uuid, Vec<priority_assessment::Model>>> {
    let assessed = priority_assessment::Entity::find()
        .order_by_desc(priority_assessment::Column::AssessedAt)
        .order_by_desc(priority_assessment::Column::CreatedAt);
    let column = priority_assessment::Column::OrganizationId;
    Ok(
        per_organization(db, column, organizations, assessed, |row| {
            row.organization_id
        })
        .await?,
    )
}
