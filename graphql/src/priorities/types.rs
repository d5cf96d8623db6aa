//! Leadership priorities in GraphQL.

use async_graphql::{Description, ID, Object};
use entity::priority_assessment;

use crate::{enums::PriorityKey, error::GqlResult, scalars::Timestamp};

/// One assessment of how well marketing lives up to a leadership priority.
#[derive(Description)]
pub struct PriorityAssessmentObject(pub priority_assessment::Model);

#[Object(name = "PriorityAssessment", use_type_description)]
impl PriorityAssessmentObject {
    /// The assessment's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The priority assessed.
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

    /// The unit that owns the priority; null when none was named.
    async fn owner_unit_id(&self) -> Option<ID> {
        self.0.owner_unit_id.map(|id| ID(id.to_string()))
    }

    /// Free text; null when none was given.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }

    /// When it was assessed.
    async fn assessed_at(&self) -> Timestamp {
        self.0.assessed_at.into()
    }

    /// Who recorded it (a token's subject).
    async fn assessed_by(&self) -> Option<&str> {
        self.0.assessed_by.as_deref()
    }
}

/// A priority with its latest assessment and trend.
#[derive(Description)]
pub struct PriorityStatus {
    pub key: PriorityKey,
    /// Newest first.
    pub history: Vec<priority_assessment::Model>,
}

#[Object(use_type_description)]
impl PriorityStatus {
    /// Which priority.
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
    orgdesign_domain::PriorityKey::ALL
        .iter()
        .map(|key| PriorityStatus {
            key: (*key).into(),
            history: assessments
                .iter()
                .filter(|a| a.priority == key.as_str())
                .cloned()
                .collect(),
        })
        .collect()
}
