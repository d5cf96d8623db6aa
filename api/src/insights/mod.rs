//! What orgdesign explains: the collaboration model the reporting lines actually form,
//! and insights — what the structure says, in plain words, with evidence.
//!
//! Everything here is computed on read from one loaded snapshot of an organization
//! (its units, positions and the lines in effect on a date: three queries however
//! large the organization), by pure functions tested on their own.

pub mod model;
pub mod rules;
#[cfg(test)]
mod tests;

use async_graphql::{ID, Object, SimpleObject};
use chrono::NaiveDate;
use entity::{org_unit, position, reporting_line};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{domain::CollaborationModel, error::Result};

pub use rules::{Insight, Severity, Snapshot};

/// Loads the snapshot the rules read.
pub async fn snapshot(
    db: &DatabaseConnection,
    organization: Uuid,
    as_of: NaiveDate,
) -> Result<Snapshot> {
    let units = org_unit::Entity::find()
        .filter(org_unit::Column::OrganizationId.eq(organization))
        .all(db)
        .await?;
    let positions = position::Entity::find()
        .filter(position::Column::OrganizationId.eq(organization))
        .all(db)
        .await?;
    let lines = reporting_line::Entity::find()
        .filter(reporting_line::Column::OrganizationId.eq(organization))
        .filter(reporting_line::Column::EffectiveFrom.lte(as_of))
        .filter(
            Condition::any()
                .add(reporting_line::Column::EffectiveTo.is_null())
                .add(reporting_line::Column::EffectiveTo.gt(as_of)),
        )
        .all(db)
        .await?;
    let model = model::infer(&units, &positions, &lines);
    Ok(Snapshot {
        units,
        positions,
        lines,
        model,
    })
}

/// The model of one marketing branch.
#[derive(SimpleObject, Debug)]
pub struct BranchModelObject {
    /// The marketing unit at the top of the branch.
    pub unit_id: ID,
    pub model: CollaborationModel,
    /// The reporting lines the verdict rests on.
    pub line_ids: Vec<ID>,
}

/// The collaboration model the structure forms, beside the declared one.
#[derive(SimpleObject, Debug)]
#[graphql(name = "CollaborationModelReport")]
pub struct CollaborationModelReport {
    /// The model of every marketing branch agreeing, MIXED when they differ, null when
    /// there is no marketing unit.
    pub inferred: Option<CollaborationModel>,
    /// What the organization says it runs.
    pub declared: Option<CollaborationModel>,
    /// Whether the declared model is the inferred one (null when either is unknown).
    pub agrees: Option<bool>,
    /// Per marketing branch.
    pub branches: Vec<BranchModelObject>,
}

impl CollaborationModelReport {
    /// Builds the report from a snapshot and the declared model.
    pub fn new(snapshot: &Snapshot, declared: Option<CollaborationModel>) -> Self {
        let inferred = snapshot.model.overall;
        Self {
            inferred,
            declared,
            agrees: inferred.zip(declared).map(|(i, d)| i == d),
            branches: snapshot
                .model
                .branches
                .iter()
                .map(|b| BranchModelObject {
                    unit_id: ID(b.unit_id.to_string()),
                    model: b.model,
                    line_ids: b.line_ids.iter().map(|id| ID(id.to_string())).collect(),
                })
                .collect(),
        }
    }
}

/// An insight as the API shows it.
pub struct InsightObject(pub Insight);

#[Object(name = "Insight")]
impl InsightObject {
    /// Stable code, e.g. MARKETING_REPORTS_TO_SALES.
    async fn code(&self) -> &str {
        self.0.code
    }

    async fn severity(&self) -> Severity {
        self.0.severity
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What it means, in plain words.
    async fn explanation(&self) -> &str {
        &self.0.explanation
    }

    /// What to consider doing.
    async fn recommendation(&self) -> &str {
        &self.0.recommendation
    }

    /// The ids of the units, positions and reporting lines it rests on.
    async fn evidence(&self) -> Vec<ID> {
        self.0
            .evidence
            .iter()
            .map(|id| ID(id.to_string()))
            .collect()
    }
}
