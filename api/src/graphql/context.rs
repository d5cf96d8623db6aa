//! Typed access to what the schema and the request carry.

use async_graphql::{Context, dataloader::DataLoader};
use chrono::{NaiveDate, Utc};
use sea_orm::DatabaseConnection;

use crate::{auth::RequestContext, error::GqlResult, settings::Limits};

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

/// A per-request DataLoader.
pub fn loader<'a, L: Send + Sync + 'static>(ctx: &Context<'a>) -> GqlResult<&'a DataLoader<L>> {
    Ok(ctx.data::<DataLoader<L>>()?)
}

/// Today in UTC: the default `asOf` of structure queries.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}
