//! Typed access to what the schema and the request carry.

use async_graphql::Context;
use chrono::NaiveDate;
use orgdesign_domain::{
    auth::{Principal, RequestContext, Writer},
    dated::{Dated, History},
    parse_id,
    settings::Limits,
    store::Store,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    error::{AtInput, GqlResult},
    loaders::Loaders,
    scalars::Date,
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

/// The request's loaders.
pub fn loaders<'a>(ctx: &Context<'a>) -> GqlResult<&'a Loaders> {
    Ok(ctx.data::<Loaders>()?)
}

/// The request's [`Writer`] capability and the organization whose id the input `field`
/// holds, when it is in reach (see [`RequestContext::writer_of`]): how a mutation on
/// one organization starts.
pub fn writer_of<'a>(
    ctx: &Context<'a>,
    field: &str,
    organization_id: &str,
) -> GqlResult<(Writer<'a>, Uuid)> {
    Ok(request(ctx)?.writer_of(field, organization_id)?)
}

/// One structure object by the `id` argument, looked up with `find`: `None` when it is
/// unknown or belongs to an organization out of the principal's reach (the two look
/// alike); `FORBIDDEN` for roles that never read the structure.
pub async fn find_readable<M>(
    ctx: &Context<'_>,
    id: &str,
    find: impl AsyncFn(&DatabaseConnection, Uuid) -> orgdesign_domain::error::Result<Option<M>>,
    organization_of: impl Fn(&M) -> Uuid,
) -> GqlResult<Option<M>> {
    let principal: &Principal = request(ctx)?.principal()?;
    principal.may_read_structure()?;
    let id = parse_id("id", id)?;
    Ok(find(db(ctx)?, id)
        .await?
        .filter(|found| principal.can_read(organization_of(found))))
}

/// A unit or position by the `id` argument as it stood on `as_of` (default: today),
/// with that day: `None` when unknown, out of reach ([`find_readable`]) or not yet in
/// existence that day.
pub async fn find_on<T: Dated>(
    ctx: &Context<'_>,
    id: &str,
    as_of: Option<&Date>,
    find: impl AsyncFn(&DatabaseConnection, Uuid) -> orgdesign_domain::error::Result<Option<History<T>>>,
    organization_of: impl Fn(&T) -> Uuid,
) -> GqlResult<Option<(T, NaiveDate)>> {
    let day = Date::as_of(as_of)?;
    let found = find_readable(ctx, id, find, |h| organization_of(&h.row)).await?;
    Ok(found.and_then(|h| h.on(day)).map(|row| (row, day)))
}

/// What a mutation of a unit or position answers: the row `change` writes, as it stands
/// on `day`, the first day the change holds (`object` is `Unit` or `Position`), with
/// the service's errors placed in the mutation's `input`.
pub async fn changed_on<M, T>(
    day: NaiveDate,
    change: impl Future<Output = orgdesign_domain::error::Result<M>>,
    object: impl FnOnce(M, NaiveDate) -> T,
) -> GqlResult<T> {
    Ok(object(change.await.at_input()?, day))
}
