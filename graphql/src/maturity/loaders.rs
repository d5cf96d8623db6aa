//! Maturity batched across the organizations of a list.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::stage_assessment;
use orgdesign_domain::{
    error::Result,
    maturity::{evidence::CoreKpi, service},
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::batch::OrganizationBatch;

/// The stage declarations of each organization on or before a date, newest first:
/// [`service::stage_histories`].
pub struct StageHistoryAsOf;

impl OrganizationBatch for StageHistoryAsOf {
    type Param = NaiveDate;
    type Value = Vec<stage_assessment::Model>;

    async fn load(
        db: &DatabaseConnection,
        organizations: &[Uuid],
        as_of: &NaiveDate,
    ) -> Result<HashMap<Uuid, Self::Value>> {
        service::stage_histories(db, organizations, *as_of).await
    }
}

/// The core KPIs of each organization with their latest period on or before a date:
/// [`service::core_kpis`].
pub struct CoreKpisAsOf;

impl OrganizationBatch for CoreKpisAsOf {
    type Param = NaiveDate;
    type Value = Vec<CoreKpi>;

    async fn load(
        db: &DatabaseConnection,
        organizations: &[Uuid],
        as_of: &NaiveDate,
    ) -> Result<HashMap<Uuid, Self::Value>> {
        service::core_kpis(db, organizations, *as_of).await
    }
}
