//! What stood on a day: units and positions exist over `[effective_from,
//! effective_to)` and their attributes are histories of values, each from a day.
//!
//! Every read of the structure goes through here: [`histories`] loads rows with all
//! their versions in one statement, and [`History::on`] picks what held on a day in
//! memory, so a request that asks for several days reads the database once. Every
//! change goes through [`change_on`] (attributes from a day on) or [`end_on`] (the
//! row ends), so a change dated in the future leaves every earlier day as it was.
//!
//! A row's own attribute columns hold its latest version (the values furthest in the
//! future); only the versions say what held on a given day.

use std::borrow::Borrow;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{org_unit, org_unit_version, position, position_version};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    FromQueryResult, IdenStatic, IntoActiveModel, Iterable, JoinType, ModelTrait, QueryFilter,
    QueryOrder, QueryResult, QuerySelect, RelationDef,
    sea_query::{Alias, Expr},
};
use uuid::Uuid;

use crate::{
    clock::now,
    error::{Error, Result},
};

/// A row dated like a reporting line, whose attributes are kept as versions.
pub trait Dated:
    ModelTrait<Entity = Self::Row> + IntoActiveModel<Self::Active> + Clone + Send + Sync
{
    /// The row's table.
    type Row: EntityTrait<Model = Self>;
    /// Its active model, to write the row's latest values.
    type Active: ActiveModelTrait<Entity = Self::Row> + ActiveModelBehavior + Send;
    /// The table of its versions.
    type VersionRow: EntityTrait<Model = Self::Version>;
    /// One version: the attributes from a day on.
    type Version: ModelTrait<Entity = Self::VersionRow>
        + IntoActiveModel<Self::VersionActive>
        + Clone
        + Send
        + Sync;
    /// Its active model.
    type VersionActive: ActiveModelTrait<Entity = Self::VersionRow> + ActiveModelBehavior + Send;

    /// What the row is called in errors ("unit", "position").
    const WHAT: &'static str;
    /// The row's columns that hold values kept as versions (the version table names
    /// them alike).
    const VALUES: &'static [&'static str];

    /// The row's id column.
    fn id_column() -> <Self::Row as EntityTrait>::Column;
    /// The row's organization column, and its version's: the versions' index leads
    /// with the organization, so the join names it too.
    fn organization_columns() -> (
        <Self::Row as EntityTrait>::Column,
        <Self::VersionRow as EntityTrait>::Column,
    );
    /// The version's column naming its row.
    fn owner_column() -> <Self::VersionRow as EntityTrait>::Column;
    /// The version's day column.
    fn day_column() -> <Self::VersionRow as EntityTrait>::Column;

    fn id(&self) -> Uuid;
    /// The first day the row exists, and the first day it no longer does.
    fn days(&self) -> (NaiveDate, Option<NaiveDate>);
    fn set_days(&mut self, from: NaiveDate, to: Option<NaiveDate>);
    /// Marks the row as read on a day it had ended (or not).
    fn set_ended(&mut self, ended: bool);
    /// Advances the row's optimistic-concurrency version and update time.
    fn touch(&mut self);
    /// The order lists show rows in: by name (units) or title (positions).
    fn order_key(&self) -> &str;

    /// The day a version takes effect.
    fn version_day(version: &Self::Version) -> NaiveDate;
    /// Takes a version's values as the row's.
    fn overlay(&mut self, version: &Self::Version);
    /// A version holding the row's values from `day`, under `id`, written at `at`.
    fn version_as(&self, day: NaiveDate, id: Uuid, at: DateTime<Utc>) -> Self::Version;
    /// A new version holding the row's values from `day`, to be written.
    fn version_on(&self, day: NaiveDate) -> Self::Version {
        self.version_as(day, Uuid::now_v7(), now())
    }
    /// For each value a change took from `before` to `after`, makes `later` (a version
    /// dated after the change) take it too where it still held `before`'s value: a
    /// change from a day on holds until a later version changes that value again.
    fn carry(later: &mut Self::Version, before: &Self::Version, after: &Self::Version);
}

/// A row with every version of its attributes, oldest first.
#[derive(Debug, Clone)]
pub struct History<T: Dated> {
    pub row: T,
    pub versions: Vec<T::Version>,
}

impl<T: Dated> History<T> {
    /// The row as it stood on `day`: `None` before it exists; after it ended, with
    /// its last values and `archived` set.
    pub fn on(&self, day: NaiveDate) -> Option<T> {
        let (from, to) = self.row.days();
        if day < from {
            return None;
        }
        let mut row = self.row.clone();
        // The row's own columns hold its latest version: only an earlier one is laid
        // over them.
        if let Some(version) = self.in_effect(day)
            && !std::ptr::eq(version, self.versions.last().unwrap_or(version))
        {
            row.overlay(version);
        }
        row.set_ended(to.is_some_and(|to| to <= day));
        Some(row)
    }

    /// The version in effect on `day`, if the row had one yet.
    fn in_effect(&self, day: NaiveDate) -> Option<&T::Version> {
        self.versions
            .iter()
            .rev()
            .find(|v| T::version_day(v) <= day)
    }

    /// Whether the row exists on `day` (begun, not ended).
    pub fn exists_on(&self, day: NaiveDate) -> bool {
        let (from, to) = self.row.days();
        from <= day && to.is_none_or(|to| day < to)
    }
}

/// Every history's row as it stood on `day`, in the histories' order (by organization,
/// then id: ids are time-ordered, so oldest first); rows that did not exist yet are left out, ended
/// ones kept with `archived`.
pub fn on_day<T: Dated>(histories: &[impl Borrow<History<T>>], day: NaiveDate) -> Vec<T> {
    histories
        .iter()
        .filter_map(|h| h.borrow().on(day))
        .collect()
}

/// Rows in list order: by name (units) or title (positions) as they stood on the day
/// read, then id.
pub fn listed<T: Dated>(mut rows: Vec<T>) -> Vec<T> {
    rows.sort_by(|a, b| (a.order_key(), a.id()).cmp(&(b.order_key(), b.id())));
    rows
}

/// The histories of the rows whose `column` holds one of `keys`, in one statement:
/// the rows joined with their versions, each result row the row's own columns with a
/// version's values in place of its values ([`Dated::VALUES`]) and that version's day
/// (no version column is read twice, so a row costs the database little more than the
/// row alone).
pub async fn histories<T: Dated + FromQueryResult, C: ConnectionTrait>(
    db: &C,
    column: <T::Row as EntityTrait>::Column,
    keys: &[Uuid],
) -> Result<Vec<History<T>>> {
    let versions = T::VersionRow::default();
    let mut query = T::Row::find().select_only();
    for row_column in <T::Row as EntityTrait>::Column::iter() {
        let name = row_column.as_str();
        query = if T::VALUES.contains(&name) {
            query.column_as(Expr::col((versions, Alias::new(name))), name)
        } else {
            query.column(row_column)
        };
    }
    let states: Vec<OnDay<T>> = query
        .column_as(Expr::col((versions, T::day_column())), VERSION_DAY)
        .filter(column.is_in(keys.iter().copied()))
        .join(JoinType::InnerJoin, versions_of::<T>())
        // In the versions' index order, so the database sorts nothing; each row's
        // versions still come together, oldest first.
        .order_by_asc(Expr::col((versions, T::organization_columns().1)))
        .order_by_asc(Expr::col((versions, T::owner_column())))
        .order_by_asc(Expr::col((versions, T::day_column())))
        .into_model::<OnDay<T>>()
        .all(db)
        .await?;
    let mut out: Vec<History<T>> = Vec::new();
    for OnDay(state, day) in states {
        // Only read, never written back (writes read a row's history with `history`):
        // its id and time of writing are not needed, so none is made.
        let version = state.version_as(day, Uuid::nil(), DateTime::UNIX_EPOCH);
        match out.last_mut() {
            Some(history) if history.row.id() == state.id() => {
                history.versions.push(version);
                // The row's own values are its latest version's.
                history.row = state;
            }
            _ => out.push(History {
                row: state,
                versions: vec![version],
            }),
        }
    }
    Ok(out)
}

/// The alias of a version's day in [`histories`]' rows.
const VERSION_DAY: &str = "version_day";

/// A row with one version's values, and that version's day.
struct OnDay<T>(T, NaiveDate);

impl<T: FromQueryResult> FromQueryResult for OnDay<T> {
    fn from_query_result(row: &QueryResult, pre: &str) -> std::result::Result<Self, DbErr> {
        Ok(Self(
            T::from_query_result(row, pre)?,
            row.try_get(pre, VERSION_DAY)?,
        ))
    }
}

/// The join from a row to its versions, on the organization and the row: the
/// versions' index (organization, row, day) then serves it, and a read of one
/// organization's rows never scans another's versions.
fn versions_of<T: Dated>() -> RelationDef {
    let (row_organization, version_organization) = T::organization_columns();
    T::Row::belongs_to(T::VersionRow::default())
        .from((row_organization, T::id_column()))
        .to((version_organization, T::owner_column()))
        .into()
}

/// The history of one row, read inside a write's transaction.
pub async fn history<T: Dated, C: ConnectionTrait>(db: &C, row: T) -> Result<History<T>> {
    let versions = T::VersionRow::find()
        .filter(T::owner_column().eq(row.id()))
        .order_by_asc(T::day_column())
        .all(db)
        .await?;
    Ok(History { row, versions })
}

/// Writes a new row and its first version, from its first day.
pub async fn insert<T: Dated, C: ConnectionTrait>(tx: &C, row: T) -> Result<T> {
    let (from, _) = row.days();
    let version = row.version_on(from);
    let inserted = row.into_active_model().reset_all().insert(tx).await?;
    version.into_active_model().reset_all().insert(tx).await?;
    Ok(inserted)
}

/// Changes the row's attributes from `day` on: `change` edits the values in effect on
/// `day`, which become a version from `day` (replacing one already dated `day`);
/// versions dated later keep what they changed themselves and take the rest. The row
/// must exist on `day` (`field`: the input field holding the day). The row's own
/// columns are written by [`save`], once the change's steps are done.
pub async fn change_on<T: Dated, C: ConnectionTrait>(
    tx: &C,
    mut history: History<T>,
    day: NaiveDate,
    field: &str,
    change: impl FnOnce(&mut T),
) -> Result<History<T>> {
    if !history.exists_on(day) {
        return Err(not_existing::<T>(&history.row, day, field));
    }
    let before_row = history
        .on(day)
        .ok_or_else(|| not_existing::<T>(&history.row, day, field))?;
    let before = before_row.version_on(day);
    let mut after_row = before_row;
    change(&mut after_row);
    let after = after_row.version_on(day);
    for version in history.versions.iter_mut() {
        if T::version_day(version) > day {
            T::carry(version, &before, &after);
            version
                .clone()
                .into_active_model()
                .reset_all()
                .update(tx)
                .await?;
        }
    }
    // A version already dated `day` is replaced by the one holding the change.
    if let Some(at) = history
        .versions
        .iter()
        .position(|v| T::version_day(v) == day)
    {
        let replaced = history.versions.remove(at);
        replaced.into_active_model().delete(tx).await?;
    }
    after
        .clone()
        .into_active_model()
        .reset_all()
        .insert(tx)
        .await?;
    let at = history
        .versions
        .iter()
        .position(|v| T::version_day(v) > day)
        .unwrap_or(history.versions.len());
    history.versions.insert(at, after);
    Ok(history)
}

/// Ends the row on `day` (the first day it no longer exists), or, with `None`, makes it
/// last again. Versions dated on or after the end are refused: they would never hold.
/// The row's own columns are written by [`save`].
pub fn end_on<T: Dated>(
    mut history: History<T>,
    end: Option<NaiveDate>,
    field: &str,
) -> Result<History<T>> {
    let (from, _) = history.row.days();
    if let Some(end) = end {
        if end <= from {
            return Err(Error::bad_input(
                field,
                format!(
                    "the {} exists from {from}; it can end on {} at the earliest",
                    T::WHAT,
                    from.succ_opt().unwrap_or(from)
                ),
            ));
        }
        if let Some(late) = history.versions.iter().find(|v| T::version_day(v) >= end) {
            return Err(Error::conflict(
                field,
                format!(
                    "the {} has a change dated {}, on or after {end}",
                    T::WHAT,
                    T::version_day(late)
                ),
            ));
        }
    }
    history.row.set_days(from, end);
    Ok(history)
}

/// One dated update of a row, as `updateUnit` and `updatePosition` make it: with
/// `archived: Some(false)` an ended row lasts again; `change` (when the update changes
/// values) edits the values from `day` on ([`change_on`]); with `archived: Some(true)`
/// the row ends on `day` ([`end_on`]), which cannot go with a change of values (they
/// would never hold). The row's own columns are written once ([`save`]); the row is
/// returned as it stands on `day`.
pub async fn update<T: Dated, C: ConnectionTrait>(
    tx: &C,
    current: T,
    day: NaiveDate,
    archived: Option<bool>,
    change: Option<impl FnOnce(&mut T)>,
) -> Result<T> {
    if archived == Some(true) && change.is_some() {
        return Err(Error::bad_input(
            "archived",
            format!(
                "archiving ends the {} on effectiveFrom; change its values in a separate update",
                T::WHAT
            ),
        ));
    }
    let mut history = history(tx, current).await?;
    if archived == Some(false) && history.row.days().1.is_some() {
        history = end_on(history, None, "archived")?;
    }
    if let Some(change) = change {
        history = change_on(tx, history, day, "effectiveFrom", change).await?;
    }
    if archived == Some(true) {
        history = end_on(history, Some(day), "effectiveFrom")?;
    }
    save(tx, history, day).await
}

/// Writes the row's own columns (its days and latest values), advances its version
/// once for the whole change, and returns it as it stands on `day`.
pub async fn save<T: Dated, C: ConnectionTrait>(
    tx: &C,
    mut history: History<T>,
    day: NaiveDate,
) -> Result<T> {
    if let Some(latest) = history.versions.last() {
        history.row.overlay(latest);
    }
    history.row.touch();
    history.row = history
        .row
        .clone()
        .into_active_model()
        .reset_all()
        .update(tx)
        .await?;
    Ok(history.on(day).unwrap_or_else(|| history.row.clone()))
}

fn not_existing<T: Dated>(row: &T, day: NaiveDate, field: &str) -> Error {
    let (from, to) = row.days();
    let span = match to {
        Some(to) => format!("from {from} until {to}"),
        None => format!("from {from}"),
    };
    Error::bad_input(
        field,
        format!("the {} does not exist on {day}: it exists {span}", T::WHAT),
    )
}

/// The items of [`Dated`] that read the same for every dated table: its row and
/// version types, its id, day and lifecycle columns.
macro_rules! dated_rows {
    ($row:ident, $version:ident, $owner:ident, $what:literal) => {
        type Row = $row::Entity;
        type Active = $row::ActiveModel;
        type VersionRow = $version::Entity;
        type Version = $version::Model;
        type VersionActive = $version::ActiveModel;
        const WHAT: &'static str = $what;

        fn id_column() -> $row::Column {
            $row::Column::Id
        }
        fn organization_columns() -> ($row::Column, $version::Column) {
            (
                $row::Column::OrganizationId,
                $version::Column::OrganizationId,
            )
        }
        fn owner_column() -> $version::Column {
            $version::Column::$owner
        }
        fn day_column() -> $version::Column {
            $version::Column::EffectiveFrom
        }
        fn id(&self) -> Uuid {
            self.id
        }
        fn days(&self) -> (NaiveDate, Option<NaiveDate>) {
            (self.effective_from, self.effective_to)
        }
        fn set_days(&mut self, from: NaiveDate, to: Option<NaiveDate>) {
            (self.effective_from, self.effective_to) = (from, to);
        }
        fn set_ended(&mut self, ended: bool) {
            self.archived = ended;
        }
        fn touch(&mut self) {
            (self.version, self.updated_at) = (self.version + 1, now());
        }
        fn version_day(version: &$version::Model) -> NaiveDate {
            version.effective_from
        }
    };
}

impl Dated for org_unit::Model {
    dated_rows!(org_unit, org_unit_version, UnitId, "unit");
    const VALUES: &'static [&'static str] = &["name", "function", "sourcing", "description"];

    fn order_key(&self) -> &str {
        &self.name
    }
    fn overlay(&mut self, v: &org_unit_version::Model) {
        self.name.clone_from(&v.name);
        self.function.clone_from(&v.function);
        self.sourcing.clone_from(&v.sourcing);
        self.description.clone_from(&v.description);
    }
    fn version_as(&self, day: NaiveDate, id: Uuid, at: DateTime<Utc>) -> org_unit_version::Model {
        org_unit_version::Model {
            id,
            organization_id: self.organization_id,
            unit_id: self.id,
            effective_from: day,
            name: self.name.clone(),
            function: self.function.clone(),
            sourcing: self.sourcing.clone(),
            description: self.description.clone(),
            created_at: at,
        }
    }
    fn carry(later: &mut Self::Version, before: &Self::Version, after: &Self::Version) {
        carry(&mut later.name, &before.name, &after.name);
        carry(&mut later.function, &before.function, &after.function);
        carry(&mut later.sourcing, &before.sourcing, &after.sourcing);
        carry(
            &mut later.description,
            &before.description,
            &after.description,
        );
    }
}

impl Dated for position::Model {
    dated_rows!(position, position_version, PositionId, "position");
    const VALUES: &'static [&'static str] = &["title", "role", "holder_name", "responsibilities"];

    fn order_key(&self) -> &str {
        &self.title
    }
    fn overlay(&mut self, v: &position_version::Model) {
        self.title.clone_from(&v.title);
        self.role.clone_from(&v.role);
        self.holder_name.clone_from(&v.holder_name);
        self.responsibilities.clone_from(&v.responsibilities);
    }
    fn version_as(&self, day: NaiveDate, id: Uuid, at: DateTime<Utc>) -> position_version::Model {
        position_version::Model {
            id,
            organization_id: self.organization_id,
            position_id: self.id,
            effective_from: day,
            title: self.title.clone(),
            role: self.role.clone(),
            holder_name: self.holder_name.clone(),
            responsibilities: self.responsibilities.clone(),
            created_at: at,
        }
    }
    fn carry(later: &mut Self::Version, before: &Self::Version, after: &Self::Version) {
        carry(&mut later.title, &before.title, &after.title);
        carry(&mut later.role, &before.role, &after.role);
        carry(
            &mut later.holder_name,
            &before.holder_name,
            &after.holder_name,
        );
        carry(
            &mut later.responsibilities,
            &before.responsibilities,
            &after.responsibilities,
        );
    }
}

/// Takes a change of one value (`before` → `after`) into a later version that still
/// held `before`.
fn carry<V: PartialEq + Clone>(later: &mut V, before: &V, after: &V) {
    if before != after && *later == *before {
        later.clone_from(after);
    }
}
