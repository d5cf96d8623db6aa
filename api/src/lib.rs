//! The orgdesign server: marketing-organization design data over GraphQL.
//!
//! orgdesign holds where marketing sits in an organization (units, positions and
//! reporting lines over time), which maturity stage it is at and the KPIs that judge
//! it, and the trust and relationship priorities of its leaders; frontends query it,
//! integrations push KPI data into it, admins manage it in GraphiQL.
//!
//! # Layout
//!
//! - [`cli`]: the `orgdesign` command line (serve, migrate, schema, demo).
//! - [`settings`]: typed settings from defaults, a file and the environment.
//! - [`telemetry`]: logging setup.
//! - [`startup`]: [`startup::Application`], which builds, binds and runs the server
//!   and stops it gracefully on a signal the caller passes in.
//! - [`db`]: connecting to SQLite or PostgreSQL and classifying database errors.
//! - [`metrics`]: the Prometheus registry behind `/metrics`.
//! - [`http`]: routes, GraphQL over HTTP, probes, request ids.
//! - [`graphql`]: the schema stitched from the aggregates' roots, limits, pagination,
//!   `node(id)`, per-request DataLoaders.
//! - [`error`]: the service error and its stable GraphQL `extensions.code`.
//! - [`domain`]: parsed input types (slugs, names, enums).
//! - [`auth`]: the principal attached to each request.
//! - [`organizations`], [`units`], [`positions`], [`reporting`]: one folder per
//!   aggregate, each with its GraphQL types, resolvers, service and loaders.
//! - [`catalog`]: the built-in maturity stages, KPIs and leadership priorities.
//! - [`demo`]: demo organizations, one per collaboration model.

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
pub mod settings;
pub mod stakeholders;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod units;

/// Parses the command line and runs it: the whole `orgdesign` binary.
pub async fn main() -> anyhow::Result<()> {
    use clap::Parser as _;
    cli::run(cli::Cli::parse()).await
}
