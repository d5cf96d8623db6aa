//! Relay connections: `first`/`after` arguments, a hard page-size cap, `totalCount`.
//!
//! Cursors are opaque (base64 of the row offset in the requested order). Offsets keep
//! filters and every ordering simple; a row inserted before the cursor while a client
//! pages can shift a page by one, which is acceptable for the admin and listing uses
//! these serve.

use async_graphql::{
    Context, OutputType, SimpleObject,
    connection::{Connection, CursorType, Edge, EmptyFields, OpaqueCursor},
};
use orgdesign_domain::{
    PageRequest,
    error::{Error, Result},
};
use sea_orm::DatabaseConnection;

use crate::{
    context::{db, limits},
    error::{GqlError, GqlResult},
};

/// Extra connection fields.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct ConnectionTotals {
    /// How many items match, across all pages.
    pub total_count: u64,
}

/// A connection of `T`.
pub type Page<T> = Connection<OpaqueCursor<u64>, T, ConnectionTotals, EmptyFields>;

/// The page `first`/`after` ask for (`BAD_USER_INPUT` on `first` beyond `max`, on
/// `after` for anything but a cursor of this list).
pub fn page_request(first: Option<i32>, after: Option<&str>, max: i32) -> Result<PageRequest> {
    let after = after
        .map(|cursor| {
            OpaqueCursor::<u64>::decode_cursor(cursor)
                .map(|c| c.0)
                .map_err(|_| Error::bad_input("after", "is not a cursor of this list"))
        })
        .transpose()?;
    PageRequest::new(first, after, max)
}

/// The connection of the `items` of `page` out of `total`.
pub fn connection<T: OutputType>(page: PageRequest, total: u64, items: Vec<T>) -> Page<T> {
    let count = items.len() as u64;
    let mut connection = Connection::with_additional_fields(
        page.offset > 0,
        page.offset + count < total,
        ConnectionTotals { total_count: total },
    );
    connection.edges.extend(
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| Edge::new(OpaqueCursor(page.offset + i as u64), item)),
    );
    connection
}

/// The page `first`/`after` ask for (at most the configured page size) of the list
/// `load` reads, its rows made `wrap`ped items: how a paged field ends once it has
/// authorized its caller.
pub async fn load_page<M, T: OutputType, E>(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<&str>,
    load: impl AsyncFnOnce(&DatabaseConnection, PageRequest) -> std::result::Result<(u64, Vec<M>), E>,
    wrap: impl FnMut(M) -> T,
) -> GqlResult<Page<T>>
where
    GqlError: From<E>,
{
    let page = page_request(first, after, limits(ctx)?.max_page_size)?;
    let (total, rows) = load(db(ctx)?, page).await?;
    Ok(connection(
        page,
        total,
        rows.into_iter().map(wrap).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_continues_after_the_row_it_names() {
        let cursor = OpaqueCursor(41u64).encode_cursor();
        let page = page_request(Some(10), Some(&cursor), 100).ok();
        assert_eq!(page.map(|p| p.offset), Some(42));
        assert!(page_request(None, Some("not a cursor"), 100).is_err());
    }
}
