//! Stage declarations and the KPI freshness the evidenced stage is read from.

use chrono::NaiveDate;
use entity::stage_assessment;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::evidence::CoreKpi;
use crate::{
    audit,
    auth::RequestContext,
    clock,
    domain::{Description, StageKey, StorableDate},
    error::Result,
    organizations::service::begin_writing,
    store::Store,
};

/// A stage declaration, parsed.
#[derive(Debug)]
pub struct NewStageDeclaration {
    pub organization_id: Uuid,
    pub stage: StageKey,
    /// The day of the assessment.
    pub assessed_on: StorableDate,
    pub rationale: Option<Description>,
}

/// Declares an organization's stage as of a day. Declarations are appended, so the
/// history shows how the organization saw itself over time. Editors and admins.
pub async fn declare(
    store: &Store,
    ctx: &RequestContext,
    new: NewStageDeclaration,
) -> Result<stage_assessment::Model> {
    let (tx, principal, org) =
        begin_writing(store, ctx, new.organization_id, "input.organizationId").await?;
    let row = stage_assessment::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        stage: Set(new.stage.as_str().to_owned()),
        assessed_on: Set(new.assessed_on.get()),
        rationale: Set(new.rationale.map(Description::into_inner)),
        assessed_by: Set(Some(principal.subject.chars().take(200).collect())),
        created_at: Set(clock::now()),
    }
    .insert(&tx)
    .await?;
    audit::commit(tx, ctx, org.id, "declareStage", vec![row.id]).await?;
    Ok(row)
}

/// The stage declarations on or before `as_of`, newest first.
pub async fn stage_history(
    db: &DatabaseConnection,
    organization: Uuid,
    as_of: NaiveDate,
) -> Result<Vec<stage_assessment::Model>> {
    Ok(stage_assessment::Entity::find()
        .filter(stage_assessment::Column::OrganizationId.eq(organization))
        .filter(stage_assessment::Column::AssessedOn.lte(as_of))
        .order_by_desc(stage_assessment::Column::AssessedOn)
        .order_by_desc(stage_assessment::Column::CreatedAt)
        .all(db)
        .await?)
}

/// The latest declaration on or before `as_of`.
pub async fn latest_stage(
    db: &DatabaseConnection,
    organization: Uuid,
    as_of: NaiveDate,
) -> Result<Option<stage_assessment::Model>> {
    Ok(stage_assessment::Entity::find()
        .filter(stage_assessment::Column::OrganizationId.eq(organization))
        .filter(stage_assessment::Column::AssessedOn.lte(as_of))
        .order_by_desc(stage_assessment::Column::AssessedOn)
        .order_by_desc(stage_assessment::Column::CreatedAt)
        .one(db)
        .await?)
}

/// Every core KPI the organization uses, with the start of its latest stored period on
/// or before `as_of`: one query. The latest period is read per granularity, so each
/// lookup is a seek at the end of a range of the natural-key index (organization, KPI,
/// granularity, period start, ...) rather than a scan of the KPI's points.
pub async fn core_kpis(
    db: &DatabaseConnection,
    organization: Uuid,
    as_of: NaiveDate,
) -> Result<Vec<CoreKpi>> {
    let mut p = crate::kpis::series::Params::new(db.get_database_backend());
    let per_granularity: Vec<String> = crate::domain::Granularity::ALL
        .iter()
        .map(|g| {
            format!(
                "SELECT (SELECT MAX(m.period_start) FROM kpi_measurement m \
                   WHERE m.organization_id = {} AND m.kpi_id = d.id AND m.granularity = '{}' \
                   AND m.period_start <= {}) AS latest",
                p.bind(organization),
                g.as_str(),
                p.bind(as_of),
            )
        })
        .collect();
    let sql = format!(
        "SELECT d.id AS id, d.key AS key, d.stage AS stage, \
           (SELECT MAX(g.latest) FROM ({}) g) AS latest \
         FROM kpi_definition d \
         WHERE d.core = {} AND d.archived = {} AND (d.organization_id IS NULL OR d.organization_id = {}) \
         ORDER BY d.key",
        per_granularity.join(" UNION ALL "),
        p.bind(true),
        p.bind(false),
        p.bind(organization),
    );
    let mut out = Vec::new();
    for row in db.query_all(p.statement(sql)).await? {
        out.push(CoreKpi {
            id: row.try_get("", "id")?,
            key: row.try_get("", "key")?,
            stage: StageKey::from_db(&row.try_get::<String>("", "stage")?)?,
            latest: row.try_get("", "latest")?,
        });
    }
    Ok(out)
}
