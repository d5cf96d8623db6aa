//! Typed access to what the schema and the request carry.

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::{
    auth::RequestContext,
    error::GqlResult,
    graphql::loader::{KeyedLoader, Memo},
    settings::Limits,
    store::Store,
};

/// The store the schema was built with: what mutations hand to services.
pub fn store<'a>(ctx: &Context<'a>) -> GqlResult<&'a Store> {
    Ok(ctx.data::<Store>()?)
}

/// The database the schema was built with, for reads.
pub fn db<'a>(ctx: &Context<'a>) -> GqlResult<&'a DatabaseConnection> {
    Ok(&store(ctx)?.db)
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
