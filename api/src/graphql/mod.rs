//! The GraphQL schema: the aggregates' roots stitched together, limits, and the
//! per-request data (principal, DataLoaders).

pub mod context;
pub mod loader;
pub mod node;
pub mod pagination;

use async_graphql::{
    EmptySubscription, MergedObject, Request, Schema, ServerError, dataloader::DataLoader,
};
use sea_orm::DatabaseConnection;

use crate::{
    auth::RequestContext,
    catalog::{BuiltInKpisByStage, CatalogQuery},
    organizations::{OrganizationById, OrganizationMutation, OrganizationQuery},
    positions::{PositionMutation, PositionQuery, PositionsByOrganization, PositionsByUnit},
    reporting::{LineHistoryByUnit, LinesAsOf, ReportingMutation, ReportingQuery},
    settings::Limits,
    units::{UnitById, UnitMutation, UnitQuery, UnitsByOrganization},
};

/// Every query root field.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    OrganizationQuery,
    UnitQuery,
    PositionQuery,
    ReportingQuery,
    node::NodeQuery,
    CatalogQuery,
);

/// Every mutation root field.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    OrganizationMutation,
    UnitMutation,
    PositionMutation,
    ReportingMutation,
);

/// The orgdesign schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Builds the schema around an already-open database; it connects to nothing itself.
pub fn build_schema(db: DatabaseConnection, limits: Limits) -> AppSchema {
    Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(limits.max_depth.max(32))
        .limit_directives(8)
        .data(limits)
        .data(db)
        .finish()
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .finish()
        .sdl()
}

/// Attaches what one request needs: its context and fresh DataLoaders (their caches
/// live for one request only, so no request sees another's stale rows).
pub fn prepare(request: Request, db: &DatabaseConnection, context: RequestContext) -> Request {
    let spawn = tokio::spawn;
    request
        .data(context)
        .data(DataLoader::new(OrganizationById(db.clone()), spawn))
        .data(DataLoader::new(UnitById(db.clone()), spawn))
        .data(DataLoader::new(UnitsByOrganization(db.clone()), spawn))
        .data(DataLoader::new(PositionsByUnit(db.clone()), spawn))
        .data(DataLoader::new(PositionsByOrganization(db.clone()), spawn))
        .data(DataLoader::new(LinesAsOf(db.clone()), spawn))
        .data(DataLoader::new(LineHistoryByUnit(db.clone()), spawn))
        .data(DataLoader::new(BuiltInKpisByStage(db.clone()), spawn))
}

/// Gives every error a stable `extensions.code`. Errors our resolvers raise carry one
/// already; those async-graphql raises itself (parse, validation, input coercion,
/// limits) get `BAD_USER_INPUT` or `LIMIT_EXCEEDED`.
pub fn ensure_codes(errors: &mut [ServerError]) {
    for error in errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|ext| ext.get("code").is_some());
        if has_code {
            continue;
        }
        let code = if error.message.contains("nested too deep")
            || error.message.contains("too complex")
            || error.message.contains("too many directives")
            || error.message.contains("recursion")
        {
            "LIMIT_EXCEEDED"
        } else {
            "BAD_USER_INPUT"
        };
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
}

/// The code of an error, for metrics.
pub fn code_of(error: &ServerError) -> &str {
    match error.extensions.as_ref().and_then(|ext| ext.get("code")) {
        Some(async_graphql::Value::String(code)) => code.as_str(),
        _ => "UNKNOWN",
    }
}
