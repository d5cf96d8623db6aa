//! The GraphQL schema: the aggregates' roots stitched together, limits, and the
//! per-request data (principal, loaders).

use std::sync::Arc;

use async_graphql::{
    MergedObject, ObjectType, Request, Schema, SchemaBuilder, ServerError, SubscriptionType,
};
use orgdesign_domain::{
    auth::{RequestContext, tokens::Keys},
    settings::Limits,
    store::Store,
    webhooks::delivery::Transport,
};
use sea_orm::DatabaseConnection;

use crate::{
    audit::AuditQuery,
    batch::{DocumentWrites, Idle},
    catalog::CatalogQuery,
    integration_tokens::{AuthMutation, AuthQuery},
    kpis::{KpiMutation, KpiQuery},
    limits,
    loaders::Loaders,
    node,
    organizations::{Organization, OrganizationMutation, OrganizationQuery},
    pagination::Page,
    positions::{PositionMutation, PositionQuery},
    reporting::{ReportingMutation, ReportingQuery},
    subscriptions::SubscriptionRoot,
    units::{UnitMutation, UnitQuery},
    webhooks::{WebhookMutation, WebhookQuery},
};

/// Every query root field. Named `Query` in the schema, as clients (Apollo's
/// `typePolicies`, codegen) expect the root types to be called.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    AuthQuery,
    AuditQuery,
    KpiQuery,
    OrganizationQuery,
    UnitQuery,
    PositionQuery,
    ReportingQuery,
    crate::scenarios::resolvers::ScenarioQuery,
    node::NodeQuery,
    CatalogQuery,
    WebhookQuery,
);

/// Every mutation root field; `Mutation` in the schema.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    AuthMutation,
    KpiMutation,
    crate::maturity::MaturityMutation,
    crate::priorities::PriorityMutation,
    crate::stakeholders::RelationshipMutation,
    OrganizationMutation,
    UnitMutation,
    PositionMutation,
    ReportingMutation,
    crate::scenarios::resolvers::ScenarioMutation,
    WebhookMutation,
);

/// The orgdesign schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the schema around an already-open store (database and event bus), the
/// token keys and the webhook sender (for `pingWebhookEndpoint` and the URL checks);
/// it connects to nothing itself.
pub fn build_schema(
    store: Store,
    limits: Limits,
    keys: Arc<Keys>,
    webhooks: Arc<dyn Transport>,
    production: bool,
) -> AppSchema {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    // Depth, selections, aliases and directives are checked on the parsed document
    // first (`admit`), in one linear walk: async-graphql's own checks below expand
    // every fragment spread again and only ever see documents already bounded.
    .limit_complexity(limits.max_complexity)
    .limit_recursive_depth(limits::recursion_limit(&limits))
    .limit_directives(limits.max_directives)
    .data(limits)
    .data(keys)
    .data(webhooks)
    .data(store);
    builder = describe_connections(builder);
    if production {
        // Without introspection, "did you mean ..." hints would still map the schema.
        builder = builder.disable_suggestions();
    }
    builder.finish()
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    describe_connections(Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    ))
    .finish()
    .sdl()
}

/// Gives the Relay connection types a description: async-graphql's `Connection` has
/// none of its own (its `edges`, `nodes` and `pageInfo` fields do), and its type name
/// is made from the node's, so no doc comment can reach it.
fn describe_connections<Q, M, S>(builder: SchemaBuilder<Q, M, S>) -> SchemaBuilder<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    builder
        .override_output_type_description::<Page<Organization>>(
            "A page of organizations, with `totalCount` across all pages.",
        )
        .override_output_type_description::<Page<crate::audit::AuditEntry>>(
            "A page of an organization's audit log, newest first, with `totalCount`.",
        )
        .override_output_type_description::<Page<crate::integration_tokens::IntegrationToken>>(
            "A page of an organization's integration tokens, newest first, with `totalCount`.",
        )
        .override_output_type_description::<Page<crate::scenarios::types::Scenario>>(
            "A page of an organization's scenarios, newest first, with `totalCount`.",
        )
        .override_output_type_description::<Page<crate::webhooks::types::WebhookEndpoint>>(
            "A page of an organization's webhook endpoints, oldest first, with `totalCount`.",
        )
        .override_output_type_description::<Page<crate::webhooks::types::WebhookDelivery>>(
            "A page of an endpoint's deliveries, newest first, with `totalCount`.",
        )
}

/// Admits a request's document, cheapest checks first, before anything else walks it
/// (see [`limits`]): the text's length and bracket nesting, then the parse (kept in the request,
/// so async-graphql runs the parsed document), then whether a caller without a token
/// asks for anything it may have, then one linear walk for depth, selections, aliases,
/// directives and fragment cycles. Returns whether the document holds anything but
/// queries. The schema has no extensions, so no hook runs per resolved field.
pub fn admit(
    request: &mut Request,
    limits: &Limits,
    access: limits::Access,
) -> Result<DocumentWrites, ServerError> {
    limits::check_length(request.query.len(), limits.max_document_bytes)?;
    limits::check_text(&request.query)?;
    let document = request.parsed_query().map_err(|mut error| {
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", "GRAPHQL_PARSE_FAILED");
        error
    })?;
    limits::check_access(document, access)?;
    limits::check_shape(document, limits::Bounds::of(limits))?;
    Ok(DocumentWrites::of(document))
}

/// Admits one request ([`admit`]) and attaches what it needs: its context and its
/// [`Loaders`], fresh (their caches live for one request only, so no request sees
/// another's stale rows). Run the request under the [`Idle`] it comes with
/// ([`Idle::dispatching`]): that is when the loaders send their batches.
pub fn prepare(
    mut request: Request,
    db: &DatabaseConnection,
    limits: &Limits,
    context: RequestContext,
    access: limits::Access,
) -> Result<(Request, Idle), ServerError> {
    let writes = admit(&mut request, limits, access)?;
    let idle = Idle::default();
    let loaders = Loaders::new(db, &writes, &idle);
    Ok((request.data(context).data(loaders), idle))
}

/// Gives every error a stable `extensions.code`. Errors our resolvers raise carry one
/// already; of those async-graphql raises itself, limits get `LIMIT_EXCEEDED`, values
/// that do not fit an argument's type `BAD_USER_INPUT`, and a document that does not fit
/// the schema `GRAPHQL_VALIDATION_FAILED` (as Apollo tooling expects; a document that
/// does not parse is `GRAPHQL_PARSE_FAILED`, see [`admit`]).
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
            || error.message.contains("aliases")
            || error.message.contains("too complex")
            || error.message.contains("number of directives")
            || error.message.contains("recursion")
        {
            "LIMIT_EXCEEDED"
        } else if error.path.is_empty() && !error.message.starts_with("Invalid value for argument")
        {
            // Raised before anything ran, not about an input's value: the document
            // does not fit the schema (an unknown field, an undefined variable ...).
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            // An argument or variable whose value does not fit its type.
            "BAD_USER_INPUT"
        };
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
}

/// Most errors one response carries. Validation reports every fault of a document, so
/// a document of 2,000 unused variables would be answered with 2,000 errors — an answer
/// a hundred times the request's size.
pub const MAX_ERRORS: usize = 50;

/// Cuts a response's errors to [`MAX_ERRORS`], the last one saying how many more there
/// were (with the code of the first one left out).
pub fn limit_errors(errors: &mut Vec<ServerError>) {
    if errors.len() <= MAX_ERRORS {
        return;
    }
    let more = errors.len() - (MAX_ERRORS - 1);
    let mut rest = errors.drain(MAX_ERRORS - 1..);
    let mut last = rest.next().map_or_else(
        || ServerError::new(String::new(), None),
        |first| ServerError {
            locations: Vec::new(),
            path: Vec::new(),
            ..first
        },
    );
    drop(rest);
    last.message = format!("… and {more} more errors like these; fix the ones above first");
    errors.push(last);
}

/// The code of an error, for metrics.
pub fn code_of(error: &ServerError) -> &str {
    match error.extensions.as_ref().and_then(|ext| ext.get("code")) {
        Some(async_graphql::Value::String(code)) => code.as_str(),
        _ => "UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_carries_at_most_max_errors_the_last_counting_the_rest() {
        let mut errors: Vec<ServerError> = (0..2_000)
            .map(|n| ServerError::new(format!("Variable \"$v{n}\" is not used"), None))
            .collect();
        limit_errors(&mut errors);
        assert_eq!(errors.len(), MAX_ERRORS);
        assert_eq!(errors[0].message, "Variable \"$v0\" is not used");
        assert!(
            errors[MAX_ERRORS - 1].message.contains("1951 more errors"),
            "{}",
            errors[MAX_ERRORS - 1].message
        );
        let mut few = vec![ServerError::new("one", None)];
        limit_errors(&mut few);
        assert_eq!(few.len(), 1);
    }
}
