//! Position storage rules.

use chrono::NaiveDate;
use entity::{org_unit, organization, position};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use crate::{
    Name, PositionRole, Responsibility,
    audit::Operation,
    auth::Writer,
    clock::now,
    dated::{self, History},
    error::{Error, Result},
    store::Store,
    write::{self, Row, check_version},
};

/// Reads the stored responsibilities (a JSON array of keys).
pub fn responsibilities(model: &position::Model) -> Result<Vec<Responsibility>, Error> {
    let keys: Vec<String> = serde_json::from_value(model.responsibilities.clone())
        .map_err(|e| Error::Internal(anyhow::anyhow!("position {}: {e}", model.id)))?;
    keys.iter().map(|k| Responsibility::from_db(k)).collect()
}

/// A new position, parsed.
#[derive(Debug)]
pub struct NewPosition {
    pub unit_id: Uuid,
    /// The first day it exists; its unit must exist then.
    pub effective_from: NaiveDate,
    pub title: Name,
    pub role: PositionRole,
    pub holder_name: Option<Name>,
    pub responsibilities: Vec<Responsibility>,
}

/// Changes to a position from a day on; `None` leaves a field as it is. A move to
/// another unit is not dated: it takes effect for every day.
#[derive(Debug)]
pub struct PositionChanges {
    pub id: Uuid,
    pub version: i32,
    /// The first day the changed values hold; with `archived: true`, the first day the
    /// position no longer exists.
    pub effective_from: NaiveDate,
    pub unit_id: Option<Uuid>,
    pub title: Option<Name>,
    pub role: Option<PositionRole>,
    pub holder_name: Option<Option<Name>>,
    pub responsibilities: Option<Vec<Responsibility>>,
    pub archived: Option<bool>,
}

/// Creates a position heading an existing unit that has room for it (at most
/// `max_positions` positions).
pub async fn create(
    store: &Store,
    writer: Writer<'_>,
    new: NewPosition,
    max_positions: u64,
) -> Result<position::Model> {
    let unit = Row::new(new.unit_id, "unitId");
    let (mut write, unit) =
        write::begin_on::<org_unit::Entity>(store, writer, unit.active()).await?;
    write.takes_effect_on(new.effective_from);
    let row = create_in(&write.tx, &write.organization, &unit, new, max_positions).await?;
    write
        .commit(Operation::CreatePosition, vec![row.id])
        .await?;
    Ok(row)
}

/// The write of [`create`] inside a transaction that holds `org`'s lock, `unit` read
/// under it.
pub(crate) async fn create_in<C: ConnectionTrait>(
    tx: &C,
    org: &organization::Model,
    unit: &org_unit::Model,
    new: NewPosition,
    max_positions: u64,
) -> Result<position::Model> {
    ensure_unit_on(tx, unit.clone(), new.effective_from).await?;
    let positions = position::Entity::find()
        .filter(position::Column::UnitId.eq(unit.id))
        .count(tx)
        .await?;
    if positions >= max_positions {
        return Err(Error::LimitExceeded(format!(
            "a unit holds at most {max_positions} positions"
        )));
    }
    let now = now();
    dated::insert(
        tx,
        position::Model {
            id: Uuid::now_v7(),
            organization_id: org.id,
            unit_id: unit.id,
            title: new.title.into_inner(),
            role: new.role.as_str().to_owned(),
            holder_name: new.holder_name.map(Name::into_inner),
            responsibilities: Responsibility::json(&new.responsibilities),
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

/// Refuses a unit that does not exist on `day` (`unitId` at fault): a position heads
/// a unit only while the unit exists.
async fn ensure_unit_on<C: ConnectionTrait>(
    tx: &C,
    unit: org_unit::Model,
    day: NaiveDate,
) -> Result<()> {
    let history = dated::history(tx, unit).await?;
    match history.on(day) {
        Some(unit) if !unit.archived => Ok(()),
        Some(_) => Err(Error::bad_input(
            "unitId",
            format!("the unit is archived: it had ended by {day}"),
        )),
        None => Err(Error::bad_input(
            "unitId",
            format!(
                "the unit does not exist yet on {day}: it exists from {}",
                history.row.effective_from
            ),
        )),
    }
}

/// Applies `changes` if `version` is still current. Moving a position to another unit
/// keeps it inside its organization.
pub async fn update(
    store: &Store,
    writer: Writer<'_>,
    changes: PositionChanges,
) -> Result<position::Model> {
    let position = Row::new(changes.id, "id");
    let (mut write, current) =
        write::begin_on::<position::Entity>(store, writer, position.active()).await?;
    write.takes_effect_on(changes.effective_from);
    let updated = update_in(&write.tx, &write.organization, current, changes).await?;
    write
        .commit(Operation::UpdatePosition, vec![updated.id])
        .await?;
    Ok(updated)
}

/// The write of [`update`] inside a transaction that holds `org`'s lock, `current`
/// read under it.
pub(crate) async fn update_in<C: ConnectionTrait>(
    tx: &C,
    org: &organization::Model,
    mut current: position::Model,
    changes: PositionChanges,
) -> Result<position::Model> {
    check_version("the position", current.version, changes.version)?;
    let day = changes.effective_from;
    if let Some(unit_id) = changes.unit_id {
        match org_unit::Entity::find_by_id(unit_id).one(tx).await? {
            Some(unit) if unit.organization_id == org.id => {
                ensure_unit_on(tx, unit, day).await?;
                current.unit_id = unit_id;
            }
            // A unit of another organization is reported as unknown: the principal
            // may not be allowed to know it exists.
            _ => return Err(Error::not_found_at("unit", "unitId")),
        }
    }
    let changes_values = changes.title.is_some()
        || changes.role.is_some()
        || changes.holder_name.is_some()
        || changes.responsibilities.is_some();
    let change = changes_values.then_some(|row: &mut position::Model| {
        if let Some(title) = changes.title {
            row.title = title.into_inner();
        }
        if let Some(role) = changes.role {
            row.role = role.as_str().to_owned();
        }
        if let Some(holder) = changes.holder_name {
            row.holder_name = holder.map(Name::into_inner);
        }
        if let Some(list) = changes.responsibilities {
            row.responsibilities = Responsibility::json(&list);
        }
    });
    dated::update(tx, current, day, changes.archived, change).await
}

/// Every position heading each of `units`, with its history (one statement).
pub async fn of_units(
    db: &DatabaseConnection,
    units: &[Uuid],
) -> Result<Vec<History<position::Model>>> {
    dated::histories(db, position::Column::UnitId, units).await
}

/// Every position of each of `organizations`, with its history (one statement); pick
/// a day's with [`dated::on_day`].
pub async fn of_organizations(
    db: &DatabaseConnection,
    organizations: &[Uuid],
) -> Result<Vec<History<position::Model>>> {
    dated::histories(db, position::Column::OrganizationId, organizations).await
}

/// One position by id, with its history.
pub async fn find(db: &DatabaseConnection, id: Uuid) -> Result<Option<History<position::Model>>> {
    Ok(dated::histories(db, position::Column::Id, &[id])
        .await?
        .pop())
}
