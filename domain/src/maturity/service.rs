//! Stage declarations and the KPI freshness the evidenced stage is read from.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::stage_assessment;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::evidence::CoreKpi;
use crate::{
    Description, StageKey, StorableDate, audit::Operation, auth::Writer, clock, error::Result,
    query::per_organization, store::Store, write,
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
    writer: Writer<'_>,
    new: NewStageDeclaration,
) -> Result<stage_assessment::Model> {
    let write = write::begin_in(store, writer, new.organization_id).await?;
    let (tx, org, principal) = (&write.tx, &write.organization, write.principal()?);
    let row = stage_assessment::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        stage: Set(new.stage.as_str().to_owned()),
        assessed_on: Set(new.assessed_on.get()),
        rationale: Set(new.rationale.map(Description::into_inner)),
        assessed_by: Set(Some(principal.subject.chars().take(200).collect())),
        created_at: Set(clock::now()),
    }
    .insert(tx)
    .await?;
    write.commit(Operation::DeclareStage, vec![row.id]).await?;
    Ok(row)
}

/// The stage declarations of each of `organizations` on or before `as_of`, newest
/// first: one statement.
pub async fn stage_histories(
    db: &DatabaseConnection,
    organizations: &[Uuid],
    as_of: NaiveDate,
) -> Result<HashMap<Uuid, Vec<stage_assessment::Model>>> {
    let declared = stage_assessment::Entity::find()
        .filter(stage_assessment::Column::AssessedOn.lte(as_of))
        .order_by_desc(stage_assessment::Column::AssessedOn)
        .order_by_desc(stage_assessment::Column::CreatedAt);
    let column = stage_assessment::Column::OrganizationId;
    Ok(
        per_organization(db, column, organizations, declared, |row| {
            row.organization_id
        })
        .await?,
    )
}

/// Every core KPI each of `organizations` uses, with the start of its latest stored
/// period on or before `as_of`: one statement. The latest period is read per
/// granularity, so each lookup is a seek at the end of a range of the natural-key
/// index (organization, KPI, granularity, period start, ...) rather than a scan of the
/// KPI's points.
pub async fn core_kpis(
    db: &DatabaseConnection,
    organizations: &[Uuid],
    as_of: NaiveDate,
) -> Result<HashMap<Uuid, Vec<CoreKpi>>> {
    let mut out: HashMap<Uuid, Vec<CoreKpi>> = HashMap::new();
    if organizations.is_empty() {
        return Ok(out);
    }
    let mut p = crate::query::Params::new(db.get_database_backend());
    let per_granularity: Vec<String> = crate::Granularity::ALL
        .iter()
        .map(|g| {
            format!(
                "SELECT (SELECT MAX(m.period_start) FROM kpi_measurement m \
                   WHERE m.organization_id = o.id AND m.kpi_id = d.id AND m.granularity = '{}' \
                   AND m.period_start <= {}) AS latest",
                g.as_str(),
                p.bind(as_of),
            )
        })
        .collect();
    let organization_ids: Vec<String> = organizations.iter().map(|id| p.bind(*id)).collect();
    let sql = format!(
        "SELECT o.id AS organization_id, d.id AS id, d.key AS key, d.stage AS stage, \
           (SELECT MAX(g.latest) FROM ({}) g) AS latest \
         FROM organization o JOIN kpi_definition d \
           ON d.organization_id IS NULL OR d.organization_id = o.id \
         WHERE o.id IN ({}) AND d.core = {} AND d.archived = {} \
         ORDER BY d.key",
        per_granularity.join(" UNION ALL "),
        organization_ids.join(", "),
        p.bind(true),
        p.bind(false),
    );
    for row in db.query_all(p.statement(sql)).await? {
        out.entry(row.try_get("", "organization_id")?)
            .or_default()
            .push(CoreKpi {
                id: row.try_get("", "id")?,
                key: row.try_get("", "key")?,
                stage: StageKey::from_db(&row.try_get::<String>("", "stage")?)?,
                latest: row.try_get("", "latest")?,
            });
    }
    Ok(out)
}
