//! Building and running the application.

use std::{future::Future, net::TcpListener, sync::Arc, time::Duration};

use actix_cors::Cors;
use actix_web::{
    App,
    dev::Server,
    http::header::{self, HeaderName},
    middleware::{Compress, DefaultHeaders, from_fn},
    web,
};
use anyhow::Context as _;
use migration::{Migrator, MigratorTrait};
use orgdesign_domain::{
    auth::{
        Role,
        tokens::{self, Keys},
    },
    db,
    settings::{Environment, Settings},
    store::Store,
    webhooks::{self, delivery::Transport},
};
use orgdesign_graphql::schema::build_schema;
use sea_orm::DatabaseConnection;
use tracing_actix_web::TracingLogger;
use uuid::Uuid;

use crate::{
    http::{self, AppState, body::BodyLimiter, graphiql, guard::RateLimit, ws::Sockets},
    metrics::Metrics,
    rest,
};

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    address: String,
    server: Server,
    db: DatabaseConnection,
    /// This process as the owner of `Idempotency-Key` claims; its liveness lock is
    /// released once the requests drained.
    leases: Arc<db::lease::Leases>,
    metrics: Arc<Metrics>,
    /// The webhook delivery worker, started with the server (unless `[webhooks]
    /// worker` is off).
    worker: Option<webhooks::worker::Worker>,
    shutdown_timeout: Duration,
}

/// A maintenance connection (see [`db::connect_for_maintenance`]) to the database with
/// every migration applied: how start-up and `orgdesign demo` begin.
pub(crate) async fn migrated_maintenance_connection(
    settings: &Settings,
) -> anyhow::Result<DatabaseConnection> {
    let db = db::connect_for_maintenance(settings)
        .await
        .context("connecting to the database")?;
    Migrator::up(&db, None)
        .await
        .context("applying database migrations")?;
    Ok(db)
}

impl Application {
    /// Connects to the database, applies pending migrations, builds the schema and
    /// binds the listener from the settings (port 0 picks a free port). In GraphiQL's
    /// offline mode it first reads GraphiQL's files from their folder, and fails when
    /// one is missing or is not what the manifest pins.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        settings
            .bodies
            .check(settings.limits.max_body_bytes)
            .map_err(anyhow::Error::msg)?;
        settings.websocket.check().map_err(anyhow::Error::msg)?;
        anyhow::ensure!(
            settings.readiness_timeout_ms > 0,
            "readiness_timeout_ms must be above 0"
        );
        settings.webhooks.check().map_err(anyhow::Error::msg)?;
        let webhook_sender: Arc<dyn Transport> = Arc::new(
            crate::webhooks::Sender::new(&settings.webhooks)
                .context("building the webhook client")?,
        );
        let graphiql = graphiql::Site::load(&settings.graphiql)?;
        match &settings.graphiql.assets_dir {
            Some(folder) => tracing::info!(
                folder = %folder.display(),
                "GraphiQL's files are served from the folder, checked against the manifest"
            ),
            None => tracing::info!(
                "GraphiQL's page loads its files from {} (the browser needs internet \
                 access; [graphiql] assets_dir serves them from this server instead)",
                graphiql::CDN
            ),
        }
        let metrics = Arc::new(Metrics::new().context("registering metrics")?);
        let maintenance = migrated_maintenance_connection(&settings).await?;
        maintenance.close().await.ok();
        let mut db = db::connect(&settings)
            .await
            .context("connecting to the database")?;
        // The webhook worker polls on this handle of the same pool, taken before the
        // statement counter is attached: an idle worker's statements are not counted.
        let polling = db.clone();
        db::instrument(&mut db, metrics.clone());

        let keys = Arc::new(Keys::from_settings(&settings)?);
        if let Some(development_key) = &keys.development_key {
            // Only this process's console learns the token: no page or endpoint hands
            // it out, so reaching the port is not enough to act as an admin.
            let token = keys.mint(
                "development-admin",
                Role::Admin,
                Vec::new(),
                Duration::from_secs(12 * 3_600),
                Uuid::now_v7().to_string(),
            )?;
            eprintln!("{}", tokens::development_notice(development_key, &token));
        }

        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        let local = listener.local_addr().context("reading the bound address")?;
        let production = settings.env == Environment::Production;
        if !production && !local.ip().is_loopback() {
            tracing::warn!(
                address = %local,
                "development mode on an address other machines may reach: introspection is \
                 open to everyone and errors suggest field names; a shared server runs with \
                 ORGDESIGN_ENV=production and a key"
            );
        }
        let store = Store::serving(db.clone(), &settings);
        store.events.listen();
        // Other replicas tell from this lock whether a claim of this process is alive.
        store.leases.keep_alive(&store.db).await;
        let leases = store.leases.clone();
        let worker = settings.webhooks.worker.then(|| webhooks::worker::Worker {
            store: store.clone(),
            polling,
            sender: webhook_sender.clone(),
            metrics: metrics.clone(),
            settings: settings.webhooks.clone(),
        });
        let state = web::Data::new(AppState {
            schema: build_schema(
                store.clone(),
                settings.limits.clone(),
                keys.clone(),
                webhook_sender,
                production,
            ),
            pulse: db::Pulse::new(store.db.clone()),
            readiness_timeout: Duration::from_millis(settings.readiness_timeout_ms),
            store,
            metrics: metrics.clone(),
            limits: settings.limits.clone(),
            keys,
            introspection: settings.introspection_policy(),
            rate_limit: RateLimit::new(&settings.limits),
            bodies: BodyLimiter::new(&settings.bodies, &settings.limits),
            sockets: Sockets::new(&settings.websocket),
            persisted_queries: Default::default(),
            graphiql,
        });
        let origins = settings.cors_allowed_origins.clone();
        let extra_headers = settings
            .cors_allowed_headers
            .iter()
            .map(|name| {
                HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
                    anyhow::anyhow!("cors_allowed_headers: {name:?} is not a header name")
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let metrics_for_front = metrics.clone();
        let app = move || {
            App::new()
                .app_data(state.clone())
                .wrap(cors(&origins, &extra_headers))
                .wrap(Compress::default())
                .wrap(
                    DefaultHeaders::new()
                        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                        .add((header::X_FRAME_OPTIONS, "DENY")),
                )
                .wrap(from_fn(http::observe))
                .wrap(from_fn(http::head_as_get))
                .wrap(TracingLogger::<http::trace::RootSpan>::new())
                .configure(http::routes)
                .configure(rest::routes)
        };
        let server = http::front::serve(
            listener,
            &http::front::Serve {
                workers: settings.workers,
                shutdown_timeout_secs: settings.shutdown_timeout_secs,
            },
            metrics_for_front,
            app,
        )
        .context("listening")?;
        tracing::info!(address = %local, "orgdesign listening; GraphiQL at http://{local}/graphiql");
        Ok(Self {
            port: local.port(),
            address: local.to_string(),
            server,
            db,
            leases,
            metrics,
            worker,
            shutdown_timeout: Duration::from_secs(settings.shutdown_timeout_secs),
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The bound `host:port`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The application's database connection.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The application's metrics.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Serves until `shutdown` resolves, then stops accepting connections and lets
    /// in-flight requests finish (up to the configured shutdown timeout, the grace
    /// period). Releasing the claims and closing the pool come after, within what is
    /// left of the grace period: a database that does not answer cannot hold the stop
    /// up. A worker thread stuck computing can (actix cannot stop a thread that never
    /// yields); the `orgdesign serve` process guards against that with
    /// [`Application::run_until_stopped_or_exit`].
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let server = tokio::spawn(self.server);
        let worker = self.worker.map(webhooks::worker::Worker::start);
        shutdown.await;
        let grace_ends = tokio::time::Instant::now() + self.shutdown_timeout;
        tracing::info!("shutting down: draining in-flight requests");
        let stopping_worker = async {
            if let Some(worker) = worker {
                worker.stop(self.shutdown_timeout).await;
            }
        };
        tokio::join!(handle.stop(true), stopping_worker);
        server
            .await
            .context("the server task failed")?
            .context("the server failed")?;
        // Both talk to the database: the claims' liveness session is ended, and the
        // pool waits for its connections to come back. Past the grace period they are
        // given up; the database ends the sessions when their sockets close with the
        // process.
        if tokio::time::timeout_at(grace_ends, self.leases.close())
            .await
            .is_err()
        {
            tracing::warn!("the claims were not released within the grace period; abandoned");
        }
        if tokio::time::timeout_at(grace_ends, self.db.close())
            .await
            .is_err()
        {
            tracing::warn!(
                "the database connections did not close within the grace period; abandoned"
            );
        }
        tracing::info!("stopped");
        Ok(())
    }

    /// [`Application::run_until_stopped`] for the `orgdesign serve` process: once
    /// `shutdown` resolves, the process has the grace period (`shutdown_timeout_secs`)
    /// plus [`STOP_MARGIN`] to stop; a process still running then (a request computing
    /// on a worker thread that never yields, a runtime that cannot shut down) logs it
    /// and exits with [`EXIT_STOP_OVERRAN`]. Tests, which run several servers in one
    /// process, call `run_until_stopped` instead.
    pub async fn run_until_stopped_or_exit(
        self,
        shutdown: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let within = self.shutdown_timeout + STOP_MARGIN;
        self.run_until_stopped(async move {
            shutdown.await;
            exit_after(within);
        })
        .await
    }
}

/// How long past its grace period a stopping `orgdesign serve` process may take before
/// it is ended: room for what follows the drain (releasing claims, closing the pool,
/// which keep to the grace period themselves) when the drain took all of it.
pub const STOP_MARGIN: Duration = Duration::from_secs(1);

/// The exit status of a process ended because its stop outlasted the grace period
/// plus [`STOP_MARGIN`] (124, as `timeout(1)` reports a command it ended).
pub const EXIT_STOP_OVERRAN: i32 = 124;

/// Ends the process with [`EXIT_STOP_OVERRAN`] unless it ended by itself within
/// `within`.
///
/// The deadline is kept on a thread of its own rather than a task: HTTP workers run on
/// threads of their own, and a request computing without ever yielding keeps its
/// worker, and with it the drain, from ever finishing; a task could be held up the
/// same way. The thread sleeps because the deadline is all it waits for; a process
/// that stops in time ends it with everything else.
pub fn exit_after(within: Duration) {
    let spawned = std::thread::Builder::new()
        .name("orgdesign-stop-deadline".to_owned())
        .spawn(move || {
            std::thread::sleep(within);
            tracing::error!(
                within_ms = u64::try_from(within.as_millis()).unwrap_or(u64::MAX),
                exit_status = EXIT_STOP_OVERRAN,
                "the server did not stop within its grace period; exiting with requests still running"
            );
            std::process::exit(EXIT_STOP_OVERRAN);
        });
    if let Err(err) = spawned {
        // Without the thread the stop is as graceful as the requests in flight let it be.
        tracing::warn!(error = %err, "could not start the stop deadline");
    }
}

/// CORS: browsers may call the API only from the configured origins (none by default),
/// with the usual headers and the configured extra ones.
fn cors(origins: &[String], extra_headers: &[HeaderName]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "HEAD"])
        .allowed_headers(
            [
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-request-id"),
                HeaderName::from_static("traceparent"),
                HeaderName::from_static("apollographql-client-name"),
                HeaderName::from_static("apollographql-client-version"),
            ]
            .into_iter()
            .chain(extra_headers.iter().cloned()),
        )
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("x-next-page"),
            HeaderName::from_static("idempotent-replayed"),
            HeaderName::from_static("traceparent"),
        ])
        .max_age(3_600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// The production shutdown signal: a future that resolves on the first SIGTERM or
/// Ctrl-C (SIGINT) after this call. The handlers are installed here, not when the
/// future is first polled, so a caller that takes the signal before building the
/// server drains requests even when the signal comes right after "listening" (left to
/// the default action, SIGTERM would kill the process mid-request).
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminate = signal(SignalKind::terminate()).ok();
        let interrupt = signal(SignalKind::interrupt()).ok();
        async move {
            let wait = |registered: Option<tokio::signal::unix::Signal>| async move {
                match registered {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(terminate) => {},
                () = wait(interrupt) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{process::Command, time::Instant};

    use super::*;

    /// Set in the copy of the test binary that plays the stuck process.
    const STUCK: &str = "ORGDESIGN_TEST_STUCK_PROCESS";

    #[test]
    fn a_process_whose_stop_outlasts_the_deadline_is_ended_whatever_its_threads_do()
    -> anyhow::Result<()> {
        let within = Duration::from_millis(300);
        if std::env::var_os(STUCK).is_some() {
            exit_after(within);
            // A request computing without end: this thread never yields, and nothing
            // else would ever end the process.
            loop {
                std::hint::spin_loop();
            }
        }
        let started = Instant::now();
        let status = Command::new(std::env::current_exe()?)
            .args([
                "startup::tests::a_process_whose_stop_outlasts_the_deadline_is_ended_whatever_its_threads_do",
                "--exact",
                "--nocapture",
            ])
            .env(STUCK, "1")
            .status()?;
        let took = started.elapsed();
        assert_eq!(status.code(), Some(EXIT_STOP_OVERRAN), "{status:?}");
        assert!(took >= within, "not before the deadline: {took:?}");
        assert!(
            took < within + Duration::from_secs(5),
            "ended at the deadline, not {took:?} later"
        );
        Ok(())
    }
}
