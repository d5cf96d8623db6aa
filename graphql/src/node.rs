//! Relay's `Node` interface and `node(id)`.
//!
//! Ids are UUIDs (v7), unique across every table, so `node(id)` finds the object by
//! probing the tables that hold nodes, without a type prefix in the id.

use async_graphql::{Context, ID, Interface, Object};
use orgdesign_domain::{
    organizations::service as organizations, parse_id, positions::service as positions,
    reporting::service as reporting, units::service as units,
};

use crate::{
    context::{db, request},
    error::GqlResult,
    organizations::Organization,
    positions::Position,
    reporting::ReportingLine,
    units::Unit,
};

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "The object's id, unique across all types."
))]
pub enum Node {
    Organization(Organization),
    OrgUnit(Unit),
    Position(Position),
    ReportingLine(ReportingLine),
}

/// The `node` query.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any organization, unit, position or reporting line by its id (units and
    /// positions as they stand today); null when unknown or out of the token's reach.
    /// Admins, editors and viewers.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The object's id.")] id: ID,
    ) -> GqlResult<Option<Node>> {
        let principal = request(ctx)?.principal()?;
        principal.may_read_structure()?;
        let id = parse_id("id", &id)?;
        let db = db(ctx)?;
        // An object of an organization out of reach is answered like an unknown id.
        if let Some(found) = organizations::find(db, id).await? {
            return Ok(principal
                .can_read(found.id)
                .then(|| Node::Organization(Organization(found))));
        }
        // Units and positions as they stand today (`unit`/`position` take `asOf`).
        let today = orgdesign_domain::clock::today();
        if let Some(found) = units::find(db, id).await? {
            return Ok(principal
                .can_read(found.row.organization_id)
                .then(|| found.on(today).map(|row| Node::OrgUnit(Unit(row, today))))
                .flatten());
        }
        if let Some(found) = positions::find(db, id).await? {
            return Ok(principal
                .can_read(found.row.organization_id)
                .then(|| {
                    found
                        .on(today)
                        .map(|row| Node::Position(Position(row, today)))
                })
                .flatten());
        }
        Ok(reporting::find(db, id)
            .await?
            .filter(|line| principal.can_read(line.organization_id))
            .map(|line| Node::ReportingLine(ReportingLine(line))))
    }
}
