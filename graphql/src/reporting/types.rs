//! The `ReportingLine` GraphQL type.

use async_graphql::{Context, Description, ID, Object};
use entity::reporting_line;
use orgdesign_domain::{clock::today, reporting::structure::Span};
use uuid::Uuid;

use crate::{
    enums::LineKind,
    error::GqlResult,
    scalars::{Date, Timestamp},
    units::Unit,
};

/// A line from a unit to its superior unit over `[effectiveFrom, effectiveTo)`.
#[derive(Debug, Clone, Description)]
pub struct ReportingLine(pub reporting_line::Model);

/// Fields of `ReportingLine` (as the schema names them) whose rows a list of lines
/// loads ahead for its whole organization (`organizations::prefetch`).
pub mod prefetched {
    /// `unit` and `superiorUnit`: the two units of the line.
    pub const UNITS: [&str; 2] = ["unit", "superiorUnit"];
}

/// One end of a line as it stood on `day`, through the request's `unit_by_id` loader.
async fn unit(ctx: &Context<'_>, id: Uuid, day: chrono::NaiveDate) -> GqlResult<Option<Unit>> {
    Ok(Unit::on(ctx, vec![id], day).await?.pop())
}

impl ReportingLine {
    /// The day the line's units are shown as: today while the line holds, its last
    /// day once it has ended, its first day while it lies ahead.
    fn day(&self) -> chrono::NaiveDate {
        let today = orgdesign_domain::clock::today();
        let last = self
            .0
            .effective_to
            .and_then(|to| to.pred_opt())
            .unwrap_or(today);
        today.min(last).max(self.0.effective_from)
    }
}

#[Object(use_type_description)]
impl ReportingLine {
    /// Its global id (also for `node`).
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The unit that reports, as it stood on the line's day (today while the line
    /// holds, else its last or first day).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        unit(ctx, self.0.unit_id, self.day()).await
    }

    /// The unit reported to, as it stood on the line's day.
    async fn superior_unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        unit(ctx, self.0.superior_unit_id, self.day()).await
    }

    /// SOLID (who the unit answers to) or DOTTED (a matrix line).
    async fn kind(&self) -> GqlResult<LineKind> {
        Ok(LineKind::from_db(&self.0.kind)?)
    }

    /// First day the line holds.
    async fn effective_from(&self) -> Date {
        self.0.effective_from.into()
    }

    /// First day the line no longer holds; null while it is open-ended.
    async fn effective_to(&self) -> Option<Date> {
        self.0.effective_to.map(Date::from)
    }

    /// Whether the line holds today.
    async fn current(&self) -> bool {
        Span::of(&self.0).contains(today())
    }

    /// Optimistic-concurrency version; send it back with changes.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When it was recorded.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }

    /// When it was last changed (its recording, until a change).
    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at.into()
    }
}
