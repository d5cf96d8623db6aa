//! Shared pieces of the DataLoaders each aggregate defines.

use std::{collections::HashMap, hash::Hash, sync::Arc};

use sea_orm::DbErr;

use crate::error::{Error, GqlError};

/// A loader's error: cloneable, as DataLoader hands it to every waiting resolver.
#[derive(Debug, Clone)]
pub struct LoadError(pub Arc<DbErr>);

impl From<DbErr> for LoadError {
    fn from(err: DbErr) -> Self {
        Self(Arc::new(err))
    }
}

impl From<LoadError> for GqlError {
    fn from(LoadError(err): LoadError) -> Self {
        if crate::db::is_unavailable(&err) {
            Error::Unavailable(DbErr::Custom(err.to_string())).into()
        } else {
            Error::Internal(anyhow::anyhow!(err.to_string())).into()
        }
    }
}

/// Groups rows by a key, keeping their order.
pub fn group<K: Eq + Hash, V>(rows: Vec<V>, key: impl Fn(&V) -> K) -> HashMap<K, Vec<V>> {
    let mut map: HashMap<K, Vec<V>> = HashMap::new();
    for row in rows {
        map.entry(key(&row)).or_default().push(row);
    }
    map
}

/// Indexes rows by a unique key.
pub fn index<K: Eq + Hash, V>(rows: Vec<V>, key: impl Fn(&V) -> K) -> HashMap<K, V> {
    rows.into_iter().map(|row| (key(&row), row)).collect()
}
