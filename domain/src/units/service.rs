//! Unit storage rules.

use chrono::NaiveDate;
use entity::{org_unit, organization, reporting_line};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use uuid::Uuid;

use crate::{
    Description, Name, Sourcing, UnitFunction,
    audit::Operation,
    auth::Writer,
    clock::now,
    dated::{self, History},
    error::{Error, Result},
    query::lines_open_after,
    store::Store,
    write::{self, Row, Target, check_version},
};

/// A new unit, parsed.
#[derive(Debug)]
pub struct NewUnit {
    pub organization_id: Uuid,
    /// The first day it exists.
    pub effective_from: NaiveDate,
    pub name: Name,
    pub function: UnitFunction,
    pub sourcing: Sourcing,
    pub description: Option<Description>,
}

/// Changes to a unit from a day on; `None` leaves a field as it is.
#[derive(Debug)]
pub struct UnitChanges {
    pub id: Uuid,
    pub version: i32,
    /// The first day the changed values hold; with `archived: true`, the first day the
    /// unit no longer exists.
    pub effective_from: NaiveDate,
    pub name: Option<Name>,
    pub function: Option<UnitFunction>,
    pub sourcing: Option<Sourcing>,
    pub description: Option<Option<Description>>,
    pub archived: Option<bool>,
}

/// Creates a unit in an existing, active organization that has room for it (at most
/// `max_units` units).
pub async fn create(
    store: &Store,
    writer: Writer<'_>,
    new: NewUnit,
    max_units: u64,
) -> Result<org_unit::Model> {
    let target = Target::organization(new.organization_id, "organizationId").active();
    let mut write = write::begin(store, writer, target).await?;
    write.takes_effect_on(new.effective_from);
    let unit = create_in(&write.tx, &write.organization, new, max_units).await?;
    write.commit(Operation::CreateUnit, vec![unit.id]).await?;
    Ok(unit)
}

/// The write of [`create`] inside a transaction that holds `org`'s lock (a scenario's
/// promotion applies several in one).
pub(crate) async fn create_in<C: ConnectionTrait>(
    tx: &C,
    org: &organization::Model,
    new: NewUnit,
    max_units: u64,
) -> Result<org_unit::Model> {
    let units = org_unit::Entity::find()
        .filter(org_unit::Column::OrganizationId.eq(org.id))
        .count(tx)
        .await?;
    if units >= max_units {
        return Err(Error::LimitExceeded(format!(
            "an organization holds at most {max_units} units"
        )));
    }
    let now = now();
    dated::insert(
        tx,
        org_unit::Model {
            id: Uuid::now_v7(),
            organization_id: org.id,
            name: new.name.into_inner(),
            function: new.function.as_str().to_owned(),
            sourcing: new.sourcing.as_str().to_owned(),
            description: new.description.map(Description::into_inner),
            effective_from: new.effective_from,
            effective_to: None,
            archived: false,
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )
    .await
}

/// Applies `changes` from their day on if `version` is still current.
///
/// A unit with reporting lines (either way) still in effect on or after the day it
/// would end cannot end then: ending them is a structural decision with its own date,
/// so the caller makes it.
pub async fn update(
    store: &Store,
    writer: Writer<'_>,
    changes: UnitChanges,
) -> Result<org_unit::Model> {
    let unit = Row::new(changes.id, "id").active();
    let (mut write, current) = write::begin_on::<org_unit::Entity>(store, writer, unit).await?;
    write.takes_effect_on(changes.effective_from);
    let updated = update_in(&write.tx, &write.organization, current, changes).await?;
    write
        .commit(Operation::UpdateUnit, vec![updated.id])
        .await?;
    Ok(updated)
}

/// The write of [`update`] inside a transaction that holds `org`'s lock, `current`
/// read under it.
pub(crate) async fn update_in<C: ConnectionTrait>(
    tx: &C,
    org: &organization::Model,
    current: org_unit::Model,
    changes: UnitChanges,
) -> Result<org_unit::Model> {
    check_version("the unit", current.version, changes.version)?;
    let day = changes.effective_from;
    if changes.archived == Some(true) {
        ensure_no_lines_from(tx, org.id, current.id, day).await?;
    }
    let changes_values = changes.name.is_some()
        || changes.function.is_some()
        || changes.sourcing.is_some()
        || changes.description.is_some();
    let change = changes_values.then_some(|row: &mut org_unit::Model| {
        if let Some(name) = changes.name {
            row.name = name.into_inner();
        }
        if let Some(function) = changes.function {
            row.function = function.as_str().to_owned();
        }
        if let Some(sourcing) = changes.sourcing {
            row.sourcing = sourcing.as_str().to_owned();
        }
        if let Some(description) = changes.description {
            row.description = description.map(Description::into_inner);
        }
    });
    dated::update(tx, current, day, changes.archived, change).await
}

/// Refuses to end a unit on `end` while lines to or from it hold on `end` or later.
async fn ensure_no_lines_from<C: ConnectionTrait>(
    tx: &C,
    organization: Uuid,
    unit: Uuid,
    end: NaiveDate,
) -> Result<()> {
    let open_lines = reporting_line::Entity::find()
        .filter(reporting_line::Column::OrganizationId.eq(organization))
        .filter(
            Condition::any()
                .add(reporting_line::Column::UnitId.eq(unit))
                .add(reporting_line::Column::SuperiorUnitId.eq(unit)),
        )
        .filter(lines_open_after(end))
        .count(tx)
        .await?;
    if open_lines > 0 {
        return Err(Error::conflict(
            "archived",
            format!(
                "the unit still has {open_lines} reporting line(s) in effect on or after {end}; end them first"
            ),
        ));
    }
    Ok(())
}

/// One unit by id, with its history.
pub async fn find(db: &DatabaseConnection, id: Uuid) -> Result<Option<History<org_unit::Model>>> {
    Ok(by_ids(db, &[id]).await?.pop())
}

/// Units by id, with their histories (one statement for all of them).
pub async fn by_ids(
    db: &DatabaseConnection,
    ids: &[Uuid],
) -> Result<Vec<History<org_unit::Model>>> {
    dated::histories(db, org_unit::Column::Id, ids).await
}

/// Every unit of each of `organizations`, with its history (one statement); pick a
/// day's with [`dated::on_day`].
pub async fn of_organizations(
    db: &DatabaseConnection,
    organizations: &[Uuid],
) -> Result<Vec<History<org_unit::Model>>> {
    dated::histories(db, org_unit::Column::OrganizationId, organizations).await
}

/// Checks that `unit` is one of `organization`'s units; otherwise `NOT_FOUND` on the
/// input `field` (an unknown unit and another organization's look alike).
pub async fn ensure_of_organization<C: ConnectionTrait>(
    tx: &C,
    organization: Uuid,
    unit: Uuid,
    field: &str,
) -> Result<()> {
    let found = org_unit::Entity::find_by_id(unit).one(tx).await?;
    if found.is_none_or(|u| u.organization_id != organization) {
        return Err(Error::not_found_at("unit", field));
    }
    Ok(())
}
