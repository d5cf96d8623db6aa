//! Typed access to what the schema and the request carry.

use async_graphql::Context;
use chrono::{NaiveDate, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    auth::RequestContext,
    error::GqlResult,
    graphql::loader::{KeyedLoader, Memo},
    settings::Limits,
};

/// The database the schema was built with.
pub fn db<'a>(ctx: &Context<'a>) -> GqlResult<&'a DatabaseConnection> {
    Ok(ctx.data::<DatabaseConnection>()?)
}

/// The configured abuse limits.
pub fn limits<'a>(ctx: &Context<'a>) -> GqlResult<&'a Limits> {
    Ok(ctx.data::<Limits>()?)
}

/// The request's context (principal, request id).
pub fn request<'a>(ctx: &Context<'a>) -> GqlResult<&'a RequestContext> {
    Ok(ctx.data::<RequestContext>()?)
}

/// A per-request loader.
pub fn loader<'a, L: KeyedLoader>(ctx: &Context<'a>) -> GqlResult<&'a Memo<L>> {
    Ok(ctx.data::<Memo<L>>()?)
}

/// Today in UTC: the default `asOf` of structure queries.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// An `asOf` argument: today when absent, and within the dates the databases store
/// (else `BAD_USER_INPUT` on `asOf`).
pub fn as_of(value: Option<NaiveDate>) -> crate::error::Result<NaiveDate> {
    crate::reporting::service::parse_date("asOf", value.unwrap_or_else(today))
}
