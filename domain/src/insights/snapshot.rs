//! Loading the snapshot the rules read: one organization's, or a whole list's at once.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{org_unit, position, reporting_line};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::Snapshot;
use crate::{
    StageKey, dated,
    error::{Error, Result},
    maturity, priorities,
    query::{group, lines_in_effect_on},
    stakeholders,
};

/// Loads the snapshot the rules read.
pub async fn snapshot(
    db: &DatabaseConnection,
    organization: Uuid,
    as_of: NaiveDate,
) -> Result<Snapshot> {
    snapshots(db, &[organization], as_of)
        .await?
        .remove(&organization)
        .ok_or(Error::not_found("organization"))
}

/// Loads the snapshots of `organizations` on `as_of`: eight statements however many
/// organizations (units and positions as they stood that day, each with its history,
/// lines in effect, stage declarations, core-KPI
/// freshness, priority assessments, stakeholders, relationships).
pub async fn snapshots(
    db: &DatabaseConnection,
    organizations: &[Uuid],
    as_of: NaiveDate,
) -> Result<HashMap<Uuid, Snapshot>> {
    let ids = || organizations.iter().copied();
    let units: Vec<org_unit::Model> = dated::on_day(
        &dated::histories(db, org_unit::Column::OrganizationId, organizations).await?,
        as_of,
    );
    let mut units = group(units, |u| u.organization_id);
    let positions: Vec<position::Model> = dated::on_day(
        &dated::histories(db, position::Column::OrganizationId, organizations).await?,
        as_of,
    );
    let mut positions = group(positions, |p| p.organization_id);
    let mut lines = group(
        reporting_line::Entity::find()
            .filter(reporting_line::Column::OrganizationId.is_in(ids()))
            .filter(lines_in_effect_on(as_of))
            .all(db)
            .await?,
        |l| l.organization_id,
    );
    let mut stages = maturity::service::stage_histories(db, organizations, as_of).await?;
    let mut core_kpis = maturity::service::core_kpis(db, organizations, as_of).await?;
    let end_of_day = as_of
        .and_hms_opt(23, 59, 59)
        .map(|t| t.and_utc())
        .unwrap_or_else(chrono::Utc::now);
    let mut priorities = priorities::service::assessments(db, organizations).await?;
    let mut stakeholders_of = stakeholders::service::stakeholders(db, organizations).await?;
    let mut relationships = stakeholders::service::relationships(db, organizations).await?;
    let mut out = HashMap::with_capacity(organizations.len());
    for org in ids() {
        let units = units.remove(&org).unwrap_or_default();
        let positions = positions.remove(&org).unwrap_or_default();
        let lines = lines.remove(&org).unwrap_or_default();
        let model = super::model::infer(&units, &positions, &lines);
        let declared_stage = stages
            .remove(&org)
            .unwrap_or_default()
            .into_iter()
            .next()
            .map(|a| StageKey::from_db(&a.stage).map(|s| (a.id, s)))
            .transpose()?;
        let snapshot = Snapshot {
            units,
            positions,
            lines,
            model,
            as_of,
            declared_stage,
            core_kpis: core_kpis.remove(&org).unwrap_or_default(),
            priorities: priorities
                .remove(&org)
                .unwrap_or_default()
                .into_iter()
                .filter(|a| a.assessed_at <= end_of_day)
                .collect(),
            stakeholders: stakeholders_of.remove(&org).unwrap_or_default(),
            relationships: relationships.remove(&org).unwrap_or_default(),
        };
        out.insert(org, snapshot);
    }
    Ok(out)
}
