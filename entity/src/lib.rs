//! orgdesign's persistence: sea-orm entities, one module per table.
//!
//! Entities are not API types: the `orgdesign-graphql` crate builds its GraphQL
//! objects from these models, so a column never reaches the schema by accident.
//! Enumerated columns are stored as their upper-case key strings, which the domain's
//! enumerations parse (`from_db`).
//!
//! # Layout
//!
//! One module per table, each with its `Model`, `ActiveModel`, `Entity` and `Column`:
//! - The structure: [`organization`] (the tenant), [`org_unit`] and
//!   [`org_unit_version`], [`position`] and [`position_version`], [`reporting_line`],
//!   [`scenario`], [`scheduled_change`] (changes dated in the future, until their day).
//! - Maturity and KPIs: [`maturity_stage`] (catalog), [`stage_assessment`],
//!   [`kpi_definition`], [`kpi_target`], [`kpi_measurement`],
//!   [`kpi_measurement_revision`].
//! - Priorities and relationships: [`leadership_priority`] (catalog),
//!   [`priority_assessment`], [`stakeholder`], [`relationship`],
//!   [`relationship_review`].
//! - Access and history: [`api_token`], [`audit_log`], [`idempotency_record`].
//! - Webhooks: [`webhook_endpoint`], [`webhook_event`] (the outbox),
//!   [`webhook_delivery`], [`webhook_attempt`], [`webhook_insight_watch`],
//!   [`webhook_insight_state`].

/// KPI values and targets are stored as integers scaled by this factor (six decimal
/// places). SQLite has no exact decimal type, and a float would round; scaled integers
/// stay exact on both databases and still sum in SQL.
pub const VALUE_SCALE: i64 = 1_000_000;

/// Declares what sea-orm needs of an entity beside its model: the relation enum
/// (empty: tables are joined by explicit queries on their ids, always starting with
/// `organization_id`, so no relation graph is kept here) and the default
/// `ActiveModelBehavior`. Every entity module calls it once.
macro_rules! plain_entity {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod api_token;
pub mod audit_log;
pub mod idempotency_record;
pub mod kpi_definition;
pub mod kpi_measurement;
pub mod kpi_measurement_revision;
pub mod kpi_target;
pub mod leadership_priority;
pub mod maturity_stage;
pub mod org_unit;
pub mod org_unit_version;
pub mod organization;
pub mod position;
pub mod position_version;
pub mod priority_assessment;
pub mod relationship;
pub mod relationship_review;
pub mod reporting_line;
pub mod scenario;
pub mod scheduled_change;
pub mod stage_assessment;
pub mod stakeholder;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod webhook_event;
pub mod webhook_insight_state;
pub mod webhook_insight_watch;
