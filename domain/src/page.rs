//! One page of a list that can grow: where it starts and how long it is.

use crate::error::{Error, Result};

/// A validated page request: `limit` rows after the first `offset`. Services fetch
/// pages with it; the GraphQL layer turns `first`/`after` into one and the rows back
/// into a Relay connection (`orgdesign_graphql::pagination`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub offset: u64,
    pub limit: u64,
}

impl PageRequest {
    /// `first` rows (default 20, 1 to `max`) after the row at position `after`
    /// (0-based; `None` starts at the top).
    pub fn new(first: Option<i32>, after: Option<u64>, max: i32) -> Result<Self> {
        let first = first.unwrap_or(20.min(max));
        if !(1..=max).contains(&first) {
            return Err(Error::bad_input(
                "first",
                format!("must be between 1 and {max}"),
            ));
        }
        let offset = match after {
            None => 0,
            Some(position) => position
                .checked_add(1)
                .ok_or_else(|| Error::bad_input("after", "is not a cursor of this list"))?,
        };
        Ok(Self {
            offset,
            limit: u64::try_from(first).unwrap_or(1),
        })
    }

    /// Counts the rows `query` selects and fetches this page of them, in the order the
    /// query already has.
    pub async fn fetch<E, C>(
        self,
        db: &C,
        query: sea_orm::Select<E>,
    ) -> Result<(u64, Vec<E::Model>)>
    where
        E: sea_orm::EntityTrait,
        E::Model: Sync,
        C: sea_orm::ConnectionTrait,
    {
        use sea_orm::{PaginatorTrait as _, QuerySelect as _};
        let total = query.clone().count(db).await?;
        let rows = query.offset(self.offset).limit(self.limit).all(db).await?;
        Ok((total, rows))
    }

    /// [`fetch`](Self::fetch) with `query`'s rows in the order they were created
    /// (`created_at`, then `id` between rows created together), `order` deciding
    /// whether newest or oldest come first: how an organization's tokens, endpoints
    /// and audit log are listed.
    pub async fn fetch_by_creation<E, C>(
        self,
        db: &C,
        query: sea_orm::Select<E>,
        (created_at, id): (E::Column, E::Column),
        order: sea_orm::Order,
    ) -> Result<(u64, Vec<E::Model>)>
    where
        E: sea_orm::EntityTrait,
        E::Model: Sync,
        C: sea_orm::ConnectionTrait,
    {
        use sea_orm::QueryOrder as _;
        let query = query
            .order_by(created_at, order.clone())
            .order_by(id, order);
        self.fetch(db, query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_outside_the_cap_are_refused_with_the_field_named() {
        for first in [0, -1, 101, i32::MAX, i32::MIN] {
            let err = PageRequest::new(Some(first), None, 100).err();
            assert!(matches!(err, Some(Error::BadInput { field, .. }) if field == "first"));
        }
        assert!(PageRequest::new(Some(100), None, 100).is_ok());
        assert_eq!(
            PageRequest::new(None, None, 100).map(|p| p.limit).ok(),
            Some(20)
        );
    }

    #[test]
    fn a_page_continues_after_the_row_it_names() {
        assert_eq!(
            PageRequest::new(Some(10), Some(41), 100)
                .map(|p| p.offset)
                .ok(),
            Some(42)
        );
        assert!(PageRequest::new(None, Some(u64::MAX), 100).is_err());
    }
}
