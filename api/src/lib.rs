//! The orgdesign server: marketing-organization design data over GraphQL and REST.
//!
//! orgdesign holds where marketing sits in an organization (units, positions and
//! reporting lines over time), which maturity stage it is at and the KPIs that judge
//! it, and the trust and relationship priorities of its leaders; frontends query it,
//! integrations push KPI data into it, admins manage it in GraphiQL.
//!
//! This crate is the top of three layers, each a crate the one above depends on and
//! never the other way round:
//!
//! ```text
//! orgdesign-api      HTTP, REST, WebSocket, GraphiQL, CLI, start-up      (this crate)
//!   -> orgdesign-graphql   the schema: types, resolvers, loaders (no HTTP)
//!     -> orgdesign-domain  services, storage, events, insights (no GraphQL, no HTTP)
//!       -> entity          sea-orm entities
//! ```
//!
//! `ARCHITECTURE.md` at the repository root tells the request's way through them.
//!
//! # Layout
//!
//! - [`cli`]: the `orgdesign` command line (serve, migrate, schema, openapi, demo,
//!   token, import-kpis, import-structure, export-structure).
//! - [`startup`]: [`startup::Application`], which builds, binds and runs the server
//!   and stops it gracefully on a signal the caller passes in.
//! - [`telemetry`]: logging setup.
//! - [`metrics`]: the Prometheus registry behind `/metrics`, which the domain reports
//!   to as its `Observer`.
//! - [`http`]: routes, GraphQL over HTTP, WebSockets, GraphiQL (its pinned files from
//!   the CDN or, offline, a checked folder), probes, request ids, requests' deadlines.
//! - [`rest`]: KPI points in and out as JSON/CSV, chart SVGs, the structure CSV out
//!   and back in as a draft scenario, the OpenAPI document.
//! - [`webhooks`]: the webhooks' HTTP client, the domain's `Transport`.
//! - `layering` (tests only): what the crate graph cannot check about the layers, and
//!   that each crate's layout names every module.

pub mod cli;
pub mod http;
#[cfg(test)]
mod layering;
pub mod metrics;
pub mod rest;
pub mod startup;
pub mod telemetry;
pub mod webhooks;

/// Parses the command line and runs it: the whole `orgdesign` binary.
pub async fn main() -> anyhow::Result<()> {
    use clap::Parser as _;
    cli::run(cli::Cli::parse()).await
}
