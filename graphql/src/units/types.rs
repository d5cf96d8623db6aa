//! The `OrgUnit` GraphQL type, with its place in the structure as computed fields.

use async_graphql::{Context, Description, ID, Object};
use chrono::NaiveDate;
use entity::org_unit;
use orgdesign_domain::{dated, reporting::structure};

use crate::{
    context::loaders,
    enums::{LineKind, Sourcing, UnitFunction},
    error::GqlResult,
    organizations::Organization,
    positions::Position,
    reporting::ReportingLine,
    revision::{Lifespan, Revision},
    scalars::Date,
};

/// A department, team, business unit or outside agency, read as it stood on a day:
/// its values are that day's, and the fields that take `asOf` default to it.
// The day is the second field; the doc above is the schema's description.
#[derive(Debug, Clone, Description)]
pub struct Unit(pub org_unit::Model, pub NaiveDate);

/// Fields of `OrgUnit` (as the schema names them) whose rows the organization-level
/// prefetch loads ahead for a whole list of units (`organizations::prefetch`).
/// Renaming one of these fields means renaming it here; a test checks each is a field.
pub mod prefetched {
    /// `positions`: the positions heading the unit, loaded per organization.
    pub const POSITIONS: &str = "positions";
    /// `lineHistory`: every line of the unit, loaded per organization.
    pub const LINE_HISTORY: &str = "lineHistory";
    /// The fields that read the structure on a date: today's lines are loaded once.
    pub const STRUCTURE: [&str; 6] = [
        "reportingLines",
        "superior",
        "dottedSuperiors",
        "subordinates",
        "spanOfControl",
        "depth",
    ];
}

impl Unit {
    async fn lines(
        &self,
        ctx: &Context<'_>,
        day: NaiveDate,
    ) -> GqlResult<std::sync::Arc<Vec<entity::reporting_line::Model>>> {
        Ok(loaders(ctx)?
            .lines_as_of
            .load_one((self.0.organization_id, day))
            .await?
            .unwrap_or_default())
    }

    /// The day an `asOf` argument asks for: the day this unit was read for when absent.
    fn day(&self, as_of: Option<Date>) -> GqlResult<NaiveDate> {
        Ok(match as_of {
            Some(date) => Date::as_of(Some(&date))?,
            None => self.1,
        })
    }

    /// The units `ids` as they stood on `day`, in the order given; those that did not
    /// exist that day are left out.
    pub async fn on(
        ctx: &Context<'_>,
        ids: Vec<uuid::Uuid>,
        day: NaiveDate,
    ) -> GqlResult<Vec<Unit>> {
        let found = loaders(ctx)?
            .unit_by_id
            .load_many(ids.iter().copied())
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.get(id)?.on(day))
            .map(|row| Unit(row, day))
            .collect())
    }
}

#[Object(name = "OrgUnit", use_type_description)]
impl Unit {
    /// Its global id (also for `node`).
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The organization it belongs to.
    async fn organization(&self, ctx: &Context<'_>) -> GqlResult<Option<Organization>> {
        Ok(loaders(ctx)?
            .organization_by_id
            .load_one(self.0.organization_id)
            .await?
            .map(Organization))
    }

    /// Display name on the day read.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What it does, on the day read.
    async fn function(&self) -> GqlResult<UnitFunction> {
        Ok(UnitFunction::from_db(&self.0.function)?)
    }

    /// Who staffs it, on the day read.
    async fn sourcing(&self) -> GqlResult<Sourcing> {
        Ok(Sourcing::from_db(&self.0.sourcing)?)
    }

    /// Free text about the unit; null when none was given.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    #[graphql(flatten)]
    async fn lifespan(&self) -> Lifespan {
        Lifespan::new(self.0.effective_from, self.0.effective_to, self.0.archived)
    }

    #[graphql(flatten)]
    async fn revision(&self) -> Revision {
        Revision::new(self.0.version, self.0.created_at, self.0.updated_at)
    }

    /// The leadership positions heading this unit on the day it was read for, by
    /// title; ended ones only when asked.
    async fn positions(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Whether positions that had ended by the day read are listed too.",
            default = false,
            deprecation = "An ended one is one whose effectiveTo is on or before the day read: read an earlier asOf to see it as it stood, or structureChanges(from, to) for what ended between two days."
        )]
        include_archived: bool,
    ) -> GqlResult<Vec<Position>> {
        let histories = loaders(ctx)?
            .positions_by_unit
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(dated::listed(dated::on_day(&histories, self.1))
            .into_iter()
            .filter(|p| include_archived || !p.archived)
            .map(|p| Position(p, self.1))
            .collect())
    }

    /// This unit's lines to its superiors in effect on `asOf` (default: the day the
    /// unit was read for).
    async fn reporting_lines(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The day to read, `YYYY-MM-DD` (default: the day the unit was read for)."
        )]
        as_of: Option<Date>,
    ) -> GqlResult<Vec<ReportingLine>> {
        let lines = self.lines(ctx, self.day(as_of)?).await?;
        Ok(lines
            .iter()
            .filter(|l| l.unit_id == self.0.id)
            .cloned()
            .map(ReportingLine)
            .collect())
    }

    /// Every line this unit ever had to a superior, oldest first: the history.
    async fn line_history(&self, ctx: &Context<'_>) -> GqlResult<Vec<ReportingLine>> {
        Ok(loaders(ctx)?
            .line_history_by_unit
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ReportingLine)
            .collect())
    }

    /// The unit this one reports to on a SOLID line on `asOf`; null at the top.
    async fn superior(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The day to read, `YYYY-MM-DD` (default: the day the unit was read for)."
        )]
        as_of: Option<Date>,
    ) -> GqlResult<Option<Unit>> {
        let day = self.day(as_of)?;
        let lines = self.lines(ctx, day).await?;
        let Some(superior) = structure::solid_superior(&lines, self.0.id) else {
            return Ok(None);
        };
        Ok(Self::on(ctx, vec![superior], day).await?.into_iter().next())
    }

    /// Units this one has DOTTED (matrix) lines to on `asOf`.
    async fn dotted_superiors(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The day to read, `YYYY-MM-DD` (default: the day the unit was read for)."
        )]
        as_of: Option<Date>,
    ) -> GqlResult<Vec<Unit>> {
        let day = self.day(as_of)?;
        let lines = self.lines(ctx, day).await?;
        let ids = lines
            .iter()
            .filter(|l| l.unit_id == self.0.id && l.kind == LineKind::Dotted.as_str())
            .map(|l| l.superior_unit_id)
            .collect();
        Self::on(ctx, ids, day).await
    }

    /// Units reporting to this one on `asOf`, on lines of `kind` (default: SOLID).
    async fn subordinates(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The day to read, `YYYY-MM-DD` (default: the day the unit was read for)."
        )]
        as_of: Option<Date>,
        #[graphql(
            desc = "The kind of line to follow (default `SOLID`).",
            default_with = "LineKind::Solid"
        )]
        kind: LineKind,
    ) -> GqlResult<Vec<Unit>> {
        let day = self.day(as_of)?;
        let lines = self.lines(ctx, day).await?;
        let ids = lines
            .iter()
            .filter(|l| l.superior_unit_id == self.0.id && l.kind == kind.as_str())
            .map(|l| l.unit_id)
            .collect();
        Self::on(ctx, ids, day).await
    }

    /// Span of control: how many units report to this one on a SOLID line on `asOf`.
    async fn span_of_control(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The day to read, `YYYY-MM-DD` (default: the day the unit was read for)."
        )]
        as_of: Option<Date>,
    ) -> GqlResult<i32> {
        let lines = self.lines(ctx, self.day(as_of)?).await?;
        Ok(structure::span_of_control(&lines, self.0.id))
    }

    /// Depth: SOLID lines between this unit and the top of its structure on `asOf`
    /// (0 for a unit that reports to no one).
    async fn depth(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The day to read, `YYYY-MM-DD` (default: the day the unit was read for)."
        )]
        as_of: Option<Date>,
    ) -> GqlResult<i32> {
        let lines = self.lines(ctx, self.day(as_of)?).await?;
        Ok(structure::depth(&lines, self.0.id))
    }
}
