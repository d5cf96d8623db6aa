//! Position queries and mutations.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use orgdesign_domain::{
    Name,
    error::Result,
    parse_id,
    positions::service::{self, NewPosition, PositionChanges},
};

use super::types::Position;
use crate::{
    context::{changed_on, find_on, limits, request, store},
    enums::{PositionRole, Responsibility},
    error::GqlResult,
    scalars::Date,
};

/// Input of `createPosition`.
#[derive(InputObject, Debug)]
pub struct CreatePositionInput {
    /// The unit the position heads.
    unit_id: ID,
    /// Its title: one line, up to 200 characters.
    title: String,
    /// Its leadership role.
    role: PositionRole,
    /// Display name only; orgdesign keeps no other personal data.
    holder_name: Option<String>,
    /// What it answers for, at most 10 (default: none).
    #[graphql(default)]
    responsibilities: Vec<Responsibility>,
    /// The first day the position exists (default: today); its unit must exist then.
    effective_from: Option<Date>,
}

/// Input of `updatePosition`: absent fields stay.
#[derive(InputObject, Debug)]
pub struct UpdatePositionInput {
    /// The position to change.
    id: ID,
    /// The version the change was made against; a newer stored one is a `CONFLICT`.
    version: i32,
    /// Moves the position to another unit of the same organization.
    unit_id: Option<ID>,
    /// A new title, up to 200 characters.
    title: Option<String>,
    /// A new leadership role.
    role: Option<PositionRole>,
    /// A new holder's display name, up to 200 characters; `null` (or blank) clears it.
    holder_name: MaybeUndefined<String>,
    /// Replaces the whole list.
    responsibilities: Option<Vec<Responsibility>>,
    /// Archive (or restore) the position. Archiving ends it on `effectiveFrom`: it no
    /// longer exists from that day.
    archived: Option<bool>,
    /// The first day the changed values hold (default: today). A change dated in the
    /// future leaves every earlier day as it was; queries `asOf` that day show it. A
    /// move to another unit (`unitId`) is not dated: it holds for every day.
    effective_from: Option<Date>,
}

/// Most responsibilities one position may list (there are ten kinds).
const MAX_RESPONSIBILITIES: usize = 10;

fn check_responsibilities(list: &[Responsibility]) -> Result<()> {
    if list.len() > MAX_RESPONSIBILITIES {
        return Err(orgdesign_domain::error::Error::bad_input(
            "input.responsibilities",
            format!("at most {MAX_RESPONSIBILITIES} entries"),
        ));
    }
    Ok(())
}

impl CreatePositionInput {
    fn parse(self) -> Result<NewPosition> {
        check_responsibilities(&self.responsibilities)?;
        Ok(NewPosition {
            unit_id: parse_id("input.unitId", &self.unit_id)?,
            effective_from: Date::effective(self.effective_from.as_ref(), "input.effectiveFrom")?,
            title: Name::parse("input.title", &self.title)?,
            role: self.role.into(),
            holder_name: Name::parse_opt("input.holderName", self.holder_name.as_deref())?,
            responsibilities: self.responsibilities.into_iter().map(Into::into).collect(),
        })
    }
}

impl UpdatePositionInput {
    fn parse(self) -> Result<PositionChanges> {
        if let Some(list) = &self.responsibilities {
            check_responsibilities(list)?;
        }
        Ok(PositionChanges {
            id: parse_id("input.id", &self.id)?,
            version: self.version,
            effective_from: Date::effective(self.effective_from.as_ref(), "input.effectiveFrom")?,
            unit_id: self
                .unit_id
                .map(|id| parse_id("input.unitId", &id))
                .transpose()?,
            title: self
                .title
                .map(|s| Name::parse("input.title", &s))
                .transpose()?,
            role: self.role.map(Into::into),
            holder_name: match self.holder_name {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(s) => Some(Name::parse_opt("input.holderName", Some(&s))?),
            },
            responsibilities: self
                .responsibilities
                .map(|list| list.into_iter().map(Into::into).collect()),
            archived: self.archived,
        })
    }
}

/// Position queries.
#[derive(Default)]
pub struct PositionQuery;

#[Object]
impl PositionQuery {
    /// One position by id as it stood on `asOf` (default: today); null when unknown,
    /// out of the token's reach, or when it did not exist yet that day. Admins,
    /// editors and viewers.
    async fn position(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The position's id.")] id: ID,
        #[graphql(desc = "Day to read, `YYYY-MM-DD` (default: today, UTC).")] as_of: Option<Date>,
    ) -> GqlResult<Option<Position>> {
        let found = find_on(ctx, &id, as_of.as_ref(), service::find, |row| {
            row.organization_id
        });
        Ok(found.await?.map(|(row, day)| Position(row, day)))
    }
}

/// Position mutations.
#[derive(Default)]
pub struct PositionMutation;

#[Object]
impl PositionMutation {
    /// Creates a position heading a unit (at most 50 per unit, unless configured).
    /// Admins; editors in their organizations.
    async fn create_position(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new position.")] input: CreatePositionInput,
    ) -> GqlResult<Position> {
        let writer = request(ctx)?.writer()?;
        let new = input.parse()?;
        let day = new.effective_from;
        let max = limits(ctx)?.max_positions_per_unit;
        let created = service::create(store(ctx)?, writer, new, max);
        changed_on(day, created, Position).await
    }

    /// Changes a position from `effectiveFrom` on (including archiving it) if
    /// `version` is current; returns the position as it stands on that day. Admins;
    /// editors in their organizations.
    async fn update_position(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which position, its version and what changes from when.")]
        input: UpdatePositionInput,
    ) -> GqlResult<Position> {
        let writer = request(ctx)?.writer()?;
        let changes = input.parse()?;
        let day = changes.effective_from;
        let updated = service::update(store(ctx)?, writer, changes);
        changed_on(day, updated, Position).await
    }
}
