//! Reporting-line queries and mutations.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use orgdesign_domain::{
    StorableDate,
    error::Result,
    parse_id,
    reporting::service::{self, NewLine},
};

use super::types::ReportingLine;
use crate::{
    context::{find_readable, request, store},
    enums::LineKind,
    error::{AtInput, GqlResult},
    scalars::Date,
};

/// Input of `addReportingLine`.
#[derive(InputObject, Debug)]
pub struct AddReportingLineInput {
    /// The unit that reports.
    unit_id: ID,
    /// The unit reported to; same organization.
    superior_unit_id: ID,
    /// SOLID or DOTTED (default `SOLID`).
    #[graphql(default_with = "LineKind::Solid")]
    kind: LineKind,
    /// First day the line holds.
    effective_from: Date,
    /// First day it no longer holds; leave out for an open-ended line.
    effective_to: Option<Date>,
}

/// Input of `replaceReportingLine`: a new SOLID superior from a date.
#[derive(InputObject, Debug)]
pub struct ReplaceReportingLineInput {
    /// The unit that reports.
    unit_id: ID,
    /// Its new SOLID superior; same organization.
    superior_unit_id: ID,
    /// The day the new line starts and the old one ends.
    effective_from: Date,
}

/// Input of `endReportingLine`.
#[derive(InputObject, Debug)]
pub struct EndReportingLineInput {
    /// The line to end.
    id: ID,
    /// The version the change was made against; a newer stored one is a `CONFLICT`.
    version: i32,
    /// First day the line no longer holds.
    effective_to: Date,
}

/// Input of `deleteReportingLine`.
#[derive(InputObject, Debug)]
pub struct DeleteReportingLineInput {
    /// The line to delete.
    id: ID,
    /// The version the change was made against; a newer stored one is a `CONFLICT`.
    version: i32,
}

/// What `replaceReportingLine` changed.
#[derive(SimpleObject, Debug)]
pub struct ReplaceReportingLinePayload {
    /// The line that ended, if the unit had one on that date.
    ended: Option<ReportingLine>,
    /// The new line.
    added: ReportingLine,
}

impl AddReportingLineInput {
    fn parse(self) -> Result<NewLine> {
        Ok(NewLine {
            unit_id: parse_id("input.unitId", &self.unit_id)?,
            superior_unit_id: parse_id("input.superiorUnitId", &self.superior_unit_id)?,
            kind: self.kind.into(),
            effective_from: self.effective_from.storable("input.effectiveFrom")?.get(),
            effective_to: self
                .effective_to
                .map(|d| d.storable("input.effectiveTo").map(StorableDate::get))
                .transpose()?,
        })
    }
}

impl ReplaceReportingLineInput {
    fn parse(self) -> Result<NewLine> {
        Ok(NewLine {
            unit_id: parse_id("input.unitId", &self.unit_id)?,
            superior_unit_id: parse_id("input.superiorUnitId", &self.superior_unit_id)?,
            kind: LineKind::Solid.into(),
            effective_from: self.effective_from.storable("input.effectiveFrom")?.get(),
            effective_to: None,
        })
    }
}

/// Reporting-line queries.
#[derive(Default)]
pub struct ReportingQuery;

#[Object]
impl ReportingQuery {
    /// One reporting line by id; null when unknown or out of the token's reach.
    /// Admins, editors and viewers.
    async fn reporting_line(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The line's id.")] id: ID,
    ) -> GqlResult<Option<ReportingLine>> {
        let found = find_readable(ctx, &id, service::find, |m| m.organization_id).await?;
        Ok(found.map(ReportingLine))
    }
}

/// Reporting-line mutations.
#[derive(Default)]
pub struct ReportingMutation;

#[Object]
impl ReportingMutation {
    /// Adds a line. A unit has at most one SOLID superior on any date, SOLID lines never
    /// form a cycle on any date, and both units belong to one organization; a line
    /// breaking any of these is refused and nothing is written. Admins; editors in their organizations.
    async fn add_reporting_line(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new line.")] input: AddReportingLineInput,
    ) -> GqlResult<ReportingLine> {
        let writer = request(ctx)?.writer()?;
        let line = input.parse()?;
        let m = service::add(store(ctx)?, writer, line).await.at_input()?;
        Ok(ReportingLine(m))
    }

    /// Gives a unit a new SOLID superior from a date: the line in effect then ends,
    /// the new one starts, history keeps both. Admins; editors in their organizations.
    async fn replace_reporting_line(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The unit, its new superior and the day.")]
        input: ReplaceReportingLineInput,
    ) -> GqlResult<ReplaceReportingLinePayload> {
        let writer = request(ctx)?.writer()?;
        let line = input.parse()?;
        let (ended, added) = service::replace(store(ctx)?, writer, line)
            .await
            .at_input()?;
        Ok(ReplaceReportingLinePayload {
            ended: ended.map(ReportingLine),
            added: ReportingLine(added),
        })
    }

    /// Ends a line on a date; it stays in the history. Admins; editors in their organizations.
    async fn end_reporting_line(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which line, its version and the day it ends.")]
        input: EndReportingLineInput,
    ) -> GqlResult<ReportingLine> {
        let writer = request(ctx)?.writer()?;
        let id = parse_id("input.id", &input.id)?;
        let to = input.effective_to.storable("input.effectiveTo")?;
        let m = service::end(store(ctx)?, writer, id, input.version, to)
            .await
            .at_input()?;
        Ok(ReportingLine(m))
    }

    /// Deletes a line recorded in error and returns it as it was. Lines that once held
    /// should be ended instead. Admins; editors in their organizations.
    async fn delete_reporting_line(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which line and its version.")] input: DeleteReportingLineInput,
    ) -> GqlResult<ReportingLine> {
        let writer = request(ctx)?.writer()?;
        let id = parse_id("input.id", &input.id)?;
        let m = service::delete(store(ctx)?, writer, id, input.version)
            .await
            .at_input()?;
        Ok(ReportingLine(m))
    }
}
