//! Unit storage rules.

use chrono::NaiveDate;
use entity::{org_unit, organization, reporting_line};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};
use uuid::Uuid;

use crate::{
    Description, Name, Sourcing, UnitFunction,
    audit::Operation,
    auth::Writer,
    clock::now,
    error::{Error, Result},
    query::{lines_open_after, rows_in},
    store::Store,
    write::{self, Row, Target, check_version},
};

/// A new unit, parsed.
#[derive(Debug)]
pub struct NewUnit {
    pub organization_id: Uuid,
    pub name: Name,
    pub function: UnitFunction,
    pub sourcing: Sourcing,
    pub description: Option<Description>,
}

/// Changes to a unit; `None` leaves a field as it is.
#[derive(Debug)]
pub struct UnitChanges {
    pub id: Uuid,
    pub version: i32,
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
    let write = write::begin(store, writer, target).await?;
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
    Ok(org_unit::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        name: Set(new.name.into_inner()),
        function: Set(new.function.as_str().to_owned()),
        sourcing: Set(new.sourcing.as_str().to_owned()),
        description: Set(new.description.map(Description::into_inner)),
        archived: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(tx)
    .await?)
}

/// Applies `changes` if `version` is still current.
///
/// A unit with reporting lines (either way) still in effect after `today` cannot be
/// archived: ending them is a structural decision with its own date, so the caller
/// makes it.
pub async fn update(
    store: &Store,
    writer: Writer<'_>,
    changes: UnitChanges,
    today: NaiveDate,
) -> Result<org_unit::Model> {
    let unit = Row::new(changes.id, "id").active();
    let (write, current) = write::begin_on::<org_unit::Entity>(store, writer, unit).await?;
    let updated = update_in(&write.tx, &write.organization, current, changes, today).await?;
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
    today: NaiveDate,
) -> Result<org_unit::Model> {
    check_version("the unit", current.version, changes.version)?;
    if changes.archived == Some(true) && !current.archived {
        let open_lines = reporting_line::Entity::find()
            .filter(reporting_line::Column::OrganizationId.eq(org.id))
            .filter(
                Condition::any()
                    .add(reporting_line::Column::UnitId.eq(current.id))
                    .add(reporting_line::Column::SuperiorUnitId.eq(current.id)),
            )
            .filter(lines_open_after(today))
            .count(tx)
            .await?;
        if open_lines > 0 {
            return Err(Error::conflict(
                "archived",
                format!(
                    "the unit still has {open_lines} current or future reporting line(s); end them first"
                ),
            ));
        }
    }
    let mut row: org_unit::ActiveModel = current.clone().into();
    if let Some(name) = changes.name {
        row.name = Set(name.into_inner());
    }
    if let Some(function) = changes.function {
        row.function = Set(function.as_str().to_owned());
    }
    if let Some(sourcing) = changes.sourcing {
        row.sourcing = Set(sourcing.as_str().to_owned());
    }
    if let Some(description) = changes.description {
        row.description = Set(description.map(Description::into_inner));
    }
    if let Some(archived) = changes.archived {
        row.archived = Set(archived);
    }
    row.version = Set(current.version + 1);
    row.updated_at = Set(now());
    Ok(row.update(tx).await?)
}

/// One unit by id.
pub async fn find(db: &DatabaseConnection, id: Uuid) -> Result<Option<org_unit::Model>> {
    Ok(org_unit::Entity::find_by_id(id).one(db).await?)
}

/// Units by id (one statement for all of them).
pub async fn by_ids(db: &DatabaseConnection, ids: &[Uuid]) -> Result<Vec<org_unit::Model>> {
    Ok(rows_in::<org_unit::Entity>(db, org_unit::Column::Id, ids, &[]).await?)
}

/// Every unit of each of `organizations`, by name (archived ones included).
pub async fn of_organizations(
    db: &DatabaseConnection,
    organizations: &[Uuid],
) -> Result<Vec<org_unit::Model>> {
    let order = [org_unit::Column::Name, org_unit::Column::Id];
    Ok(
        rows_in::<org_unit::Entity>(db, org_unit::Column::OrganizationId, organizations, &order)
            .await?,
    )
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
