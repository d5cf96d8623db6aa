//! Maturity in GraphQL: the declared stage, its history, and what the KPI data
//! evidences.

use async_graphql::{Description, ID, Object};
use chrono::NaiveDate;
use entity::stage_assessment;
use orgdesign_domain::maturity::evidence::{self, CoreKpi};

use crate::{enums::StageKey, error::GqlResult, scalars::Date};

/// One declaration of the organization's maturity stage.
#[derive(Description)]
pub struct StageAssessmentObject(pub stage_assessment::Model);

#[Object(name = "StageAssessment", use_type_description)]
impl StageAssessmentObject {
    /// The declaration's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The stage declared.
    async fn stage(&self) -> GqlResult<StageKey> {
        Ok(StageKey::from_db(&self.0.stage)?)
    }

    /// The day the stage was assessed.
    async fn assessed_on(&self) -> Date {
        self.0.assessed_on.into()
    }

    /// Why, in the declarer's words; null when none was given.
    async fn rationale(&self) -> Option<&str> {
        self.0.rationale.as_deref()
    }

    /// Who declared it.
    async fn assessed_by(&self) -> Option<&str> {
        self.0.assessed_by.as_deref()
    }
}

/// Where marketing stands: the declared stage and what the KPI data evidences.
#[derive(Description)]
pub struct Maturity {
    pub history: Vec<stage_assessment::Model>,
    pub core_kpis: Vec<CoreKpi>,
    pub as_of: NaiveDate,
}

impl Maturity {
    /// The keys of the core KPIs of `stage` that are fresh (`true`) or not (`false`).
    fn keys(&self, stage: StageKey, fresh: bool) -> Vec<String> {
        let (fresh_kpis, stale_kpis) = evidence::split(&self.core_kpis, stage.into(), self.as_of);
        let chosen = if fresh { fresh_kpis } else { stale_kpis };
        chosen.into_iter().map(|k| k.key.clone()).collect()
    }
}

#[Object(use_type_description)]
impl Maturity {
    /// The latest declaration on the date, if any.
    async fn declared(&self) -> Option<StageAssessmentObject> {
        self.history.first().cloned().map(StageAssessmentObject)
    }

    /// Every declaration up to the date, newest first.
    async fn history(&self) -> Vec<StageAssessmentObject> {
        self.history
            .iter()
            .cloned()
            .map(StageAssessmentObject)
            .collect()
    }

    /// The highest stage all of whose core KPIs have data from the last 180 days.
    async fn evidenced(&self) -> Option<StageKey> {
        evidence::evidenced(&self.core_kpis, self.as_of).map(Into::into)
    }

    /// The core KPIs that back the evidenced stage.
    async fn backing_kpis(&self) -> Vec<String> {
        evidence::evidenced(&self.core_kpis, self.as_of)
            .map_or_else(Vec::new, |stage| self.keys(stage.into(), true))
    }

    /// The core KPIs of the next stage that have no recent data yet.
    async fn missing_for_next(&self) -> Vec<String> {
        evidence::next(evidence::evidenced(&self.core_kpis, self.as_of))
            .map_or_else(Vec::new, |stage| self.keys(stage.into(), false))
    }
}
