//! Typed settings: defaults, then an optional TOML file, then environment variables,
//! then command-line flags (applied by the CLI).
//!
//! | source | example |
//! |---|---|
//! | file (`--config`, or `ORGDESIGN_CONFIG`, or `orgdesign.toml` if present) | `bind = "0.0.0.0:8080"` |
//! | environment | `ORGDESIGN_BIND`, `ORGDESIGN_LIMITS__MAX_DEPTH`, `DATABASE_URL` |

use std::path::Path;

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use secrecy::SecretString;
use serde::Deserialize;

/// Everything the server needs to start; built once and passed down, never global.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://path?mode=rwc` (the default, a file created on first start) or
    /// `postgres://user:pass@host/db`. Secret because it may carry a password.
    #[serde(default = "default_database_url")]
    pub database_url: SecretString,
    /// `HOST:PORT` to listen on; port 0 picks a free port (the chosen one is logged).
    #[serde(default = "default_bind")]
    pub bind: String,
    /// `development` (the default) or `production`.
    #[serde(default)]
    pub env: Environment,
    /// `text` (the default) or `json` log lines.
    #[serde(default)]
    pub log_format: LogFormat,
    /// HTTP worker threads; defaults to the number of cores.
    #[serde(default)]
    pub workers: Option<usize>,
    /// How long a stopping server waits for in-flight requests.
    #[serde(default = "default_shutdown_timeout")]
    pub shutdown_timeout_secs: u64,
    #[serde(default)]
    pub database: DatabaseSettings,
    #[serde(default)]
    pub limits: Limits,
}

/// Where the server runs; production refuses unsafe defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Development,
    Production,
}

/// The shape of log lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Connection-pool settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// How long a request waits for a pooled connection before it is `UNAVAILABLE`.
    pub acquire_timeout_secs: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout_secs: 5,
        }
    }
}

/// Abuse limits, on from the start. Each one has a reason: a public GraphQL endpoint
/// otherwise lets one request cost as much as the server can give.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Deepest selection nesting a query may have.
    pub max_depth: usize,
    /// Highest complexity score a query may have: each selected field counts one.
    pub max_complexity: usize,
    /// Most operations in one batched request.
    pub max_batch: usize,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Largest `first` a connection accepts.
    pub max_page_size: i32,
    /// Most units (archived included) one organization may hold. An organization's
    /// units are listed whole (an org chart needs all of them), so this bounds that
    /// list and every structure computation over it.
    pub max_units_per_organization: u64,
    /// Most positions (archived included) one unit may hold.
    pub max_positions_per_unit: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 2_000,
            max_batch: 10,
            max_body_bytes: 2 * 1024 * 1024,
            max_page_size: 100,
            max_units_per_organization: 5_000,
            max_positions_per_unit: 50,
        }
    }
}

fn default_database_url() -> SecretString {
    SecretString::from("sqlite://orgdesign.db?mode=rwc")
}

fn default_bind() -> String {
    "127.0.0.1:8080".to_owned()
}

fn default_shutdown_timeout() -> u64 {
    30
}

impl Settings {
    /// Loads settings from the optional file, then the environment.
    ///
    /// `config_file` is the `--config` flag; without it `ORGDESIGN_CONFIG` or an
    /// `orgdesign.toml` in the working directory is read when present.
    pub fn load(config_file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::new();
        match config_file {
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None => match std::env::var_os("ORGDESIGN_CONFIG") {
                Some(path) => figment = figment.merge(Toml::file_exact(path)),
                None => figment = figment.merge(Toml::file("orgdesign.toml")),
            },
        }
        figment
            .merge(
                Env::prefixed("ORGDESIGN_")
                    .ignore(&["config", "test_postgres_url"])
                    .split("__"),
            )
            .merge(Env::raw().only(&["database_url"]))
            .extract()
            .map_err(Box::new)
    }

    /// Settings for tests and tools: the defaults with the given database.
    pub fn for_database(database_url: &str) -> Self {
        Self {
            database_url: SecretString::from(database_url.to_owned()),
            bind: "127.0.0.1:0".to_owned(),
            env: Environment::Development,
            log_format: LogFormat::Text,
            workers: None,
            shutdown_timeout_secs: default_shutdown_timeout(),
            database: DatabaseSettings::default(),
            limits: Limits::default(),
        }
    }
}
