//! The orgdesign domain: what the data means and the only code that changes it.
//!
//! This crate knows nothing of GraphQL or HTTP, and its manifest says so: it does not
//! depend on async-graphql, actix or any HTTP crate, so a service that named one would
//! not compile. The GraphQL schema (`orgdesign-graphql`) and the server
//! (`orgdesign-api`) are built on top of it; nothing here reaches back up.
//!
//! # Layout
//!
//! Parsed input, the types every layer speaks (re-exported at the root, so
//! `orgdesign_domain::Slug`):
//! - [`text`]: names, slugs, KPI keys, descriptions, ids, checked once.
//! - [`enums`]: the model's enumerations, stored as their upper-case keys.
//! - [`value`]: exact KPI values and scores.
//! - [`date`]: the one reader of dates sent as text, storable dates, date ranges.
//! - [`page`]: a checked page request (`first`/`after`).
//!
//! Foundations:
//! - [`error`]: the domain [`error::Error`], one variant per stable code.
//! - [`clock`]: the wall clock, read in one place.
//! - [`settings`]: the typed settings, from defaults, a file and the environment.
//! - [`db`]: connecting, the write gate (per-organization queues, deadlines, the
//!   request's watch of its writes), leases, the database's pulse (does it answer
//!   now), classifying database errors.
//! - [`store`]: the [`store::Store`] services write through (database, write gate,
//!   leases, event bus).
//! - [`write`](mod@write): the one way a change is written: [`write::begin`] (wait for the
//!   organization's turn, begin, lock, re-read, authorize, check) and
//!   [`write::Write::commit`] (audit entry, outbox, commit, announce).
//! - [`audit`]: the audit log and its [`audit::Operation`]s.
//! - [`scheduled`]: structure changes dated in the future, announced once on their
//!   day.
//! - [`events`]: the event bus (in-process, or PostgreSQL `LISTEN`/`NOTIFY`).
//! - [`auth`]: principals, roles and their checks, JWT keys, integration tokens.
//! - [`idempotency`]: replies remembered for an `Idempotency-Key`.
//! - [`observe`]: what the domain reports for the server's metrics.
//! - [`query`]: query helpers the aggregates share (placeholders, batch reads,
//!   grouping, the reporting lines in effect on a date).
//! - [`dated`]: what stood on a day: units and positions with the histories of their
//!   values, read in one statement and picked per day; changes from a day on.
//!
//! Aggregates, each with its service (its storage rules and writes):
//! - [`organizations`], [`units`], [`positions`], [`reporting`]: the structure and its
//!   reporting lines over time.
//! - [`maturity`]: stage declarations and the stage the KPI data evidences.
//! - [`kpis`]: definitions, targets, ingestion, series and funnel.
//! - [`priorities`]: leadership-priority assessments.
//! - [`stakeholders`]: stakeholders and relationships with their reviews.
//! - [`scenarios`]: draft reorganizations: applying, comparing, promoting, the
//!   structure CSV.
//! - [`webhooks`]: endpoints, the transactional outbox, the insight watch and the
//!   delivery worker (which sends through a [`webhooks::delivery::Transport`] the
//!   server provides).
//!
//! What orgdesign explains, pure functions over a loaded snapshot:
//! - [`catalog`]: the built-in maturity stages, KPIs and leadership priorities.
//! - [`insights`]: the snapshot of an organization on a date, the collaboration model
//!   and the insight rules.
//! - [`charts`]: org charts (model, layout, SVG, Mermaid, DOT) and KPI trend SVGs.
//! - [`demo`]: demo organizations, one per collaboration model, through the services.

pub mod audit;
pub mod auth;
pub mod catalog;
pub mod charts;
pub mod clock;
pub mod date;
pub mod dated;
pub mod db;
pub mod demo;
pub mod enums;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod insights;
pub mod kpis;
pub mod maturity;
pub mod observe;
pub mod organizations;
pub mod page;
pub mod positions;
pub mod priorities;
pub mod query;
pub mod reporting;
pub mod scenarios;
pub mod scheduled;
pub mod settings;
pub mod stakeholders;
pub mod store;
pub mod text;
pub mod units;
pub mod value;
pub mod webhooks;
pub mod write;

pub use date::*;
pub use enums::*;
pub use page::*;
pub use text::*;
pub use value::*;
