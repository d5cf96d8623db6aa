//! Query helpers the aggregates share, so none of them imports another's: SQL
//! placeholders ([`Params`]), batch reads by key ([`rows_in`]), grouping rows by a key
//! ([`group`], [`index`]), an organization's rows of several organizations at once
//! ([`per_organization`]), and which reporting lines are in effect on a date
//! ([`lines_in_effect_on`], [`lines_open_after`]).

use std::{collections::HashMap, hash::Hash};

use chrono::NaiveDate;
use entity::reporting_line;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, Select, Statement, Value,
};
use uuid::Uuid;

/// Numbered placeholders for PostgreSQL, `?` for SQLite.
pub struct Params {
    backend: DbBackend,
    values: Vec<Value>,
}

impl Params {
    /// No values yet, for `backend`'s placeholders.
    pub fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            values: Vec::new(),
        }
    }

    /// Binds `value` and returns its placeholder.
    pub fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    /// The statement `sql`, with the values bound so far.
    pub fn statement(self, sql: String) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, self.values)
    }
}

/// Groups rows by a key, keeping their order.
pub fn group<K: Eq + Hash, V>(
    rows: impl IntoIterator<Item = V>,
    key: impl Fn(&V) -> K,
) -> HashMap<K, Vec<V>> {
    let mut map: HashMap<K, Vec<V>> = HashMap::new();
    for row in rows {
        map.entry(key(&row)).or_default().push(row);
    }
    map
}

/// Indexes rows by a unique key.
pub fn index<K: Eq + Hash, V>(
    rows: impl IntoIterator<Item = V>,
    key: impl Fn(&V) -> K,
) -> HashMap<K, V> {
    rows.into_iter().map(|row| (key(&row), row)).collect()
}

/// The rows of `E` whose `column` holds one of `keys`, ordered by `order`: one
/// statement however many keys (the reads the GraphQL loaders batch).
pub async fn rows_in<E: EntityTrait>(
    db: &DatabaseConnection,
    column: E::Column,
    keys: &[Uuid],
    order: &[E::Column],
) -> Result<Vec<E::Model>, DbErr> {
    let mut query = E::find().filter(column.is_in(keys.iter().copied()));
    for column in order {
        query = query.order_by_asc(*column);
    }
    query.all(db).await
}

/// The rows `query` selects whose organization (held in `organization_column`) is one
/// of `organizations`, grouped by organization in the query's order: one statement
/// however many organizations (the reads the per-organization loaders batch).
pub async fn per_organization<E: EntityTrait>(
    db: &DatabaseConnection,
    organization_column: E::Column,
    organizations: &[Uuid],
    query: Select<E>,
    organization_of: impl Fn(&E::Model) -> Uuid,
) -> Result<HashMap<Uuid, Vec<E::Model>>, DbErr> {
    let rows = query
        .filter(organization_column.is_in(organizations.iter().copied()))
        .all(db)
        .await?;
    Ok(group(rows, organization_of))
}

/// The reporting lines in effect on `date`: started on or before it, not ended by it
/// (a line's `effective_to` is the first day it no longer holds).
pub fn lines_in_effect_on(date: NaiveDate) -> Condition {
    Condition::all()
        .add(reporting_line::Column::EffectiveFrom.lte(date))
        .add(lines_open_after(date))
}

/// The reporting lines that hold on some day after `date`: not ended, or ending later.
pub fn lines_open_after(date: NaiveDate) -> Condition {
    Condition::any()
        .add(reporting_line::Column::EffectiveTo.is_null())
        .add(reporting_line::Column::EffectiveTo.gt(date))
}
