//! Insights and the collaboration model in GraphQL.

use std::sync::Arc;

use async_graphql::{Context, Description, ID, Object, SimpleObject};
use chrono::NaiveDate;
use orgdesign_domain::{
    error::Error,
    insights::{Insight, Snapshot},
};
use uuid::Uuid;

use crate::{
    context::loaders,
    enums::{CollaborationModel, Severity},
    error::GqlResult,
};

/// The snapshot of `organization` on `as_of` for a resolver, through the request's
/// `snapshots` batch ([`crate::insights::SnapshotAsOf`]).
pub async fn request_snapshot(
    ctx: &Context<'_>,
    organization: Uuid,
    as_of: NaiveDate,
) -> GqlResult<Arc<Snapshot>> {
    loaders(ctx)?
        .snapshots
        .load_one((organization, as_of))
        .await?
        .ok_or_else(|| Error::not_found("organization").into())
}

/// The `rootUnitId` and `depth` arguments of a `chart` field, checked: an id, and a
/// count from 0 to 1000. What `OrgChart::restrict` cuts the chart to.
pub fn chart_window(
    root_unit_id: Option<&ID>,
    depth: Option<i32>,
) -> Result<(Option<Uuid>, Option<u32>), Error> {
    let depth = depth
        .map(|d| {
            u32::try_from(d)
                .ok()
                .filter(|d| *d <= 1000)
                .ok_or_else(|| Error::bad_input("depth", "a count from 0 to 1000"))
        })
        .transpose()?;
    let root = root_unit_id
        .map(|id| orgdesign_domain::parse_id("rootUnitId", id))
        .transpose()?;
    Ok((root, depth))
}

/// The model of one marketing branch.
#[derive(SimpleObject, Debug)]
pub struct BranchModelObject {
    /// The marketing unit at the top of the branch.
    pub unit_id: ID,
    /// The model this branch's lines form.
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
            inferred: inferred.map(Into::into),
            declared,
            agrees: inferred
                .zip(declared)
                .map(|(i, d)| CollaborationModel::from(i) == d),
            branches: snapshot
                .model
                .branches
                .iter()
                .map(|b| BranchModelObject {
                    unit_id: ID(b.unit_id.to_string()),
                    model: b.model.into(),
                    line_ids: b.line_ids.iter().map(|id| ID(id.to_string())).collect(),
                })
                .collect(),
        }
    }
}

/// One thing the structure says: a finding of orgdesign's rules about the reporting
/// lines, positions and maturity, with its evidence.
#[derive(Description)]
pub struct InsightObject(pub Insight);

#[Object(name = "Insight", use_type_description)]
impl InsightObject {
    /// Stable code, e.g. MARKETING_REPORTS_TO_SALES.
    async fn code(&self) -> &str {
        self.0.code
    }

    /// How much it matters.
    async fn severity(&self) -> Severity {
        self.0.severity.into()
    }

    /// A one-line summary.
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
