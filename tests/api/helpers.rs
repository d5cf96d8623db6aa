//! `spawn_app` and the `TestApp` handle.

use std::{path::PathBuf, sync::Arc};

use std::time::Duration;

use orgdesign_api::{
    auth::{Role, tokens::Keys},
    metrics::Metrics,
    settings::Settings,
    startup::Application,
};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::{sync::oneshot, task::JoinHandle};
use uuid::Uuid;

/// The database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backends this run covers: SQLite always, PostgreSQL when configured.
///
/// When PostgreSQL is required (see [`postgres_required`]) but not configured, this
/// panics: a CI run without PostgreSQL must fail, not pass on SQLite alone.
pub fn backends() -> Vec<Backend> {
    let mut list = vec![Backend::Sqlite];
    if postgres_admin_url().is_some() {
        list.push(Backend::Postgres);
    }
    list
}

/// Whether this run must cover PostgreSQL: `TEST_REQUIRE_POSTGRES=1` (which
/// `.ci/run` exports) or `CI=true` (which CI services set). Not `ORGDESIGN_`-prefixed:
/// the binaries the tests start read every such variable as a setting and refuse
/// unknown ones.
pub fn postgres_required() -> bool {
    let set = |name: &str, value: &str| {
        std::env::var(name).is_ok_and(|v| v.trim().eq_ignore_ascii_case(value))
    };
    set("TEST_REQUIRE_POSTGRES", "1") || set("CI", "true")
}

/// The URL of the PostgreSQL server tests create their databases on, if configured.
pub fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("ORGDESIGN_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.trim().is_empty());
    assert!(
        url.is_some() || !postgres_required(),
        "PostgreSQL is required (TEST_REQUIRE_POSTGRES=1 or CI=true) but \
         ORGDESIGN_TEST_POSTGRES_URL is not set; set it, e.g. to \
         postgres://postgres@127.0.0.1:5432/postgres"
    );
    url
}

/// Whether a test that only makes sense on PostgreSQL can run. Without PostgreSQL it
/// says why it is skipped, and panics instead when PostgreSQL is required.
pub fn postgres_available(needed_for: &str) -> bool {
    if postgres_admin_url().is_some() {
        return true;
    }
    eprintln!("skipped: PostgreSQL not configured (ORGDESIGN_TEST_POSTGRES_URL); {needed_for}");
    false
}

/// Connects to the PostgreSQL server as its administrator, or fails saying it cannot.
pub async fn postgres_admin() -> sea_orm::DatabaseConnection {
    let url = postgres_admin_url().expect("ORGDESIGN_TEST_POSTGRES_URL is set");
    Database::connect(&url).await.unwrap_or_else(|err| {
        panic!(
            "PostgreSQL at ORGDESIGN_TEST_POSTGRES_URL={url} is unreachable: {err}; \
             every storage test runs on it when it is set"
        )
    })
}

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    pub backend: Backend,
    pub address: String,
    /// Sends the admin token on every request.
    pub client: reqwest::Client,
    /// Sends no token.
    pub anonymous: reqwest::Client,
    /// Mints tokens the application accepts.
    pub keys: Keys,
    pub admin_token: String,
    pub database_url: String,
    pub metrics: Arc<Metrics>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    temp_dir: Option<PathBuf>,
}

/// A fresh, empty database URL for `backend`.
pub async fn fresh_database(backend: Backend) -> (String, Option<PathBuf>) {
    match backend {
        Backend::Sqlite => {
            let dir =
                std::env::temp_dir().join(format!("orgdesign-test-{}", Uuid::now_v7().simple()));
            std::fs::create_dir_all(&dir).unwrap();
            let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
            (url, Some(dir))
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url().expect("ORGDESIGN_TEST_POSTGRES_URL is set");
            let name = format!("orgdesign_test_{}", Uuid::now_v7().simple());
            let admin = postgres_admin().await;
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .unwrap();
            admin.close().await.unwrap();
            let (base, query) = match admin_url.split_once('?') {
                Some((base, query)) => (base.to_owned(), format!("?{query}")),
                None => (admin_url.clone(), String::new()),
            };
            let (server, _) = base.rsplit_once('/').expect("a database URL with a path");
            (format!("{server}/{name}{query}"), None)
        }
    }
}

/// Starts the application on `backend` with default settings.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts the application on `backend` after `adjust` changes its settings.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        orgdesign_api::telemetry::init(orgdesign_api::settings::LogFormat::Text);
    }
    let (database_url, temp_dir) = fresh_database(backend).await;
    let mut settings = Settings::for_database(&database_url);
    settings.workers = Some(1);
    settings.database.max_connections = 5;
    settings.jwt_secret = Some(SecretString::from(TEST_SECRET));
    // Tests send requests as fast as they can; the rate limit has its own test.
    settings.limits.requests_per_minute = 1_000_000;
    settings.limits.request_burst = 100_000;
    adjust(&mut settings);
    let keys = Keys::from_settings(&settings).expect("test keys");
    let admin_token = mint(&keys, Role::Admin, &[]);
    let app = Application::build(settings)
        .await
        .expect("the application starts");
    let address = format!("http://{}", app.address());
    let metrics = app.metrics();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        rx.await.ok();
    }));
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {admin_token}")).unwrap(),
    );
    TestApp {
        backend,
        address,
        client: reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .unwrap(),
        anonymous: reqwest::Client::new(),
        keys,
        admin_token,
        database_url,
        metrics,
        shutdown: Some(tx),
        server: Some(server),
        temp_dir,
    }
}

/// The HS256 secret test applications verify tokens with.
pub const TEST_SECRET: &str = "orgdesign-test-secret-of-at-least-32-bytes";

/// Mints a token for `role` over `organizations`, valid for an hour.
pub fn mint(keys: &Keys, role: Role, organizations: &[&str]) -> String {
    let orgs = organizations
        .iter()
        .map(|id| Uuid::parse_str(id).unwrap())
        .collect();
    keys.mint(
        &format!("test-{role}"),
        role,
        orgs,
        Duration::from_secs(3600),
        Uuid::now_v7().to_string(),
    )
    .unwrap()
}

/// Runs `test` once per backend, each time on a fresh application.
pub async fn on_each_backend<F, Fut>(test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in backends() {
        eprintln!("-- on {backend:?}");
        test(spawn_app(backend).await).await;
    }
}

impl TestApp {
    /// Posts a GraphQL operation and returns the JSON body (any status).
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("the request is sent")
            .json()
            .await
            .expect("a JSON body")
    }

    /// Posts a GraphQL operation with `token` (or none); returns the status and body.
    pub async fn graphql_as(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (u16, Value) {
        let mut request = self
            .anonymous
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the request is sent");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON body"))
    }

    /// A token for `role` over `organizations`.
    pub fn token(&self, role: Role, organizations: &[&str]) -> String {
        mint(&self.keys, role, organizations)
    }

    /// Posts a GraphQL operation that must succeed; returns `data`.
    pub async fn ok(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(
            body.get("errors").is_none(),
            "[{:?}] unexpected errors: {body:#}",
            self.backend
        );
        body["data"].clone()
    }

    /// Posts a GraphQL operation that must fail; returns its first error.
    pub async fn error(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        let errors = body["errors"].as_array().cloned().unwrap_or_default();
        assert!(
            !errors.is_empty(),
            "[{:?}] expected an error, got {body:#}",
            self.backend
        );
        errors[0].clone()
    }

    /// Creates an organization and returns its id.
    pub async fn create_org(&self, slug: &str) -> String {
        let data = self
            .ok(
                "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }",
                json!({ "i": { "slug": slug, "name": format!("Org {slug}") } }),
            )
            .await;
        data["createOrganization"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a unit and returns its id.
    pub async fn create_unit(&self, org: &str, name: &str, function: &str) -> String {
        let data = self
            .ok(
                "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }",
                json!({ "i": { "organizationId": org, "name": name, "function": function } }),
            )
            .await;
        data["createUnit"]["id"].as_str().unwrap().to_owned()
    }

    /// Adds a line and returns the whole GraphQL body (so tests can check errors).
    pub async fn add_line(
        &self,
        unit: &str,
        superior: &str,
        kind: &str,
        from: &str,
        to: Option<&str>,
    ) -> Value {
        self.graphql(
            "mutation($i: AddReportingLineInput!) { addReportingLine(input: $i) { id version effectiveFrom effectiveTo } }",
            json!({ "i": { "unitId": unit, "superiorUnitId": superior, "kind": kind, "effectiveFrom": from, "effectiveTo": to } }),
        )
        .await
    }

    /// SQL statements the application has sent so far.
    pub fn statements(&self) -> u64 {
        self.metrics.statements()
    }

    /// Triggers a graceful shutdown without waiting.
    pub fn signal_shutdown(&mut self) -> Option<JoinHandle<anyhow::Result<()>>> {
        if let Some(tx) = self.shutdown.take() {
            tx.send(()).ok();
        }
        self.server.take()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            tx.send(()).ok();
        }
        if let Some(dir) = self.temp_dir.take() {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

/// The `extensions.code` of an error.
pub fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or("<none>")
}

/// The `extensions.field` of an error.
pub fn field(error: &Value) -> &str {
    error["extensions"]["field"].as_str().unwrap_or("<none>")
}

/// Starts `orgdesign serve` as its own process on `database_url` (port 0) and returns it
/// with its `http://` address, read from its JSON log.
pub fn start_server_process(database_url: &str) -> (std::process::Child, String) {
    use std::{
        io::{BufRead, BufReader},
        process::{Command, Stdio},
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_orgdesign"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", database_url)
        .env("ORGDESIGN_JWT_SECRET", TEST_SECRET)
        .env("ORGDESIGN_LOG_FORMAT", "json")
        .env("ORGDESIGN_LIMITS__REQUESTS_PER_MINUTE", "1000000")
        .env("ORGDESIGN_LIMITS__REQUEST_BURST", "100000")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stderr = child.stderr.take().expect("piped stderr");
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the server logs its address")
            .expect("a log line");
        if let Ok(entry) = serde_json::from_str::<Value>(&line)
            && let Some(address) = entry["address"].as_str()
        {
            break address.to_owned();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, format!("http://{address}"))
}
