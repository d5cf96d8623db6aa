//! Relay connections: `first`/`after` arguments, a hard page-size cap, `totalCount`.
//!
//! Cursors are opaque (base64 of the row offset in the requested order). Offsets keep
//! filters and every ordering simple; a row inserted before the cursor while a client
//! pages can shift a page by one, which is acceptable for the admin and listing uses
//! these serve.

use async_graphql::{
    OutputType, SimpleObject,
    connection::{Connection, CursorType, Edge, EmptyFields, OpaqueCursor},
};

use crate::error::{Error, Result};

/// Extra connection fields.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct ConnectionTotals {
    /// How many items match, across all pages.
    pub total_count: u64,
}

/// A connection of `T`.
pub type Page<T> = Connection<OpaqueCursor<u64>, T, ConnectionTotals, EmptyFields>;

/// A validated page request.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub offset: u64,
    pub limit: u64,
}

impl PageRequest {
    /// Parses `first` (default 20, 1 to `max`) and `after`.
    pub fn parse(first: Option<i32>, after: Option<&str>, max: i32) -> Result<Self> {
        let first = first.unwrap_or(20.min(max));
        if !(1..=max).contains(&first) {
            return Err(Error::bad_input(
                "first",
                format!("must be between 1 and {max}"),
            ));
        }
        let offset = match after {
            None => 0,
            Some(cursor) => OpaqueCursor::<u64>::decode_cursor(cursor)
                .map_err(|_| Error::bad_input("after", "is not a cursor of this list"))?
                .0
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

    /// Builds the connection for the `items` of this page out of `total`.
    pub fn connection<T: OutputType>(self, total: u64, items: Vec<T>) -> Page<T> {
        let count = items.len() as u64;
        let mut connection = Connection::with_additional_fields(
            self.offset > 0,
            self.offset + count < total,
            ConnectionTotals { total_count: total },
        );
        connection.edges.extend(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| Edge::new(OpaqueCursor(self.offset + i as u64), item)),
        );
        connection
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_outside_the_cap_are_refused_with_the_field_named() {
        for first in [0, -1, 101, i32::MAX, i32::MIN] {
            let err = PageRequest::parse(Some(first), None, 100).err();
            assert!(matches!(err, Some(Error::BadInput { field, .. }) if field == "first"));
        }
        assert!(PageRequest::parse(Some(100), None, 100).is_ok());
    }

    #[test]
    fn a_cursor_continues_after_the_row_it_names() {
        let cursor = OpaqueCursor(41u64).encode_cursor();
        let page = PageRequest::parse(Some(10), Some(&cursor), 100).ok();
        assert_eq!(page.map(|p| p.offset), Some(42));
        assert!(PageRequest::parse(None, Some("not a cursor"), 100).is_err());
    }
}
