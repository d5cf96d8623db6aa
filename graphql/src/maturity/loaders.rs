//! Maturity batched across the organizations of a list.

use chrono::NaiveDate;
use entity::stage_assessment;
use orgdesign_domain::maturity::{evidence::CoreKpi, service};

use crate::batch::loader;

loader! {
    /// The stage declarations of each organization on or before a date, newest first:
    /// [`service::stage_histories`].
    pub StageHistoryAsOf: OrganizationBatch(db, organizations, as_of: NaiveDate)
        -> Vec<stage_assessment::Model> {
        service::stage_histories(db, organizations, *as_of).await
    }
}

loader! {
    /// The core KPIs of each organization with their latest period on or before a date:
    /// [`service::core_kpis`].
    pub CoreKpisAsOf: OrganizationBatch(db, organizations, as_of: NaiveDate) -> Vec<CoreKpi> {
        service::core_kpis(db, organizations, *as_of).await
    }
}
