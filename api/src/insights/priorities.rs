//! Leadership priorities: scored assessments of the four priorities of marketing
//! leaders (company values, stakeholder relationships, new-media capability, trust),
//! appended so their history and trend show.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entity::priority_assessment;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::{
    domain::{Description, PriorityKey, parse_id},
    error::{Error, GqlResult, Result},
    graphql::context::{db, request},
};

/// A score under this is low.
pub const LOW_SCORE: i32 = 40;

/// Every assessment of an organization, newest first.
pub async fn assessments(
    db: &DatabaseConnection,
    organization: Uuid,
) -> Result<Vec<priority_assessment::Model>> {
    Ok(priority_assessment::Entity::find()
        .filter(priority_assessment::Column::OrganizationId.eq(organization))
        .order_by_desc(priority_assessment::Column::AssessedAt)
        .order_by_desc(priority_assessment::Column::CreatedAt)
        .all(db)
        .await?)
}

/// One assessment.
pub struct PriorityAssessmentObject(pub priority_assessment::Model);

#[Object(name = "PriorityAssessment")]
impl PriorityAssessmentObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn priority(&self) -> GqlResult<PriorityKey> {
        Ok(PriorityKey::from_db(&self.0.priority)?)
    }

    /// 0 to 100.
    async fn score(&self) -> i32 {
        self.0.score
    }

    /// How much this priority counts for the organization, 1 to 10.
    async fn weight(&self) -> i32 {
        self.0.weight
    }

    /// The unit that owns the priority.
    async fn owner_unit_id(&self) -> Option<ID> {
        self.0.owner_unit_id.map(|id| ID(id.to_string()))
    }

    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }

    async fn assessed_at(&self) -> DateTime<Utc> {
        self.0.assessed_at
    }

    async fn assessed_by(&self) -> Option<&str> {
        self.0.assessed_by.as_deref()
    }
}

/// A priority with its latest assessment and trend.
pub struct PriorityStatus {
    pub key: PriorityKey,
    /// Newest first.
    pub history: Vec<priority_assessment::Model>,
}

#[Object]
impl PriorityStatus {
    async fn priority(&self) -> PriorityKey {
        self.key
    }

    /// The latest assessment; null while the priority is unassessed.
    async fn latest(&self) -> Option<PriorityAssessmentObject> {
        self.history.first().cloned().map(PriorityAssessmentObject)
    }

    /// The latest score minus the one before; null with fewer than two assessments.
    async fn trend(&self) -> Option<i32> {
        match (self.history.first(), self.history.get(1)) {
            (Some(latest), Some(previous)) => Some(latest.score - previous.score),
            _ => None,
        }
    }

    /// Every assessment, newest first.
    async fn history(&self) -> Vec<PriorityAssessmentObject> {
        self.history
            .iter()
            .cloned()
            .map(PriorityAssessmentObject)
            .collect()
    }
}

/// The four priorities of an organization, in catalog order.
pub fn statuses(assessments: &[priority_assessment::Model]) -> Vec<PriorityStatus> {
    PriorityKey::ALL
        .iter()
        .map(|key| PriorityStatus {
            key: *key,
            history: assessments
                .iter()
                .filter(|a| a.priority == key.as_str())
                .cloned()
                .collect(),
        })
        .collect()
}

/// Input of `assessPriority`.
#[derive(InputObject, Debug)]
pub struct AssessPriorityInput {
    pub organization_id: ID,
    pub priority: PriorityKey,
    /// 0 to 100.
    pub score: i32,
    /// 1 to 10 (default 1).
    #[graphql(default = 1)]
    pub weight: i32,
    /// The unit that owns the priority (usually marketing).
    pub owner_unit_id: Option<ID>,
    pub notes: Option<String>,
    /// When it was assessed (default: now).
    pub assessed_at: Option<DateTime<Utc>>,
}

/// Priority mutations.
#[derive(Default)]
pub struct PriorityMutation;

#[Object]
impl PriorityMutation {
    /// Records an assessment of one leadership priority; earlier ones stay as history.
    /// Editors and admins.
    async fn assess_priority(
        &self,
        ctx: &Context<'_>,
        input: AssessPriorityInput,
    ) -> GqlResult<PriorityAssessmentObject> {
        let context = request(ctx)?;
        let (principal, organization) =
            context.writer_of("input.organizationId", &input.organization_id)?;
        if !(0..=100).contains(&input.score) {
            return Err(Error::bad_input("input.score", "must be between 0 and 100").into());
        }
        if !(1..=10).contains(&input.weight) {
            return Err(Error::bad_input("input.weight", "must be between 1 and 10").into());
        }
        let owner = input
            .owner_unit_id
            .map(|id| parse_id("input.ownerUnitId", &id))
            .transpose()?;
        let notes = Description::parse_opt("input.notes", input.notes.as_deref())?;
        let db = db(ctx)?;
        let tx = crate::db::begin_write(db).await?;
        let org = crate::organizations::service::lock(&tx, organization)
            .await
            .map_err(|e| e.on_field("input.organizationId"))?;
        if let Some(owner) = owner {
            crate::units::service::ensure_of_organization(&tx, org.id, owner, "input.ownerUnitId")
                .await?;
        }
        let now = crate::organizations::service::now();
        let row = priority_assessment::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org.id),
            priority: Set(input.priority.as_str().to_owned()),
            score: Set(input.score),
            weight: Set(input.weight),
            owner_unit_id: Set(owner),
            notes: Set(notes.map(Description::into_inner)),
            assessed_at: Set(input.assessed_at.unwrap_or(now)),
            assessed_by: Set(Some(principal.subject.chars().take(200).collect())),
            created_at: Set(now),
        }
        .insert(&tx)
        .await?;
        crate::audit::record(&tx, context, Some(org.id), "assessPriority", &[row.id]).await?;
        tx.commit().await?;
        Ok(PriorityAssessmentObject(row))
    }
}
