//! What the benchmarks share: a fresh database, the server started in-process with a
//! bench admin token, and percentiles.

#![allow(dead_code)]

use std::{sync::Arc, time::Duration};

use orgdesign_api::{metrics::Metrics, startup::Application};
use orgdesign_domain::{
    auth::{Role, tokens::Keys},
    settings::Settings,
};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

/// The allocator the `orgdesign` binary runs on, so the in-process server is measured
/// as it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub const SECRET: &str = "orgdesign-bench-secret-of-at-least-32-bytes";
pub const BATCH: usize = 5_000;

/// The backend named on the command line (`sqlite` or `postgres`), SQLite by default.
pub fn backend_arg() -> String {
    std::env::args()
        .skip(1)
        .find(|a| a == "sqlite" || a == "postgres")
        .unwrap_or_else(|| "sqlite".to_owned())
}

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

pub async fn fresh_url(backend: &str) -> (String, Option<std::path::PathBuf>) {
    if backend == "postgres" {
        let admin = std::env::var("ORGDESIGN_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("orgdesign_bench_{}", Uuid::now_v7().simple());
        let db = Database::connect(&admin).await.unwrap();
        db.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        (format!("{base}/{name}"), None)
    } else {
        let dir = std::env::temp_dir().join(format!("orgdesign-bench-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        (
            format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
            Some(dir),
        )
    }
}

pub struct Server {
    pub address: String,
    pub token: String,
    pub client: reqwest::Client,
    /// The server's metrics: `statements()` counts the SQL it sent.
    pub metrics: Arc<Metrics>,
}

impl Server {
    pub async fn start(url: &str) -> Self {
        let mut settings = Settings::for_database(url);
        settings.jwt_secret = Some(SecretString::from(SECRET));
        settings.limits.requests_per_minute = 100_000_000;
        settings.limits.request_burst = 1_000_000;
        settings.limits.max_body_bytes = 16 * 1024 * 1024;
        settings.database.max_connections = env_usize("ORGDESIGN_BENCH_POOL", 20) as u32;
        let keys = Keys::from_settings(&settings).unwrap();
        let token = keys
            .mint(
                "bench",
                Role::Admin,
                Vec::new(),
                Duration::from_secs(86_400),
                Uuid::now_v7().to_string(),
            )
            .unwrap();
        let app = Application::build(settings).await.unwrap();
        let address = format!("http://{}", app.address());
        let metrics = app.metrics();
        tokio::spawn(app.run_until_stopped(std::future::pending::<()>()));
        Self {
            address,
            token,
            client: reqwest::Client::new(),
            metrics,
        }
    }

    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let body = self
            .post_graphql(json!({ "query": query, "variables": variables }).to_string())
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        body["data"].clone()
    }

    /// Posts a GraphQL request already written as JSON text (a bench serializes large
    /// pushes before it times them) as the bench admin; returns the whole reply.
    pub async fn post_graphql(&self, body: impl Into<reqwest::Body>) -> Value {
        self.client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Drops a PostgreSQL benchmark database (it may hold millions of rows), or removes the
/// SQLite file's directory.
pub async fn clean_up(url: &str, dir: Option<std::path::PathBuf>) {
    if let Some(dir) = dir {
        std::fs::remove_dir_all(dir).ok();
        return;
    }
    let admin = std::env::var("ORGDESIGN_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = url.rsplit('/').next().unwrap_or_default().to_owned();
    if let Ok(admin) = Database::connect(&admin).await {
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await
            .ok();
    }
}

/// Creates an organization through the API; returns its id.
pub async fn create_org(server: &Server, slug: &str) -> String {
    server
        .gql(
            "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }",
            json!({ "i": { "slug": slug, "name": slug } }),
        )
        .await["createOrganization"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}
