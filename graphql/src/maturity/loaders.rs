//! Maturity batched across the organizations of a list.

use chrono::NaiveDate;
use entity::stage_assessment;
use orgdesign_domain::maturity::{evidence::CoreKpi, service};

use crate::loader::organization_batch;

organization_batch! {
    /// The stage declarations of each organization on or before a date, newest first.
    StageHistoryAsOf(as_of: NaiveDate) -> Vec<stage_assessment::Model> =
        |db, organizations| service::stage_histories(db, organizations, *as_of).await
}

organization_batch! {
    /// The core KPIs of each organization with their latest period on or before a date.
    CoreKpisAsOf(as_of: NaiveDate) -> Vec<CoreKpi> =
        |db, organizations| service::core_kpis(db, organizations, *as_of).await
}
