//! `spawn_app` and the `TestApp` handle; `ServerProcess` for the binary; waiting for a
//! condition with a deadline instead of sleeping.

pub mod receiver;

use std::{
    future::Future,
    path::PathBuf,
    process::{Child, ExitStatus, Output},
    sync::{Arc, mpsc},
    time::Duration,
};

use orgdesign_api::{metrics::Metrics, startup::Application};
use orgdesign_domain::{
    auth::{Role, tokens::Keys},
    settings::Settings,
};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::oneshot,
    task::JoinHandle,
    time::Instant,
};
use uuid::Uuid;

/// The day the units [`TestApp::create_unit`] creates exist from: before every date the
/// tests give reporting lines, so a line is never refused for a unit not yet created.
pub const UNITS_EXIST_FROM: &str = "2000-01-01";

/// What a finished command printed, once it is known to have succeeded (its stderr is
/// the failure's message otherwise): for the tests that run the `orgdesign` binary or a
/// client library.
pub fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("the output is UTF-8")
}

/// Posts a GraphQL `body` (`{"query": …, "variables": …}`) with `client` to the server
/// at `address`, as `token` (or anonymously), and returns the reply: for tests that talk
/// to a server other than a [`TestApp`]'s (the binary, one built by hand).
pub async fn post_graphql(
    client: &reqwest::Client,
    address: &str,
    token: Option<&str>,
    body: &Value,
) -> Value {
    let mut request = client.post(format!("{address}/graphql")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send_json().await
}

/// `GET path` on `app` with `token` (none when `None`): the status, the content type
/// (empty when none is sent) and the body as text.
pub async fn get_text(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
) -> (reqwest::StatusCode, String, String) {
    let mut request = app.anonymous.get(format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// The `code` of each item of `list` (insights, problems), in order.
pub fn codes(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect()
}

/// Sending a request and reading its JSON reply: the step most tests take after
/// building a request.
pub trait SendJson {
    /// Sends the request and parses the reply's body as JSON; the test fails if either
    /// fails.
    fn send_json(self) -> impl Future<Output = Value> + Send;
}

impl SendJson for reqwest::RequestBuilder {
    async fn send_json(self) -> Value {
        self.send().await.unwrap().json().await.unwrap()
    }
}

/// The GraphQL mutation that creates a unit (`$i`), answering its id.
pub const CREATE_UNIT: &str = "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id } }";

/// The GraphQL request body that creates a unit `name` of `function` in `org`, existing
/// from [`UNITS_EXIST_FROM`], for tests that send it with headers of their own.
pub fn create_unit_request(org: &str, name: &str, function: &str) -> Value {
    json!({
        "query": CREATE_UNIT,
        "variables": { "i": {
            "organizationId": org, "name": name, "function": function,
            "effectiveFrom": UNITS_EXIST_FROM,
        } },
    })
}

/// The GraphQL mutation that pushes KPI points: `$o` the organization, `$p` the points.
pub const PUSH_KPIS: &str = "mutation($o: ID!, $p: [KpiPointInput!]!) { recordKpiMeasurements(organizationId: $o, points: $p) { inserted } }";

/// `count` daily points of `leads` from 2000-01-01 on, from `source`: distinct from
/// every other source's, so each push inserts all of them.
pub fn daily_leads(source: &str, count: usize) -> Value {
    let first = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    Value::Array(
        (0..count)
            .map(|day| {
                let date = first + chrono::Duration::days(i64::try_from(day).unwrap());
                json!({ "kpi": "leads", "granularity": "DAY", "periodStart": date.to_string(), "value": "1", "source": source })
            })
            .collect(),
    )
}

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

/// Fails, saying why, unless PostgreSQL is configured. A test that only makes sense on
/// PostgreSQL calls it and carries `#[cfg_attr(not(test_postgres), ignore = ...)]`, so
/// it runs only where `ORGDESIGN_TEST_POSTGRES_URL` is set (see `build.rs`) and is
/// reported as skipped elsewhere; run anyway, it fails rather than pass untried.
pub fn require_postgres(needed_for: &str) {
    assert!(
        postgres_admin_url().is_some(),
        "PostgreSQL is not configured (ORGDESIGN_TEST_POSTGRES_URL): {needed_for}"
    );
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

/// The ids of the units [`TestApp::sales_under_top`] makes.
pub struct Trio {
    pub top: String,
    pub sales: String,
    pub marketing: String,
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
        orgdesign_api::telemetry::init(orgdesign_domain::settings::LogFormat::Text);
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
    // Empty where the server only verifies tokens (a public key without its private
    // key): such tests sign their own.
    let admin_token = keys
        .mint(
            "test-admin",
            Role::Admin,
            Vec::new(),
            Duration::from_secs(3600),
            Uuid::now_v7().to_string(),
        )
        .unwrap_or_default();
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

    /// `GET path` (on this server) without a token.
    pub async fn get_anonymous(&self, path: &str) -> reqwest::Response {
        self.anonymous
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the request is sent")
    }

    /// `GET path` (on this server) with the admin token.
    pub async fn get_admin(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the request is sent")
    }

    /// Three units of `org` — `top_name` (EXECUTIVE), "Sales", "Marketing" — with Sales
    /// under the top on a SOLID line from 2024-01-01, and Marketing not yet placed: the
    /// start of most stories about where marketing sits.
    pub async fn sales_under_top(&self, org: &str, top_name: &str) -> Trio {
        let top = self.create_unit(org, top_name, "EXECUTIVE").await;
        let sales = self.create_unit(org, "Sales", "SALES").await;
        let marketing = self.create_unit(org, "Marketing", "MARKETING").await;
        self.add_line(&sales, &top, "SOLID", "2024-01-01", None)
            .await;
        Trio {
            top,
            sales,
            marketing,
        }
    }

    /// Loads the demo organizations (`orgdesign demo`) into the app's database.
    pub async fn load_demo(&self) {
        let db = Database::connect(&self.database_url).await.unwrap();
        orgdesign_domain::demo::load(&db, &orgdesign_domain::settings::Limits::default())
            .await
            .unwrap();
    }

    /// [`sales_under_top`](Self::sales_under_top), and Marketing placed under Sales on a
    /// SOLID line from 2024-01-01: the structure the insights warn about and scenarios
    /// move Marketing out of.
    pub async fn marketing_under_sales(&self, org: &str, top_name: &str) -> Trio {
        let trio = self.sales_under_top(org, top_name).await;
        self.add_line(&trio.marketing, &trio.sales, "SOLID", "2024-01-01", None)
            .await;
        trio
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

    /// Runs an operation that must succeed and returns the `id` its one root field
    /// answers (`createScenario(...) { id }`, `organization(...) { id }`).
    pub async fn ok_id(&self, query: &str, variables: Value) -> String {
        let data = self.ok(query, variables).await;
        let answer = data
            .as_object()
            .and_then(|fields| fields.values().next())
            .unwrap_or_else(|| panic!("one root field: {data}"));
        answer["id"]
            .as_str()
            .unwrap_or_else(|| panic!("an id: {data}"))
            .to_owned()
    }

    /// The fields `selection` of organization `org` (`organization(id:)`), read with
    /// the admin token: the object, not the `data` around it.
    pub async fn organization(&self, org: &str, selection: &str) -> Value {
        let query = format!("query($id: ID) {{ organization(id: $id) {{ {selection} }} }}");
        self.ok(&query, json!({ "id": org })).await["organization"].take()
    }

    /// Drafts a scenario `name` of `org`, effective 2030-01-01, and returns its id.
    pub async fn create_scenario(&self, org: &str, name: &str) -> String {
        self.ok_id(
            "mutation($i: CreateScenarioInput!) { createScenario(input: $i) { id } }",
            json!({ "i": { "organizationId": org, "name": name, "effectiveFrom": "2030-01-01" } }),
        )
        .await
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

    /// Creates a unit existing from [`UNITS_EXIST_FROM`] and returns its id.
    pub async fn create_unit(&self, org: &str, name: &str, function: &str) -> String {
        let request = create_unit_request(org, name, function);
        let data = self.ok(CREATE_UNIT, request["variables"].clone()).await;
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

/// Pause between two checks of a condition being waited for.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Checks `condition` until it gives a value, for at most `within`, pausing briefly
/// between checks; panics naming `what` was awaited when the deadline passes.
pub async fn wait_for<T, F, Fut>(what: &str, within: Duration, mut condition: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = condition().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "waited {within:?} for {what}, in vain"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Waits until `host` refuses new connections: the server has stopped accepting
/// (its listener is closed), the first step of a shutdown.
pub async fn wait_until_refused(host: &str, within: Duration) {
    wait_for(
        &format!("{host} to refuse new connections"),
        within,
        || async move {
            match tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(host)).await {
                Ok(Err(_)) => Some(()),
                // Accepted (dropped at once) or not answered yet: still listening.
                Ok(Ok(_)) | Err(_) => None,
            }
        },
    )
    .await;
}

/// How long a server process may take to start (migrations included) or to stop.
const PROCESS_DEADLINE: Duration = Duration::from_secs(60);

/// `orgdesign serve` running as a process of its own, on port 0. Killed when dropped,
/// so a failing test leaves no server behind.
pub struct ServerProcess {
    child: Child,
    /// `http://host:port`, as the server logged it.
    pub address: String,
    /// Its stderr (the JSON log), line by line, read on a thread of its own so the
    /// server never blocks on a full pipe.
    log: mpsc::Receiver<String>,
    /// The log lines read so far, for failure messages.
    seen: Vec<String>,
    database_url: String,
}

impl ServerProcess {
    /// Creates an organization `slug` through the server with `token`; returns its id.
    pub async fn create_org(&self, token: &str, slug: &str) -> String {
        let body = post_graphql(
            &reqwest::Client::new(),
            &self.address,
            Some(token),
            &json!({
                "query": "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }",
                "variables": { "i": { "slug": slug, "name": slug } },
            }),
        )
        .await;
        body["data"]["createOrganization"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned()
    }

    /// Starts the binary on `database_url` with the test secret and no rate limit, and
    /// waits (at most [`PROCESS_DEADLINE`]) for the address it logs.
    pub fn start(database_url: &str) -> Self {
        Self::spawn(database_url, Some(TEST_SECRET), &[])
    }

    /// Starts the binary as [`ServerProcess::start`] does, with more settings in its
    /// environment (`ORGDESIGN_…` variables).
    pub fn start_with_env(database_url: &str, env: &[(&str, &str)]) -> Self {
        Self::spawn(database_url, Some(TEST_SECRET), env)
    }

    /// Starts the binary in development mode without a key, as a developer's first
    /// `orgdesign serve` does: it makes up a key and prints an admin token.
    pub fn start_development(database_url: &str) -> Self {
        Self::spawn(database_url, None, &[])
    }

    fn spawn(database_url: &str, secret: Option<&str>, env: &[(&str, &str)]) -> Self {
        use std::process::{Command, Stdio};
        let mut command = Command::new(env!("CARGO_BIN_EXE_orgdesign"));
        if let Some(secret) = secret {
            command.env("ORGDESIGN_JWT_SECRET", secret);
        }
        command.envs(env.iter().copied());
        let mut child = command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", database_url)
            .env("ORGDESIGN_LOG_FORMAT", "json")
            .env("ORGDESIGN_LIMITS__REQUESTS_PER_MINUTE", "1000000")
            .env("ORGDESIGN_LIMITS__REQUEST_BURST", "100000")
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                // The test may be done listening; keep draining regardless.
                tx.send(line).ok();
            }
        });
        let mut process = Self {
            child,
            address: String::new(),
            log,
            seen: Vec::new(),
            database_url: database_url.to_owned(),
        };
        let deadline = std::time::Instant::now() + PROCESS_DEADLINE;
        let address = loop {
            let wait = deadline.saturating_duration_since(std::time::Instant::now());
            let line = match process.log.recv_timeout(wait) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                    "the server logged no address within {PROCESS_DEADLINE:?}; its log:\n{}",
                    process.seen.join("\n")
                ),
                Err(mpsc::RecvTimeoutError::Disconnected) => panic!(
                    "the server ended its log before logging an address ({:?}); its log:\n{}",
                    process.child.try_wait(),
                    process.seen.join("\n")
                ),
            };
            process.seen.push(line.clone());
            if let Ok(entry) = serde_json::from_str::<Value>(&line)
                && let Some(address) = entry["address"].as_str()
            {
                break address.to_owned();
            }
        };
        process.address = format!("http://{address}");
        process
    }

    /// An admin token the process accepts (it verifies with [`TEST_SECRET`]).
    pub fn admin_token(&self) -> String {
        let mut settings = Settings::for_database(&self.database_url);
        settings.jwt_secret = Some(SecretString::from(TEST_SECRET));
        let keys = Keys::from_settings(&settings).expect("test keys");
        mint(&keys, Role::Admin, &[])
    }

    /// The admin token a development server printed before it logged its address.
    pub fn printed_token(&self) -> Option<String> {
        self.seen.iter().find_map(|line| {
            let token = line.trim().strip_prefix("Authorization: Bearer ")?;
            Some(token.to_owned())
        })
    }

    /// What the process has logged so far, one line after another.
    pub fn log_text(&self) -> String {
        self.seen.join("\n")
    }

    /// `host:port`, for raw TCP.
    pub fn host(&self) -> &str {
        self.address.trim_start_matches("http://")
    }

    /// Waits (at most `within`) for a JSON log entry that `matches`, and returns it.
    pub async fn wait_for_log(
        &mut self,
        what: &str,
        within: Duration,
        matches: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + within;
        loop {
            match self.log.try_recv() {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if let Ok(entry) = serde_json::from_str::<Value>(&line)
                        && matches(&entry)
                    {
                        return entry;
                    }
                    continue;
                }
                Err(mpsc::TryRecvError::Disconnected) => panic!(
                    "the server's log ended ({:?}) before {what}; its log:\n{}",
                    self.child.try_wait(),
                    self.seen.join("\n")
                ),
                Err(mpsc::TryRecvError::Empty) => {}
            }
            assert!(
                Instant::now() < deadline,
                "waited {within:?} for the server to log {what}, in vain; its log:\n{}",
                self.seen.join("\n")
            );
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .try_wait()
            .expect("the process can be asked")
            .is_none()
    }

    /// Sends SIGTERM, the production stop signal, once the process handles it.
    ///
    /// The server logs its address, and serves, a moment before it installs its SIGTERM
    /// handler; a SIGTERM in between ends it on the spot, which is not the drain a test
    /// means to try. So this first waits until the kernel lists a SIGTERM handler for
    /// the process (`SigCgt` in `/proc/<pid>/status`). Without `/proc` (not Linux) it
    /// cannot tell, and sends at once.
    pub async fn terminate(&self) {
        let pid = self.child.id();
        if std::path::Path::new("/proc/self/status").exists() {
            wait_for(
                &format!("the server (pid {pid}) to handle SIGTERM"),
                PROCESS_DEADLINE,
                || std::future::ready(catches_sigterm(pid).then_some(())),
            )
            .await;
        }
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM to {} failed", self.child.id());
    }

    /// SIGKILLs the process and reaps it.
    pub fn kill(&mut self) {
        self.child.kill().ok();
        self.child.wait().expect("the killed process is reaped");
    }

    /// Waits (at most [`PROCESS_DEADLINE`]) for the process to exit, and returns how.
    pub async fn wait_for_exit(&mut self) -> ExitStatus {
        let pid = self.child.id();
        let child = &mut self.child;
        wait_for(
            &format!("the server (pid {pid}) to exit"),
            PROCESS_DEADLINE,
            || std::future::ready(child.try_wait().expect("the process can be asked")),
        )
        .await
    }
}

/// Whether process `pid` has a handler for SIGTERM (signal 15): bit 14 of the `SigCgt`
/// mask in `/proc/<pid>/status`.
fn catches_sigterm(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("SigCgt:"))
                .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        })
        .is_some_and(|mask| mask & (1 << (15 - 1)) != 0)
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}

/// How long a hand-written HTTP exchange may take at each step.
const EXCHANGE_DEADLINE: Duration = Duration::from_secs(30);

/// A `POST /graphql` written by hand and held between its head and its body, so a
/// test can act while the request is in flight.
pub struct HeldRequest {
    stream: TcpStream,
    body: String,
    /// Bytes read after the interim response (none expected before the body is sent).
    early: Vec<u8>,
}

impl HeldRequest {
    /// Sends the head of a `POST /graphql` carrying `body` (with `token`, if any) with
    /// `Expect: 100-continue`, and waits for the server's `100 Continue`. The server
    /// sends it when it hands the request to the application, whose handler then waits
    /// for the body: from here on the request is in flight.
    pub async fn start(host: &str, token: Option<&str>, body: &str) -> Self {
        let mut stream = tokio::time::timeout(EXCHANGE_DEADLINE, TcpStream::connect(host))
            .await
            .expect("connecting in time")
            .expect("the server accepts the connection");
        let authorization = token
            .map(|token| format!("Authorization: Bearer {token}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: {host}\r\n{authorization}Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut received = Vec::new();
        let end_of_interim = tokio::time::timeout(EXCHANGE_DEADLINE, async {
            loop {
                if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                    return at + 4;
                }
                let mut chunk = [0u8; 256];
                let n = stream
                    .read(&mut chunk)
                    .await
                    .expect("reading the interim answer");
                assert!(
                    n > 0,
                    "the server closed the connection instead of answering 100 Continue: {:?}",
                    String::from_utf8_lossy(&received)
                );
                received.extend_from_slice(&chunk[..n]);
            }
        })
        .await
        .unwrap_or_else(|_| {
            panic!("no interim answer to Expect: 100-continue within {EXCHANGE_DEADLINE:?}")
        });
        let interim = String::from_utf8_lossy(&received[..end_of_interim]).into_owned();
        assert!(
            interim.starts_with("HTTP/1.1 100 Continue"),
            "the server takes the request and asks for its body: {interim}"
        );
        Self {
            stream,
            body: body.to_owned(),
            early: received[end_of_interim..].to_vec(),
        }
    }

    /// Sends the body and hands back the connection, its response unread: the request
    /// goes on in the server, whatever the test does next.
    pub async fn send_body(mut self) -> TcpStream {
        self.stream.write_all(self.body.as_bytes()).await.unwrap();
        self.stream
    }

    /// Sends the body and reads the whole response (the connection closes after it).
    pub async fn finish(mut self) -> String {
        self.stream.write_all(self.body.as_bytes()).await.unwrap();
        let mut response = self.early;
        tokio::time::timeout(EXCHANGE_DEADLINE, self.stream.read_to_end(&mut response))
            .await
            .unwrap_or_else(|_| panic!("no complete response within {EXCHANGE_DEADLINE:?}"))
            .expect("reading the response");
        String::from_utf8(response).expect("a UTF-8 response")
    }
}
