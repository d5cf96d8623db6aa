//! The GraphQL subscription root.

use async_graphql::{Context, Description, ID, Subscription};
use futures_util::{Stream, StreamExt};
use orgdesign_domain::{KpiKey, events::Event, parse_id, store::Store};
use tokio::sync::broadcast::error::RecvError;

use crate::{
    context::request,
    error::{GqlError, GqlResult},
    scalars::Date,
};

/// A push that recorded KPI points.
#[derive(async_graphql::SimpleObject, Debug, Clone)]
pub struct KpiPointsRecorded {
    /// The organization the points belong to.
    pub organization_id: ID,
    /// The KPI keys of the push (only those asked for, when `kpiKeys` was given).
    pub kpi_keys: Vec<String>,
    /// How many points the push added (all its KPIs).
    pub inserted: u64,
    /// How many stored points it gave a new value (all its KPIs).
    pub corrected: u64,
}

/// A change to an organization's structure.
#[derive(async_graphql::SimpleObject, Debug, Clone)]
pub struct StructureChanged {
    /// The organization changed.
    pub organization_id: ID,
    /// The mutation, e.g. `addReportingLine`.
    pub operation: String,
    /// The objects it created or changed.
    pub object_ids: Vec<ID>,
    /// The day the change took effect: the day it was made, or, for a change dated
    /// later, its day (it is told on that day, not when it was written). Null only
    /// while replicas of an earlier version still run.
    pub effective_on: Option<Date>,
}

/// Every event from now on, as a stream; a subscriber too slow to keep up skips what
/// it missed (and the server logs it) rather than stalling the others.
fn events(ctx: &Context<'_>) -> GqlResult<impl Stream<Item = Event> + use<>> {
    let receiver = ctx.data::<Store>()?.events.subscribe();
    Ok(futures_util::stream::unfold(
        receiver,
        |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(event) => return Some((event, receiver)),
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "a slow subscriber missed events");
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    ))
}

/// Subscriptions, over graphql-ws (`graphql-transport-ws`) on `/graphql`. The token
/// goes in `connection_init` (`{"Authorization": "Bearer ..."}`); each subscription
/// is checked like the query of the same data.
#[derive(Default, Description)]
pub struct SubscriptionRoot;

#[Subscription(name = "Subscription", use_type_description)]
impl SubscriptionRoot {
    /// KPI points recorded in an organization, optionally only for some KPI keys.
    /// Every role within reach, integrations included.
    async fn kpi_points_recorded(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization.")] organization_id: ID,
        #[graphql(desc = "Only pushes of these KPI keys; null for every push.")] kpi_keys: Option<
            Vec<String>,
        >,
    ) -> Result<impl Stream<Item = KpiPointsRecorded> + use<>, GqlError> {
        let principal = request(ctx)?.principal()?;
        let organization = parse_id("organizationId", &organization_id)?;
        principal
            .may_read_kpis(organization)
            .map_err(|e| e.on_field("organizationId"))?;
        // Keys are read as every KPI key is: one that could never name a KPI is a
        // mistake to report, not a filter that silently never matches.
        let kpi_keys: Option<Vec<String>> = kpi_keys
            .map(|keys| {
                keys.iter()
                    .enumerate()
                    .map(|(i, key)| {
                        KpiKey::parse(&format!("kpiKeys[{i}]"), key).map(KpiKey::into_inner)
                    })
                    .collect::<orgdesign_domain::error::Result<_>>()
            })
            .transpose()?;
        Ok(events(ctx)?.filter_map(move |event| {
            let keys = kpi_keys.clone();
            async move {
                match event {
                    Event::KpiPointsRecorded {
                        organization_id,
                        kpi_keys: recorded,
                        inserted,
                        corrected,
                    } if organization_id == organization => {
                        let recorded: Vec<String> = match &keys {
                            Some(wanted) => recorded
                                .into_iter()
                                .filter(|k| wanted.contains(k))
                                .collect(),
                            None => recorded,
                        };
                        (!recorded.is_empty()).then(|| KpiPointsRecorded {
                            organization_id: ID(organization_id.to_string()),
                            kpi_keys: recorded,
                            inserted,
                            corrected,
                        })
                    }
                    _ => None,
                }
            }
        }))
    }

    /// Changes to an organization's structure (units, positions, reporting lines).
    /// Admins, editors and viewers of the organization.
    async fn structure_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization.")] organization_id: ID,
    ) -> Result<impl Stream<Item = StructureChanged> + use<>, GqlError> {
        let principal = request(ctx)?.principal()?;
        principal.may_read_structure()?;
        let organization = parse_id("organizationId", &organization_id)?;
        principal
            .may_read(organization, "organization")
            .map_err(|e| e.on_field("organizationId"))?;
        Ok(events(ctx)?.filter_map(move |event| async move {
            match event {
                Event::StructureChanged {
                    organization_id,
                    operation,
                    object_ids,
                    effective_on,
                } if organization_id == organization => Some(StructureChanged {
                    organization_id: ID(organization_id.to_string()),
                    operation,
                    effective_on: effective_on.map(Date::from),
                    object_ids: object_ids
                        .into_iter()
                        .map(|id| ID(id.to_string()))
                        .collect(),
                }),
                _ => None,
            }
        }))
    }
}
