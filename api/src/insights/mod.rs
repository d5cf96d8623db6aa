//! What orgdesign explains: the collaboration model the reporting lines actually form,
//! and insights — what the structure says, in plain words, with evidence.
//!
//! Everything here is computed on read from one loaded snapshot of an organization
//! (its units, positions and the lines in effect on a date: three queries however
//! large the organization), by pure functions tested on their own.

pub mod maturity;
pub mod model;
pub mod priorities;
pub mod relationships;
pub mod rules;
#[cfg(test)]
pub(crate) mod tests;

use async_graphql::{ID, Object, SimpleObject};
use chrono::NaiveDate;
use entity::{org_unit, position, reporting_line, stage_assessment};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use crate::{
    domain::{CollaborationModel, StageKey},
    error::Result,
};

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
    let declared_stage = latest_stage(db, organization, as_of)
        .await?
        .map(|a| StageKey::from_db(&a.stage).map(|s| (a.id, s)))
        .transpose()?;
    let core_kpis = core_kpis(db, organization, as_of).await?;
    let end_of_day = as_of
        .and_hms_opt(23, 59, 59)
        .map(|t| t.and_utc())
        .unwrap_or_else(chrono::Utc::now);
    let priorities = priorities::assessments(db, organization)
        .await?
        .into_iter()
        .filter(|a| a.assessed_at <= end_of_day)
        .collect();
    let (stakeholders, relationships) = relationships::load(db, organization).await?;
    Ok(Snapshot {
        units,
        positions,
        lines,
        model,
        as_of,
        declared_stage,
        core_kpis,
        priorities,
        stakeholders,
        relationships,
    })
}

/// The snapshots one GraphQL request has loaded, by organization and date:
/// `collaborationModel`, `insights` and `chart` of one organization on one date share
/// a single load (each key is loaded once even when the fields resolve concurrently).
/// In a document with a mutation every snapshot is loaded afresh
/// ([`crate::graphql::loader::DocumentWrites`]): its fields run one after another with
/// writes in between.
pub struct SnapshotCache {
    snapshots: std::sync::Mutex<std::collections::HashMap<(Uuid, NaiveDate), SnapshotCell>>,
    writes: crate::graphql::loader::DocumentWrites,
}

/// One key's snapshot, filled by the first resolver that asks.
type SnapshotCell = std::sync::Arc<tokio::sync::OnceCell<std::sync::Arc<Snapshot>>>;

impl SnapshotCache {
    /// An empty cache for one request.
    pub fn new(writes: crate::graphql::loader::DocumentWrites) -> Self {
        Self {
            snapshots: std::sync::Mutex::default(),
            writes,
        }
    }

    /// The snapshot of `organization` on `as_of`, loaded on first use.
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        organization: Uuid,
        as_of: NaiveDate,
    ) -> Result<std::sync::Arc<Snapshot>> {
        if self.writes.set() {
            return snapshot(db, organization, as_of)
                .await
                .map(std::sync::Arc::new);
        }
        let cell = {
            let mut map = self
                .snapshots
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            map.entry((organization, as_of)).or_default().clone()
        };
        cell.get_or_try_init(|| async {
            snapshot(db, organization, as_of)
                .await
                .map(std::sync::Arc::new)
        })
        .await
        .cloned()
    }
}

/// The snapshot for a resolver: from the request's cache when there is one.
pub async fn request_snapshot(
    ctx: &async_graphql::Context<'_>,
    organization: Uuid,
    as_of: NaiveDate,
) -> crate::error::GqlResult<std::sync::Arc<Snapshot>> {
    let db = crate::graphql::context::db(ctx)?;
    Ok(match ctx.data_opt::<SnapshotCache>() {
        Some(cache) => cache.get(db, organization, as_of).await?,
        None => std::sync::Arc::new(snapshot(db, organization, as_of).await?),
    })
}

/// Every insight of a snapshot at or above `min_severity`, most severe first (then by
/// code, then in rule order).
pub fn evaluate(snapshot: &Snapshot, min_severity: Option<Severity>) -> Vec<Insight> {
    let mut found = rules::all(snapshot);
    if let Some(min) = min_severity {
        found.retain(|i| i.severity >= min);
    }
    found.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.code.cmp(b.code)));
    found
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

async fn latest_stage(
    db: &DatabaseConnection,
    organization: Uuid,
    as_of: NaiveDate,
) -> Result<Option<stage_assessment::Model>> {
    Ok(stage_history(db, organization, as_of)
        .await?
        .into_iter()
        .next())
}

/// Every core KPI the organization uses, with the start of its latest stored period on
/// or before `as_of`: one query. The latest period is read per granularity, so each
/// lookup is a seek at the end of a range of the natural-key index (organization, KPI,
/// granularity, period start, ...) rather than a scan of the KPI's points.
pub async fn core_kpis(
    db: &DatabaseConnection,
    organization: Uuid,
    as_of: NaiveDate,
) -> Result<Vec<maturity::CoreKpi>> {
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
        out.push(maturity::CoreKpi {
            id: row.try_get("", "id")?,
            key: row.try_get("", "key")?,
            stage: StageKey::from_db(&row.try_get::<String>("", "stage")?)?,
            latest: row.try_get("", "latest")?,
        });
    }
    Ok(out)
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

/// One stage declaration.
pub struct StageAssessmentObject(pub stage_assessment::Model);

#[Object(name = "StageAssessment")]
impl StageAssessmentObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn stage(&self) -> crate::error::GqlResult<StageKey> {
        Ok(StageKey::from_db(&self.0.stage)?)
    }

    /// The day the stage was assessed.
    async fn assessed_on(&self) -> NaiveDate {
        self.0.assessed_on
    }

    async fn rationale(&self) -> Option<&str> {
        self.0.rationale.as_deref()
    }

    /// Who declared it.
    async fn assessed_by(&self) -> Option<&str> {
        self.0.assessed_by.as_deref()
    }
}

/// Where marketing stands: the declared stage and what the KPI data evidences.
pub struct Maturity {
    pub history: Vec<stage_assessment::Model>,
    pub core_kpis: Vec<maturity::CoreKpi>,
    pub as_of: NaiveDate,
}

#[Object]
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
        maturity::evidenced(&self.core_kpis, self.as_of)
    }

    /// The core KPIs that back the evidenced stage.
    async fn backing_kpis(&self) -> Vec<String> {
        maturity::evidenced(&self.core_kpis, self.as_of).map_or_else(Vec::new, |stage| {
            maturity::split(&self.core_kpis, stage, self.as_of)
                .0
                .into_iter()
                .map(|k| k.key.clone())
                .collect()
        })
    }

    /// The core KPIs of the next stage that have no recent data yet.
    async fn missing_for_next(&self) -> Vec<String> {
        maturity::next(maturity::evidenced(&self.core_kpis, self.as_of)).map_or_else(
            Vec::new,
            |stage| {
                maturity::split(&self.core_kpis, stage, self.as_of)
                    .1
                    .into_iter()
                    .map(|k| k.key.clone())
                    .collect()
            },
        )
    }
}

/// Input of `declareStage`.
#[derive(async_graphql::InputObject, Debug)]
pub struct DeclareStageInput {
    pub organization_id: ID,
    pub stage: StageKey,
    /// The day of the assessment (default: today).
    pub assessed_on: Option<NaiveDate>,
    pub rationale: Option<String>,
}

/// Maturity mutations.
#[derive(Default)]
pub struct MaturityMutation;

#[Object]
impl MaturityMutation {
    /// Declares the organization's maturity stage as of a day. Declarations are kept:
    /// `maturity.history` lists them. Editors and admins.
    async fn declare_stage(
        &self,
        ctx: &async_graphql::Context<'_>,
        input: DeclareStageInput,
    ) -> crate::error::GqlResult<StageAssessmentObject> {
        use sea_orm::{ActiveModelTrait, Set};
        let context = crate::graphql::context::request(ctx)?;
        let (principal, organization) =
            context.writer_of("input.organizationId", &input.organization_id)?;
        let assessed_on = crate::reporting::service::parse_date(
            "input.assessedOn",
            input
                .assessed_on
                .unwrap_or_else(crate::graphql::context::today),
        )?;
        let rationale =
            crate::domain::Description::parse_opt("input.rationale", input.rationale.as_deref())?;
        let db = crate::graphql::context::db(ctx)?;
        let tx = crate::db::begin_write(db).await?;
        let org = crate::organizations::service::lock(&tx, organization)
            .await
            .map_err(|e| e.on_field("input.organizationId"))?;
        let row = stage_assessment::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org.id),
            stage: Set(input.stage.as_str().to_owned()),
            assessed_on: Set(assessed_on),
            rationale: Set(rationale.map(|r| r.into_inner())),
            assessed_by: Set(Some(principal.subject.chars().take(200).collect())),
            created_at: Set(crate::organizations::service::now()),
        }
        .insert(&tx)
        .await?;
        crate::audit::record(&tx, context, Some(org.id), "declareStage", &[row.id]).await?;
        tx.commit().await?;
        Ok(StageAssessmentObject(row))
    }
}
