//! End-to-end tests of the real orgdesign server: each test starts the application on
//! port 0 against its own fresh database (a temp-file SQLite always, and a fresh
//! PostgreSQL database too when `ORGDESIGN_TEST_POSTGRES_URL` is set).
//!
//! With `TEST_REQUIRE_POSTGRES=1` (as `.ci/run` sets) or `CI=true`, a run
//! without `ORGDESIGN_TEST_POSTGRES_URL` fails instead of covering SQLite alone.
//!
//! A test that needs an outside tool this machine lacks — PostgreSQL alone, Chromium,
//! GraphiQL's files, the Node client libraries, graphql-core — is compiled as ignored
//! (`build.rs` sets `cfg(test_postgres)`, `cfg(test_browser)`, `cfg(test_graphiql_assets)`,
//! `cfg(test_clients)`, `cfg(test_graphql_core)` for what it finds), so nextest reports it as skipped, never as
//! passed; `.ci/run` requires none skipped.
//!
//! Tests never sleep to wait for something that can be awaited: they poll for the
//! condition itself with a deadline (`helpers::wait_for`), and every retry is bounded.
//! The sleeps that remain pace such polls, stand in for a slow peer (a webhook
//! receiver that answers late, one that never finishes), or wait out a stretch of time
//! that is itself the condition: a worker that must do nothing (`webhooks.rs`),
//! connections idle past the pool's ping threshold (`operations.rs`).

// Tests fail loudly by design: unwrap/expect are the assertion of "this must work".
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod authorization;
mod boundary;
mod browser;
mod charts;
mod cli;
mod clients;
mod contention;
mod conventions;
mod dated_structure;
mod demo;
mod docs_examples;
mod frozen_database;
mod graphiql;
mod hostile_documents;
mod http_errors;
mod http_protocol;
mod idempotency;
mod insights;
mod introspection;
mod kpis;
mod migrations;
mod n_plus_one;
mod operations;
mod organizations;
mod persisted_queries;
mod proxy;
mod refusals;
mod reporting_lines;
mod request_bodies;
mod response_shape;
mod rest;
mod robustness;
mod scenarios;
mod schema_file;
mod services;
mod shutdown;
mod structure_csv;
mod subscriptions;
mod tokens;
mod units_and_positions;
mod webhooks;
mod websocket_limits;
