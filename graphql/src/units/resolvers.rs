//! Unit queries and mutations.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use orgdesign_domain::{
    Description, Name,
    error::Result,
    parse_id,
    units::service::{self, NewUnit, UnitChanges},
};

use super::types::Unit;
use crate::{
    context::{changed_on, find_on, limits, request, store},
    enums::{Sourcing, UnitFunction},
    error::GqlResult,
    scalars::Date,
};

/// Input of `createUnit`.
#[derive(InputObject, Debug)]
pub struct CreateUnitInput {
    /// The organization the unit belongs to.
    organization_id: ID,
    /// Display name: one line, up to 200 characters.
    name: String,
    /// What the unit does.
    function: UnitFunction,
    /// Who staffs it (default `IN_HOUSE`).
    #[graphql(default_with = "Sourcing::InHouse")]
    sourcing: Sourcing,
    /// Free text, up to 2,000 characters; null or blank for none.
    description: Option<String>,
    /// The first day the unit exists (default: today).
    effective_from: Option<Date>,
}

/// Input of `updateUnit`: absent fields stay.
#[derive(InputObject, Debug)]
pub struct UpdateUnitInput {
    /// The unit to change.
    id: ID,
    /// The version the change was made against; a newer stored one is a `CONFLICT`.
    version: i32,
    /// A new name, up to 200 characters.
    name: Option<String>,
    /// A new function.
    function: Option<UnitFunction>,
    /// A new sourcing.
    sourcing: Option<Sourcing>,
    /// A new description, up to 2,000 characters; `null` (or blank) clears it.
    description: MaybeUndefined<String>,
    /// Archive (or restore) the unit; its reporting lines must be ended first.
    /// Archiving ends it on `effectiveFrom`: the unit no longer exists from that day.
    archived: Option<bool>,
    /// The first day the changed values hold (default: today). A change dated in the
    /// future leaves every earlier day as it was; queries `asOf` that day show it.
    effective_from: Option<Date>,
}

impl CreateUnitInput {
    fn parse(self) -> Result<NewUnit> {
        Ok(NewUnit {
            organization_id: parse_id("input.organizationId", &self.organization_id)?,
            effective_from: Date::effective(self.effective_from.as_ref(), "input.effectiveFrom")?,
            name: Name::parse("input.name", &self.name)?,
            function: self.function.into(),
            sourcing: self.sourcing.into(),
            description: Description::parse_opt("input.description", self.description.as_deref())?,
        })
    }
}

impl UpdateUnitInput {
    fn parse(self) -> Result<UnitChanges> {
        Ok(UnitChanges {
            id: parse_id("input.id", &self.id)?,
            version: self.version,
            effective_from: Date::effective(self.effective_from.as_ref(), "input.effectiveFrom")?,
            name: self
                .name
                .map(|s| Name::parse("input.name", &s))
                .transpose()?,
            function: self.function.map(Into::into),
            sourcing: self.sourcing.map(Into::into),
            description: match self.description {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(s) => {
                    Some(Description::parse_opt("input.description", Some(&s))?)
                }
            },
            archived: self.archived,
        })
    }
}

/// Unit queries.
#[derive(Default)]
pub struct UnitQuery;

#[Object]
impl UnitQuery {
    /// One unit by id as it stood on `asOf` (default: today); null when unknown, out
    /// of the token's reach, or when it did not exist yet that day. Admins, editors
    /// and viewers.
    async fn unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The unit's id.")] id: ID,
        #[graphql(desc = "Day to read, `YYYY-MM-DD` (default: today, UTC).")] as_of: Option<Date>,
    ) -> GqlResult<Option<Unit>> {
        let found = find_on(ctx, &id, as_of.as_ref(), service::find, |row| {
            row.organization_id
        });
        Ok(found.await?.map(|(row, day)| Unit(row, day)))
    }
}

/// Unit mutations.
#[derive(Default)]
pub struct UnitMutation;

#[Object]
impl UnitMutation {
    /// Creates a unit in an organization (at most 5,000 units each, unless
    /// configured). Admins; editors in their organizations.
    async fn create_unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new unit.")] input: CreateUnitInput,
    ) -> GqlResult<Unit> {
        let writer = request(ctx)?.writer()?;
        let new = input.parse()?;
        let day = new.effective_from;
        let max = limits(ctx)?.max_units_per_organization;
        let created = service::create(store(ctx)?, writer, new, max);
        changed_on(day, created, Unit).await
    }

    /// Changes a unit from `effectiveFrom` on (including archiving it) if `version` is
    /// current; returns the unit as it stands on that day. Admins; editors in their
    /// organizations.
    async fn update_unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which unit, its version and what changes from when.")]
        input: UpdateUnitInput,
    ) -> GqlResult<Unit> {
        let writer = request(ctx)?.writer()?;
        let changes = input.parse()?;
        let day = changes.effective_from;
        let updated = service::update(store(ctx)?, writer, changes);
        changed_on(day, updated, Unit).await
    }
}
