//! Position storage rules.

use entity::{org_unit, organization, position};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};
use uuid::Uuid;

use crate::{
    Name, PositionRole, Responsibility,
    audit::Operation,
    auth::Writer,
    clock::now,
    error::{Error, Result},
    query::rows_in,
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
    pub title: Name,
    pub role: PositionRole,
    pub holder_name: Option<Name>,
    pub responsibilities: Vec<Responsibility>,
}

/// Changes to a position; `None` leaves a field as it is.
#[derive(Debug)]
pub struct PositionChanges {
    pub id: Uuid,
    pub version: i32,
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
    let (write, unit) = write::begin_on::<org_unit::Entity>(store, writer, unit.active()).await?;
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
    if unit.archived {
        return Err(Error::bad_input("unitId", "the unit is archived"));
    }
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
    Ok(position::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        unit_id: Set(unit.id),
        title: Set(new.title.into_inner()),
        role: Set(new.role.as_str().to_owned()),
        holder_name: Set(new.holder_name.map(Name::into_inner)),
        responsibilities: Set(Responsibility::json(&new.responsibilities)),
        archived: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(tx)
    .await?)
}

/// Applies `changes` if `version` is still current. Moving a position to another unit
/// keeps it inside its organization.
pub async fn update(
    store: &Store,
    writer: Writer<'_>,
    changes: PositionChanges,
) -> Result<position::Model> {
    let position = Row::new(changes.id, "id");
    let (write, current) =
        write::begin_on::<position::Entity>(store, writer, position.active()).await?;
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
    current: position::Model,
    changes: PositionChanges,
) -> Result<position::Model> {
    check_version("the position", current.version, changes.version)?;
    let mut row: position::ActiveModel = current.clone().into();
    if let Some(unit_id) = changes.unit_id {
        let unit = org_unit::Entity::find_by_id(unit_id).one(tx).await?;
        match unit {
            Some(unit) if unit.organization_id == org.id && unit.archived => {
                return Err(Error::bad_input("unitId", "the unit is archived"));
            }
            Some(unit) if unit.organization_id == org.id => row.unit_id = Set(unit.id),
            // A unit of another organization is reported as unknown: the principal
            // may not be allowed to know it exists.
            _ => return Err(Error::not_found_at("unit", "unitId")),
        }
    }
    if let Some(title) = changes.title {
        row.title = Set(title.into_inner());
    }
    if let Some(role) = changes.role {
        row.role = Set(role.as_str().to_owned());
    }
    if let Some(holder) = changes.holder_name {
        row.holder_name = Set(holder.map(Name::into_inner));
    }
    if let Some(list) = changes.responsibilities {
        row.responsibilities = Set(Responsibility::json(&list));
    }
    if let Some(archived) = changes.archived {
        row.archived = Set(archived);
    }
    row.version = Set(current.version + 1);
    row.updated_at = Set(now());
    Ok(row.update(tx).await?)
}

/// Every position heading each of `units`, by title (archived ones included).
pub async fn of_units(db: &DatabaseConnection, units: &[Uuid]) -> Result<Vec<position::Model>> {
    let order = [position::Column::Title, position::Column::Id];
    Ok(rows_in::<position::Entity>(db, position::Column::UnitId, units, &order).await?)
}

/// Every position of each of `organizations`, by title (archived ones included).
pub async fn of_organizations(
    db: &DatabaseConnection,
    organizations: &[Uuid],
) -> Result<Vec<position::Model>> {
    let order = [position::Column::Title, position::Column::Id];
    Ok(
        rows_in::<position::Entity>(db, position::Column::OrganizationId, organizations, &order)
            .await?,
    )
}

/// One position by id.
pub async fn find(db: &DatabaseConnection, id: Uuid) -> Result<Option<position::Model>> {
    Ok(position::Entity::find_by_id(id).one(db).await?)
}
