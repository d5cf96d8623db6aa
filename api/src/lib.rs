//! The orgdesign server: marketing-organization design data over GraphQL.
//!
//! orgdesign holds where marketing sits in an organization (units, positions and
//! reporting lines over time), which maturity stage it is at and the KPIs that judge
//! it, and the trust and relationship priorities of its leaders; frontends query it,
//! integrations push KPI data into it, admins manage it in GraphiQL.
//!
//! # Layout
//!
//! The request's way: [`http`] and [`rest`] (transport) → the [`graphql`] resolvers of
//! each aggregate (shape, authorize) → `<aggregate>/service.rs` (validate, lock, write,
//! audit, publish after commit) → `entity` and [`db`]. `ARCHITECTURE.md` at the
//! repository root tells it at length; the `layering` unit tests keep it so.
//!
//! Start-up and plumbing:
//! - [`cli`]: the `orgdesign` command line (serve, migrate, schema, openapi, demo,
//!   token, import-kpis, import-structure, export-structure).
//! - [`settings`]: typed settings from defaults, a file and the environment.
//! - [`telemetry`]: logging setup.
//! - [`startup`]: [`startup::Application`], which builds, binds and runs the server
//!   and stops it gracefully on a signal the caller passes in.
//! - [`db`]: connecting to SQLite or PostgreSQL, starting write transactions through
//!   the write gate ([`db::write`]: per-organization queues, the writers' share of the
//!   pool, a deadline on every statement), leases on claimed work ([`db::lease`]),
//!   whether the database answers now ([`db::pulse`]), classifying database errors.
//! - [`store`]: the [`store::Store`] services write through (database, write gate,
//!   leases, event bus).
//! - [`metrics`]: the Prometheus registry behind `/metrics`.
//! - [`clock`]: the wall clock (`now`, `today`, the default `asOf`).
//! - [`error`]: the service error and its stable GraphQL `extensions.code`.
//! - [`domain`]: parsed input types (slugs, names, scores, storable dates, periods,
//!   pages, enums).
//!
//! Transport:
//! - [`http`]: routes, GraphQL over HTTP, WebSockets, GraphiQL (its pinned files from
//!   the CDN or, offline, a checked folder), probes, request ids, requests' deadlines.
//! - [`rest`]: KPI points in and out as JSON/CSV, chart SVGs, the structure CSV out
//!   and back in as a draft scenario, the OpenAPI document.
//! - [`graphql`]: the schema stitched from the aggregates' roots, limits, pagination,
//!   `node(id)`, per-request DataLoaders.
//! - [`events`]: the event bus (in-process or PostgreSQL LISTEN/NOTIFY) and
//!   subscriptions.
//!
//! Aggregates, each with its types, resolvers, service (and loaders where a nested
//! query walks them):
//! - [`organizations`], [`units`], [`positions`], [`reporting`]: the structure and its
//!   reporting lines over time.
//! - [`maturity`]: stage declarations and the stage the KPI data evidences.
//! - [`kpis`]: definitions, targets, measurements (ingestion), series and funnel.
//! - [`priorities`]: leadership-priority assessments.
//! - [`stakeholders`]: stakeholders and relationships with their reviews.
//! - [`auth`]: principals, roles, JWT keys and integration tokens.
//! - [`audit`]: the audit log every service writes.
//! - [`idempotency`]: replies remembered for REST pushes' `Idempotency-Key`.
//! - [`webhooks`]: endpoints, the transactional outbox of events, the delivery worker
//!   (Standard Webhooks signatures, retries, SSRF-safe sending).
//!
//! Reasoning and pictures:
//! - [`catalog`]: the built-in maturity stages, KPIs and leadership priorities.
//! - [`insights`]: the snapshot of an organization on a date, the collaboration model
//!   it forms and the insight rules, as pure functions.
//! - [`charts`]: org charts (model, layout, SVG, Mermaid, DOT) and KPI trend SVGs.
//! - [`demo`]: demo organizations, one per collaboration model, through the services.

pub mod audit;
pub mod auth;
pub mod catalog;
pub mod charts;
pub mod cli;
pub mod clock;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod idempotency;
pub mod insights;
pub mod kpis;
#[cfg(test)]
mod layering;
pub mod maturity;
pub mod metrics;
pub mod organizations;
pub mod positions;
pub mod priorities;
pub mod reporting;
pub mod rest;
pub mod scenarios;
pub mod settings;
pub mod stakeholders;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod units;
pub mod webhooks;

/// Parses the command line and runs it: the whole `orgdesign` binary.
pub async fn main() -> anyhow::Result<()> {
    use clap::Parser as _;
    cli::run(cli::Cli::parse()).await
}
