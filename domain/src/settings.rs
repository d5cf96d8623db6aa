//! Typed settings: defaults, then an optional TOML file, then environment variables,
//! then command-line flags (applied by the CLI).
//!
//! | source | example |
//! |---|---|
//! | file (`--config`, or `ORGDESIGN_CONFIG`, or `orgdesign.toml` if present) | `bind = "0.0.0.0:8080"` |
//! | environment | `ORGDESIGN_BIND`, `ORGDESIGN_LIMITS__MAX_DEPTH`, `DATABASE_URL` |

use std::path::{Path, PathBuf};

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
    /// How long a stopping server waits for in-flight requests (the grace period); the
    /// `serve` process exits at the latest a second after it, whatever its requests
    /// are doing.
    #[serde(default = "default_shutdown_timeout")]
    pub shutdown_timeout_secs: u64,
    /// Longest `/readyz` waits for the database to answer, in milliseconds, before it
    /// says not ready (503). A request running out of time asks the database the same
    /// question, this long before its deadline, to tell one the database kept waiting
    /// (`UNAVAILABLE`) from one that took too long by itself (`LIMIT_EXCEEDED`).
    #[serde(default = "default_readiness_timeout")]
    pub readiness_timeout_ms: u64,
    #[serde(default)]
    pub database: DatabaseSettings,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub writes: WriteSettings,
    /// HS256 secret that signs and verifies tokens (`ORGDESIGN_JWT_SECRET`).
    #[serde(default)]
    pub jwt_secret: Option<SecretString>,
    /// A PEM public key (or a path to one) that verifies RS256 or EdDSA tokens.
    #[serde(default)]
    pub jwt_public_key: Option<String>,
    /// The matching PEM private key (or a path), needed only to issue tokens
    /// (integration tokens, `orgdesign token`) when a public key verifies them.
    #[serde(default)]
    pub jwt_private_key: Option<SecretString>,
    /// The algorithm of `jwt_public_key`: `RS256` or `EdDSA`.
    #[serde(default)]
    pub jwt_algorithm: Option<String>,
    /// The `kid` of the primary key, if tokens name it.
    #[serde(default)]
    pub jwt_kid: Option<String>,
    /// Development only, when no key is configured: the file that keeps the key made up
    /// for development, so tokens survive a restart. Default: beside a SQLite database
    /// file (`orgdesign.db` → `orgdesign.db.jwt-key`); with PostgreSQL or an in-memory
    /// database and no file named, each process makes up its own key.
    #[serde(default)]
    pub jwt_dev_key_file: Option<std::path::PathBuf>,
    /// Further verification keys, selected by `kid`, so keys can rotate with an overlap.
    #[serde(default)]
    pub jwt_keys: Vec<JwtKeySettings>,
    /// Required `iss` claim.
    #[serde(default = "default_jwt_name")]
    pub jwt_issuer: String,
    /// Required `aud` claim.
    #[serde(default = "default_jwt_name")]
    pub jwt_audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    #[serde(default = "default_leeway")]
    pub jwt_leeway_secs: u64,
    /// Who may introspect the schema: `everyone`, `authenticated` or `admins`.
    /// Defaults to `everyone` in development and `admins` in production.
    #[serde(default)]
    pub introspection: Option<IntrospectionPolicy>,
    /// Origins allowed to call the API from a browser (CORS); none by default.
    #[serde(default)]
    pub cors_allowed_origins: Vec<String>,
    /// Request headers those origins may send besides the ones always allowed
    /// (`Authorization`, `Content-Type`, `Accept`, `Idempotency-Key`, `X-Request-Id`,
    /// `traceparent` and Apollo Client's `apollographql-client-name`/`-version`).
    #[serde(default)]
    pub cors_allowed_headers: Vec<String>,
    /// How request bodies are read: a deadline, and caps on the bytes in flight.
    #[serde(default)]
    pub bodies: BodySettings,
    /// What a WebSocket (subscription) connection may take: timeouts and caps.
    #[serde(default)]
    pub websocket: WebSocketSettings,
    /// Where GraphiQL's third-party files come from.
    #[serde(default)]
    pub graphiql: GraphiqlSettings,
    /// Webhook deliveries: which addresses they may go to, their timeouts and retries.
    #[serde(default)]
    pub webhooks: WebhookSettings,
    /// A rehearsal: the day `orgdesign serve` takes for today (`YYYY-MM-DD`,
    /// `ORGDESIGN_CLOCK_TODAY`), so a staging replica shows, announces and evaluates
    /// what dated changes do on that day. Refused in production: a dated change is
    /// announced once, and a replica ahead of time would announce it early.
    #[serde(default)]
    pub clock_today: Option<chrono::NaiveDate>,
}

/// One more verification key, for rotation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtKeySettings {
    /// The `kid` tokens signed with this key carry.
    pub kid: String,
    /// `HS256`, `RS256` or `EdDSA`.
    pub algorithm: String,
    /// For HS256: the shared secret.
    #[serde(default)]
    pub secret: Option<SecretString>,
    /// For RS256 and EdDSA: the PEM public key (or a path to one).
    #[serde(default)]
    pub public_key: Option<String>,
}

/// Who may run introspection queries (and so use GraphiQL's schema browser).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntrospectionPolicy {
    Everyone,
    Authenticated,
    Admins,
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

/// How writers queue: per organization in the process, and for the share of the
/// pool writers may hold. Each wait ends at `limits.request_timeout_ms` (at least a
/// second), which also bounds each statement of a write.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WriteSettings {
    /// Most writers that may wait for one organization while another writes to it;
    /// one more is answered `UNAVAILABLE` at once. Waiting writers hold their request
    /// (up to `max_points_per_push` points each) but no database connection.
    pub max_queued_per_organization: usize,
    /// Most pooled connections writers hold at once, so that reads always find one;
    /// by default half of `database.max_connections` (at least one). On SQLite always
    /// one: SQLite lets one transaction write at a time.
    pub max_connections: Option<u32>,
}

impl Default for WriteSettings {
    fn default() -> Self {
        Self {
            max_queued_per_organization: 32,
            max_connections: None,
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
    /// Most KPI points one push may carry; a push is one transaction.
    pub max_points_per_push: usize,
    /// Most aliases one operation may use: aliases let one request ask for the same
    /// expensive field many times under different names.
    pub max_aliases: usize,
    /// Most directives one field may carry.
    pub max_directives: usize,
    /// Longest GraphQL document text, in bytes, of one request (a batch's documents
    /// together). Refused before it is parsed: parsing is the one step of admission
    /// whose cost is the document's length, and a query has no need of the room a body
    /// leaves for variables (a KPI push).
    pub max_document_bytes: usize,
    /// Longest a request may run, in milliseconds, over GraphQL and REST alike: a
    /// request still running then is stopped, `UNAVAILABLE` when the database did not
    /// answer (see `readiness_timeout_ms`), else `LIMIT_EXCEEDED`. A write under way is
    /// never cut off (so a reply never calls a change that landed "stopped"): it keeps
    /// to its own deadlines, and the request to a second more once it ends. On
    /// PostgreSQL every statement is also cut off after this long (at least a second).
    /// Writes keep to it too (at least a second): the longest a writer waits for its
    /// organization, and the longest each statement of a write may go unanswered
    /// (see `writes`).
    pub request_timeout_ms: u64,
    /// Requests per minute one principal (or, without a token, one client address) may
    /// make; past it the answer is 429 with `Retry-After`.
    pub requests_per_minute: u32,
    /// Requests a principal may make at once above the steady rate.
    pub request_burst: u32,
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
            max_points_per_push: 5_000,
            max_aliases: 30,
            max_directives: 8,
            max_document_bytes: 256 * 1024,
            request_timeout_ms: 30_000,
            requests_per_minute: 1_200,
            request_burst: 200,
        }
    }
}

/// How the body of a `POST /graphql` or a REST push is read, once its request has been
/// authenticated and counted against the rate limit from its headers. Without these a
/// client could announce a large body, send a little of it and stall, pinning memory and
/// a connection for as long as it liked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BodySettings {
    /// Longest the whole body may take to arrive, in milliseconds, counted from when the
    /// server starts to read it; past it the request is answered 408 and its connection
    /// closed.
    pub timeout_ms: u64,
    /// Most bytes of bodies one client address may have in flight at once (announced by
    /// `Content-Length`, else as they arrive, until the request is done with them); past
    /// it, 429. At least `max_body_bytes`.
    pub max_in_flight_bytes_per_address: usize,
    /// Most bytes of bodies the process has in flight at once, over every address; past
    /// it, 503. At least `max_in_flight_bytes_per_address`.
    pub max_in_flight_bytes: usize,
}

impl Default for BodySettings {
    fn default() -> Self {
        Self {
            timeout_ms: 10_000,
            max_in_flight_bytes_per_address: 16 * 1024 * 1024,
            max_in_flight_bytes: 64 * 1024 * 1024,
        }
    }
}

impl BodySettings {
    /// Why these caps cannot work with `max_body_bytes`, if they cannot: a cap below it
    /// would refuse every body of the largest allowed size.
    pub fn check(&self, max_body_bytes: usize) -> Result<(), String> {
        if self.timeout_ms == 0 {
            return Err("[bodies] timeout_ms must be above 0".to_owned());
        }
        if self.max_in_flight_bytes_per_address < max_body_bytes {
            return Err(format!(
                "[bodies] max_in_flight_bytes_per_address ({}) must be at least [limits] max_body_bytes ({max_body_bytes})",
                self.max_in_flight_bytes_per_address
            ));
        }
        if self.max_in_flight_bytes < self.max_in_flight_bytes_per_address {
            return Err(format!(
                "[bodies] max_in_flight_bytes ({}) must be at least max_in_flight_bytes_per_address ({})",
                self.max_in_flight_bytes, self.max_in_flight_bytes_per_address
            ));
        }
        Ok(())
    }
}

/// What a WebSocket connection for subscriptions may take. A connection lives long and
/// holds a task, a socket and its subscriptions' event streams, so each of these bounds
/// something a client could otherwise hold without end.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSocketSettings {
    /// Longest a new connection may take to send `connection_init`, in milliseconds;
    /// past it the server closes it with 4408, as graphql-transport-ws specifies.
    pub init_timeout_ms: u64,
    /// Longest a connection may stay silent, in milliseconds: past it the server closes
    /// it with 3008. Any frame counts, the pong a client's WebSocket library sends back
    /// to the server's ping (sent when half of this has passed in silence) included.
    pub idle_timeout_ms: u64,
    /// Largest message a client may send, in bytes (a fragmented message counted whole);
    /// a larger one closes the connection with 1009.
    pub max_message_bytes: usize,
    /// Most subscriptions one connection may run at once; one more is refused with an
    /// `error` message (`LIMIT_EXCEEDED`), the connection stays.
    pub max_subscriptions_per_connection: usize,
    /// Most connections one subject (a token's `sub`) may have open at once; one more is
    /// closed with 1013 after its `connection_init`.
    pub max_connections_per_subject: usize,
    /// Most connections one client address may have open at once, authenticated or not;
    /// one more is refused before the upgrade with 429.
    pub max_connections_per_address: usize,
}

impl Default for WebSocketSettings {
    fn default() -> Self {
        Self {
            init_timeout_ms: 10_000,
            idle_timeout_ms: 30_000,
            max_message_bytes: 64 * 1024,
            max_subscriptions_per_connection: 100,
            max_connections_per_subject: 50,
            max_connections_per_address: 200,
        }
    }
}

impl WebSocketSettings {
    /// Why these settings cannot work, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        if self.init_timeout_ms == 0 || self.idle_timeout_ms == 0 {
            return Err(
                "[websocket] init_timeout_ms and idle_timeout_ms must be above 0".to_owned(),
            );
        }
        if self.max_message_bytes < 1024 {
            return Err("[websocket] max_message_bytes must be at least 1024".to_owned());
        }
        Ok(())
    }
}

/// Where the `/graphiql` page gets GraphiQL, React and ReactDOM, the files
/// `api/assets/graphiql/manifest.txt` pins.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphiqlSettings {
    /// A folder `api/assets/graphiql/refresh.sh` filled (offline mode, for networks
    /// without internet access): the server reads the files from it at start, refuses
    /// to start unless each matches the manifest, and serves them itself. Unset, the
    /// page loads them from a public CDN by exact version, with subresource integrity.
    pub assets_dir: Option<PathBuf>,
}

/// Webhook deliveries (`[webhooks]`): where they may go, how long a receiver has, how
/// they are retried. The times are settings so that tests can compress them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookSettings {
    /// Whether this process runs the delivery worker. Every replica may: on PostgreSQL
    /// they share the work, one endpoint at a time each.
    pub worker: bool,
    /// Whether endpoint URLs may be `http://` (development only): by default only
    /// `https://`.
    pub allow_http: bool,
    /// Hosts or addresses exempt from the private-address rule, e.g. `127.0.0.1` or
    /// `hooks.internal`: a list, or one comma-separated string
    /// (`ORGDESIGN_WEBHOOKS__ALLOW_HOSTS=127.0.0.1,localhost`).
    #[serde(deserialize_with = "host_list")]
    pub allow_hosts: Vec<String>,
    /// How long a receiver has to answer, in milliseconds; a 2xx within it is success.
    pub timeout_ms: u64,
    /// Most bytes of a reply that are read (the first 1 KiB is kept in the log); the
    /// rest is not waited for.
    pub max_response_bytes: usize,
    /// How often the worker looks for work, in milliseconds.
    pub poll_interval_ms: u64,
    /// The first retry's delay, in milliseconds; each next one doubles (with ±20%
    /// jitter) up to `retry_max_interval_ms`.
    pub retry_base_ms: u64,
    /// The longest delay between two attempts, in milliseconds.
    pub retry_max_interval_ms: u64,
    /// How long after its event a delivery is retried, in seconds, before it is
    /// marked failed.
    pub retry_window_secs: u64,
    /// How long an endpoint may fail every attempt, in seconds, before the server
    /// disables it (and says why).
    pub disable_after_secs: u64,
    /// Most endpoints this process delivers to at once.
    pub concurrency: usize,
    /// How long delivered and failed deliveries (and their attempts) are kept, in days.
    pub retention_days: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            worker: true,
            allow_http: false,
            allow_hosts: Vec::new(),
            timeout_ms: 10_000,
            max_response_bytes: 64 * 1024,
            poll_interval_ms: 1_000,
            retry_base_ms: 30_000,
            retry_max_interval_ms: 6 * 3_600_000,
            retry_window_secs: 24 * 3_600,
            disable_after_secs: 3 * 24 * 3_600,
            concurrency: 8,
            retention_days: 30,
        }
    }
}

impl WebhookSettings {
    /// Why these settings cannot work, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        if self.timeout_ms == 0 || self.poll_interval_ms == 0 || self.retry_base_ms == 0 {
            return Err(
                "[webhooks] timeout_ms, poll_interval_ms and retry_base_ms must be above 0"
                    .to_owned(),
            );
        }
        if self.retry_max_interval_ms < self.retry_base_ms {
            return Err(
                "[webhooks] retry_max_interval_ms must be at least retry_base_ms".to_owned(),
            );
        }
        if self.concurrency == 0 {
            return Err("[webhooks] concurrency must be above 0".to_owned());
        }
        Ok(())
    }
}

/// A list of hosts from a TOML list or from one comma-separated string (as an
/// environment variable gives it).
fn host_list<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Hosts {
        List(Vec<String>),
        Text(String),
    }
    let hosts = match Hosts::deserialize(deserializer)? {
        Hosts::List(list) => list,
        Hosts::Text(text) => text.split(',').map(str::to_owned).collect(),
    };
    Ok(hosts
        .into_iter()
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .collect())
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

fn default_readiness_timeout() -> u64 {
    1_000
}

fn default_jwt_name() -> String {
    "orgdesign".to_owned()
}

fn default_leeway() -> u64 {
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
            readiness_timeout_ms: default_readiness_timeout(),
            database: DatabaseSettings::default(),
            limits: Limits::default(),
            writes: WriteSettings::default(),
            jwt_secret: None,
            jwt_public_key: None,
            jwt_private_key: None,
            jwt_algorithm: None,
            jwt_kid: None,
            jwt_dev_key_file: None,
            jwt_keys: Vec::new(),
            jwt_issuer: default_jwt_name(),
            jwt_audience: default_jwt_name(),
            jwt_leeway_secs: default_leeway(),
            introspection: None,
            cors_allowed_origins: Vec::new(),
            cors_allowed_headers: Vec::new(),
            bodies: BodySettings::default(),
            websocket: WebSocketSettings::default(),
            graphiql: GraphiqlSettings::default(),
            webhooks: WebhookSettings::default(),
            clock_today: None,
        }
    }

    /// The introspection policy in force.
    pub fn introspection_policy(&self) -> IntrospectionPolicy {
        self.introspection.unwrap_or(match self.env {
            Environment::Development => IntrospectionPolicy::Everyone,
            Environment::Production => IntrospectionPolicy::Admins,
        })
    }
}

#[cfg(test)]
mod limit_settings_tests {
    use super::*;

    #[test]
    fn body_caps_must_admit_a_body_of_the_largest_size() {
        let limits = Limits::default();
        assert_eq!(BodySettings::default().check(limits.max_body_bytes), Ok(()));
        let below = BodySettings {
            max_in_flight_bytes_per_address: limits.max_body_bytes - 1,
            ..BodySettings::default()
        };
        assert!(below.check(limits.max_body_bytes).is_err());
        let inverted = BodySettings {
            max_in_flight_bytes: limits.max_body_bytes,
            ..BodySettings::default()
        };
        assert!(inverted.check(limits.max_body_bytes).is_err());
        let no_time = BodySettings {
            timeout_ms: 0,
            ..BodySettings::default()
        };
        assert!(no_time.check(limits.max_body_bytes).is_err());
    }

    #[test]
    fn websocket_timeouts_must_be_above_zero_and_messages_hold_a_subscribe() {
        assert_eq!(WebSocketSettings::default().check(), Ok(()));
        for broken in [
            WebSocketSettings {
                init_timeout_ms: 0,
                ..WebSocketSettings::default()
            },
            WebSocketSettings {
                idle_timeout_ms: 0,
                ..WebSocketSettings::default()
            },
            WebSocketSettings {
                max_message_bytes: 100,
                ..WebSocketSettings::default()
            },
        ] {
            assert!(broken.check().is_err(), "{broken:?}");
        }
    }
}
