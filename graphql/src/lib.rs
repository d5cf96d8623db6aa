//! The orgdesign GraphQL schema: what clients see, over the domain.
//!
//! A resolver parses its input into domain types, asks the principal, calls a domain
//! service or read, and shapes the answer; it opens no transaction and holds no rule
//! of the model. This crate depends on `orgdesign-domain` and async-graphql, not on
//! actix or any HTTP crate: the server (`orgdesign-api`) carries requests here and
//! answers come back as async-graphql responses.
//!
//! # Layout
//!
//! The schema and the request:
//! - [`schema`]: the roots stitched together ([`schema::build_schema`], [`schema::sdl`]),
//!   document admission ([`schema::admit`]) and the per-request data
//!   ([`schema::prepare`]), and the stable error codes.
//! - [`limits`]: the limits checked on the parsed document (aliases, depth).
//! - [`context`]: typed access to what the schema and the request carry.
//! - [`error`]: `GqlError`, a domain error with its `extensions.code` and field.
//! - [`loaders`]: the request's [`loaders::Loaders`], a named field per loader.
//! - [`batch`]: what the loaders are made of (`Read`, `OrganizationBatch`, `Memo`,
//!   `DocumentWrites`).
//! - [`pagination`]: Relay connections with opaque cursors.
//! - [`scalars`]: the `Date`, `DateTime` and `Decimal` scalars.
//! - [`enums`]: the domain's enumerations as GraphQL enums.
//! - [`revision`]: `version`, `createdAt` and `updatedAt`, shared by structure objects.
//! - [`node`]: the `node(id)` query.
//! - [`subscriptions`]: the subscription root, over the domain's event bus.
//!
//! One module per aggregate, each with its types, resolvers and loaders:
//! - [`organizations`], [`units`], [`positions`], [`reporting`]: the structure.
//! - [`maturity`], [`kpis`], [`priorities`], [`stakeholders`]: how marketing is judged
//!   and whom it works with.
//! - [`insights`]: the collaboration model and the insights of a date.
//! - [`scenarios`]: draft reorganizations and their comparison with live.
//! - [`catalog`]: the built-in stages, KPIs and priorities.
//! - [`webhooks`]: endpoints and their delivery log.
//! - [`integration_tokens`]: issuing, listing and revoking integration tokens.
//! - [`audit`]: the `auditLog` query.

pub mod audit;
pub mod batch;
pub mod catalog;
pub mod context;
pub mod enums;
pub mod error;
pub mod insights;
pub mod integration_tokens;
pub mod kpis;
pub mod limits;
pub mod loaders;
pub mod maturity;
pub mod node;
pub mod organizations;
pub mod pagination;
pub mod positions;
pub mod priorities;
pub mod reporting;
pub mod revision;
pub mod scalars;
pub mod scenarios;
pub mod schema;
pub mod stakeholders;
pub mod subscriptions;
pub mod units;
pub mod webhooks;
