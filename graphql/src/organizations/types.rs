//! The `Organization` GraphQL type.

use async_graphql::{Context, Description, ID, Object};
use entity::organization;
use orgdesign_domain::dated;

use super::prefetch;
use crate::{
    context::{db, loaders},
    enums::{CollaborationModel, LineKind, Severity, UnitFunction},
    error::GqlResult,
    positions::Position,
    reporting::ReportingLine,
    revision::Revision,
    scalars::Date,
    stakeholders::{RelationshipObject, StakeholderObject},
    units::Unit,
};

/// An organization whose marketing design orgdesign holds: the tenant every unit,
/// position, line, KPI and scenario belongs to.
#[derive(Debug, Clone, Description)]
pub struct Organization(pub organization::Model);

/// Fields of `Organization` (as the schema names them) that the `organizations` list
/// loads ahead for its whole page (`organizations::prefetch::organization_page`), so a
/// list of 50 runs the statements of a list of 5. A test checks each is a field.
pub mod prefetched {
    /// `units`.
    pub const UNITS: &str = "units";
    /// `kpiSeries`, once per alias (each asks its own series).
    pub const KPI_SERIES: &str = "kpiSeries";
    /// The fields read from the snapshot of a date, once per alias.
    pub const SNAPSHOT: [&str; 3] = ["collaborationModel", "insights", "chart"];
    /// `maturity`, once per alias.
    pub const MATURITY: &str = "maturity";
    /// `kpis`, once per alias (each asks its own stage).
    pub const KPIS: &str = "kpis";
    /// `priorities`.
    pub const PRIORITIES: &str = "priorities";
    /// `stakeholders`.
    pub const STAKEHOLDERS: &str = "stakeholders";
    /// `relationships`.
    pub const RELATIONSHIPS: &str = "relationships";
}

#[Object(use_type_description)]
impl Organization {
    /// Its global id (also for `node`).
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// URL-safe handle, unique across the service.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Its industry, free text; null when not given.
    async fn industry(&self) -> Option<&str> {
        self.0.industry.as_deref()
    }

    /// Headcount; null when not given.
    async fn employee_count(&self) -> Option<i32> {
        self.0.employee_count
    }

    /// The collaboration model the organization says it runs.
    async fn declared_model(&self) -> GqlResult<Option<CollaborationModel>> {
        Ok(self
            .0
            .declared_model
            .as_deref()
            .map(CollaborationModel::from_db)
            .transpose()?)
    }

    /// Archived organizations keep their data but leave default listings.
    async fn archived(&self) -> bool {
        self.0.archived
    }

    /// `version`, `createdAt`, `updatedAt`.
    #[graphql(flatten)]
    async fn revision(&self) -> Revision {
        Revision::new(self.0.version, self.0.created_at, self.0.updated_at)
    }

    /// What changed in the structure between `from` and `to` (after `from`): the
    /// structure on each day compared, as a draft scenario's diff compares the live
    /// structure with the draft's (the same type): units added, ended, moved, renamed
    /// or re-sourced; positions added, ended, or given another holder, title, role or
    /// responsibilities; lines added and ended; the collaboration model and the
    /// insights on each day. Also as CSV at
    /// `GET /api/v1/organizations/{slug}/structure-changes.csv?from=&to=`.
    async fn structure_changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first day compared, `YYYY-MM-DD`.")] from: Date,
        #[graphql(desc = "The second day compared, `YYYY-MM-DD`.")] to: Date,
    ) -> GqlResult<crate::scenarios::diff::ScenarioDiff> {
        let (from, to) = (from.storable("from")?.get(), to.storable("to")?.get());
        let between =
            orgdesign_domain::scenarios::evaluation::between(db(ctx)?, self.0.id, from, to).await?;
        Ok(crate::scenarios::diff::ScenarioDiff::of(
            std::sync::Arc::new(between),
        ))
    }

    /// The organization's units as they stood on `asOf` (default: today), by name;
    /// units that had ended by then only when asked, units not yet created never.
    async fn units(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only units of this function; null for all.")] function: Option<
            UnitFunction,
        >,
        #[graphql(
            desc = "Whether units that had ended by `asOf` are listed too.",
            default = false,
            deprecation = "An ended one is one whose effectiveTo is on or before the day read: read an earlier asOf to see it as it stood, or structureChanges(from, to) for what ended between two days."
        )]
        include_archived: bool,
        #[graphql(desc = "Day to read, `YYYY-MM-DD` (default: today, UTC).")] as_of: Option<Date>,
    ) -> GqlResult<Vec<Unit>> {
        let day = Date::as_of(as_of.as_ref())?;
        let histories = loaders(ctx)?
            .units_by_organization
            .load_or_default(self.0.id)
            .await?;
        prefetch::unit_subtree(ctx, &self.0, &histories, day, &ctx.look_ahead()).await?;
        Ok(dated::listed(dated::on_day(&histories, day))
            .into_iter()
            .filter(|u| include_archived || !u.archived)
            .filter(|u| function.is_none_or(|f| u.function == f.as_str()))
            .map(|u| Unit(u, day))
            .collect())
    }

    /// The leadership positions across all units as they stood on `asOf` (default:
    /// today), by title; positions that had ended by then only when asked.
    async fn positions(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Whether positions that had ended by `asOf` are listed too.",
            default = false,
            deprecation = "An ended one is one whose effectiveTo is on or before the day read: read an earlier asOf to see it as it stood, or structureChanges(from, to) for what ended between two days."
        )]
        include_archived: bool,
        #[graphql(desc = "Day to read, `YYYY-MM-DD` (default: today, UTC).")] as_of: Option<Date>,
    ) -> GqlResult<Vec<Position>> {
        let day = Date::as_of(as_of.as_ref())?;
        let histories = loaders(ctx)?
            .positions_by_organization
            .load_or_default(self.0.id)
            .await?;
        prefetch::units_if_selected(ctx, &self.0, &[crate::positions::prefetched::UNIT]).await?;
        Ok(dated::listed(dated::on_day(&histories, day))
            .into_iter()
            .filter(|p| include_archived || !p.archived)
            .map(|p| Position(p, day))
            .collect())
    }

    /// The collaboration model the reporting lines form on `asOf` (default: today),
    /// per marketing branch and overall, beside the declared one.
    async fn collaboration_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Day to read, `YYYY-MM-DD` (default: today, UTC).")] as_of: Option<Date>,
    ) -> GqlResult<crate::insights::CollaborationModelReport> {
        let as_of = Date::as_of(as_of.as_ref())?;
        let snapshot = crate::insights::request_snapshot(ctx, self.0.id, as_of).await?;
        let declared = self
            .0
            .declared_model
            .as_deref()
            .map(CollaborationModel::from_db)
            .transpose()?;
        Ok(crate::insights::CollaborationModelReport::new(
            &snapshot, declared,
        ))
    }

    /// What the structure says on `asOf` (default: today), most severe first:
    /// each insight with a stable code, plain-words explanation, recommendation and
    /// the ids of its evidence.
    async fn insights(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Day to read, `YYYY-MM-DD` (default: today, UTC).")] as_of: Option<Date>,
        #[graphql(desc = "Only insights at least this severe; null for all.")] min_severity: Option<
            Severity,
        >,
    ) -> GqlResult<Vec<crate::insights::InsightObject>> {
        let as_of = Date::as_of(as_of.as_ref())?;
        let snapshot = crate::insights::request_snapshot(ctx, self.0.id, as_of).await?;
        Ok(
            orgdesign_domain::insights::evaluate(&snapshot, min_severity.map(Into::into))
                .into_iter()
                .map(crate::insights::InsightObject)
                .collect(),
        )
    }

    /// The org chart on `asOf` (default: today): units coloured by function, SOLID
    /// lines as the tree, DOTTED lines dashed, and markers on the units each insight
    /// rests on. MERMAID and DOT are text for other tools to draw; SVG is drawn by
    /// orgdesign (also at `GET /api/v1/organizations/{slug}/chart.svg`). `rootUnitId`
    /// draws one unit and its SOLID subordinates only (with the insights about them);
    /// `depth` stops that many levels below the root (or the top).
    async fn chart(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The format to render.")] format: crate::enums::ChartFormat,
        #[graphql(desc = "Day to read, `YYYY-MM-DD` (default: today, UTC).")] as_of: Option<Date>,
        #[graphql(
            desc = "Draw only this unit and its SOLID subordinates; null for the whole chart."
        )]
        root_unit_id: Option<ID>,
        #[graphql(desc = "Levels to draw below the root (0 to 1000); null for all.")] depth: Option<
            i32,
        >,
    ) -> GqlResult<String> {
        let as_of = Date::as_of(as_of.as_ref())?;
        let (root, depth) = crate::insights::chart_window(root_unit_id.as_ref(), depth)?;
        let snapshot = crate::insights::request_snapshot(ctx, self.0.id, as_of).await?;
        let insights = orgdesign_domain::insights::evaluate(&snapshot, None);
        let chart =
            orgdesign_domain::charts::org::OrgChart::new(&self.0.name, &snapshot, insights)?
                .restrict(root, depth, "rootUnitId")?;
        Ok(chart.render(format.into()))
    }

    /// The KPIs the organization can use: the built-in catalog and its own, of one
    /// stage or all (the same as the root `kpis`).
    async fn kpis(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the KPIs of this stage; null for all.")] stage: Option<
            crate::enums::StageKey,
        >,
    ) -> GqlResult<Vec<crate::catalog::KpiDefinition>> {
        crate::kpis::definitions(ctx, self.0.id, stage).await
    }

    /// One of its KPI series rolled up to `granularity` over `[from, to)` (the same as
    /// the root `kpiSeries`).
    #[allow(clippy::too_many_arguments)]
    async fn kpi_series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The KPI's key, e.g. `mqls`.")] kpi: String,
        #[graphql(desc = "The period length to roll up to.")]
        granularity: crate::enums::Granularity,
        #[graphql(desc = "The first day of the range, `YYYY-MM-DD` (included).")] from: Date,
        #[graphql(desc = "The day after the range, `YYYY-MM-DD` (excluded).")] to: Date,
        #[graphql(desc = "One unit's points; null for those of the whole organization.")]
        unit_id: Option<ID>,
        #[graphql(
            desc = "Only points with exactly these dimensions; null for points without any."
        )]
        dimensions: Option<Vec<crate::kpis::DimensionInput>>,
    ) -> GqlResult<Vec<crate::kpis::KpiSeriesPoint>> {
        let request =
            crate::kpis::series_request(&kpi, granularity, (&from, &to), unit_id, dimensions)?;
        crate::kpis::series_of(ctx, self.0.id, request).await
    }

    /// The declared maturity stage on `asOf` (default: today), its history, and the
    /// stage the KPI data evidences.
    async fn maturity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Day to read, `YYYY-MM-DD` (default: today, UTC).")] as_of: Option<Date>,
    ) -> GqlResult<crate::maturity::Maturity> {
        let as_of = Date::as_of(as_of.as_ref())?;
        let key = (self.0.id, as_of);
        let (history, core_kpis) = futures_util::try_join!(
            loaders(ctx)?.stage_histories.load_or_default(key),
            loaders(ctx)?.core_kpis.load_or_default(key),
        )?;
        Ok(crate::maturity::Maturity {
            history,
            core_kpis,
            as_of,
        })
    }

    /// The organization's stakeholders: its units marketing deals with, and outside
    /// groups.
    async fn stakeholders(&self, ctx: &Context<'_>) -> GqlResult<Vec<StakeholderObject>> {
        let rows = loaders(ctx)?
            .stakeholders
            .load_or_default((self.0.id, ()))
            .await?;
        Ok(rows.into_iter().map(StakeholderObject).collect())
    }

    /// The relationships its units keep with stakeholders.
    async fn relationships(&self, ctx: &Context<'_>) -> GqlResult<Vec<RelationshipObject>> {
        let rows = loaders(ctx)?
            .relationships
            .load_or_default((self.0.id, ()))
            .await?;
        Ok(rows.into_iter().map(RelationshipObject).collect())
    }

    /// The four leadership priorities with their latest assessment, trend and history.
    async fn priorities(
        &self,
        ctx: &Context<'_>,
    ) -> GqlResult<Vec<crate::priorities::PriorityStatus>> {
        let all = loaders(ctx)?
            .assessments
            .load_or_default((self.0.id, ()))
            .await?;
        Ok(crate::priorities::statuses(&all))
    }

    /// Its scenarios (draft reorganizations), newest first; of one status or all.
    async fn scenarios(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only scenarios in this status; null for all.")] status: Option<
            crate::enums::ScenarioStatus,
        >,
        #[graphql(desc = "Page size: 1 to the page-size cap (100 unless configured); default 20.")]
        first: Option<i32>,
        #[graphql(desc = "The `cursor` of the edge to continue after; null starts at the top.")]
        after: Option<String>,
    ) -> GqlResult<crate::pagination::Page<crate::scenarios::types::Scenario>> {
        crate::scenarios::resolvers::of_organization(
            ctx,
            self.0.id,
            status.map(Into::into),
            first,
            after,
        )
        .await
    }

    /// The reporting lines in effect on `asOf` (default: today).
    async fn reporting_lines(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Day to read, `YYYY-MM-DD` (default: today, UTC).")] as_of: Option<Date>,
        #[graphql(desc = "Only lines of this kind; null for both.")] kind: Option<LineKind>,
    ) -> GqlResult<Vec<ReportingLine>> {
        let lines = loaders(ctx)?
            .lines_as_of
            .load_or_default((self.0.id, Date::as_of(as_of.as_ref())?))
            .await?;
        prefetch::units_if_selected(ctx, &self.0, &crate::reporting::prefetched::UNITS).await?;
        Ok(lines
            .iter()
            .filter(|l| kind.is_none_or(|k| l.kind == k.as_str()))
            .cloned()
            .map(ReportingLine)
            .collect())
    }
}
