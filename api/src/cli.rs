//! The `orgdesign` command line.

use std::path::PathBuf;

use anyhow::{Context as _, anyhow, bail};
use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};
use orgdesign_domain::{
    Slug,
    auth::{
        Role,
        tokens::{DevelopmentKey, Keys, parse_ttl},
    },
    db, demo,
    organizations::service as organizations,
    settings::{Environment, Settings},
};
use secrecy::SecretString;
use uuid::Uuid;

use crate::{
    startup::{Application, shutdown_signal},
    telemetry,
};

/// orgdesign: marketing-organization design data over GraphQL.
#[derive(Debug, Parser)]
#[command(
    name = "orgdesign",
    version,
    about = "orgdesign: marketing-organization design data over GraphQL"
)]
pub struct Cli {
    /// A TOML settings file (default: `ORGDESIGN_CONFIG`, or `orgdesign.toml` if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Database URL: `sqlite://FILE?mode=rwc` (default `sqlite://orgdesign.db?mode=rwc`)
    /// or `postgres://USER@HOST/DB`.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: applies migrations, then serves GraphQL, GraphiQL and the probes.
    Serve {
        /// Address to listen on, `HOST:PORT`; port 0 picks a free port.
        #[arg(long, env = "ORGDESIGN_BIND")]
        bind: Option<String>,
    },
    /// Apply, revert or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the GraphQL SDL.
    Schema,
    /// Print the OpenAPI document of the REST endpoints.
    Openapi,
    /// Import KPI points from a CSV file (the columns of the REST push), in batches,
    /// with a progress bar. A bad row stops the import with its line number; nothing of
    /// its batch is written, earlier batches stay (pushing them again is harmless).
    ImportKpis {
        /// The CSV file.
        file: PathBuf,
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// Points per transaction.
        #[arg(long, default_value_t = 5_000)]
        batch: usize,
    },
    /// Draft a scenario from a structure file (the columns of
    /// `GET /api/v1/organizations/{slug}/structure.csv`): the changes that turn the live
    /// structure into the file's, with a progress bar while the file is read. A bad
    /// line stops the import with its line number and nothing is stored. Prints the
    /// scenario's id and what its diff says.
    ImportStructure {
        /// The CSV file.
        file: PathBuf,
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// The scenario's name.
        #[arg(long)]
        scenario: String,
        /// The day its changes would take effect, and the date of the live structure
        /// the file is compared with (YYYY-MM-DD; default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        effective_from: Option<String>,
        /// The scenario's description.
        #[arg(long)]
        description: Option<String>,
    },
    /// Print an organization's structure on a date as CSV (the file `import-structure`
    /// takes back).
    ExportStructure {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// The date (YYYY-MM-DD; default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
    },
    /// Load the demo organizations (skips those already present).
    Demo,
    /// Mint a bearer token with the configured key, for admins and scripts.
    Token {
        /// admin, editor or viewer (integration tokens come from `issueIntegrationToken`,
        /// which records them so they can be revoked).
        #[arg(long)]
        role: CliRole,
        /// Slug of an organization the token may touch; repeat for several. Not for admins.
        #[arg(long = "org", value_name = "SLUG")]
        orgs: Vec<String>,
        /// Lifetime, e.g. `30m`, `1h`, `7d`.
        #[arg(long, default_value = "1h")]
        ttl: String,
        /// The token's subject (`sub`), as the audit log will name it.
        #[arg(long, default_value = "cli")]
        subject: String,
    },
}

/// Roles the CLI mints tokens for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CliRole {
    Admin,
    Editor,
    Viewer,
}

/// Migration actions.
#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations.
    Up,
    /// Revert applied migrations, newest first.
    Down {
        /// How many to revert.
        #[arg(long, default_value_t = 1, conflicts_with = "all")]
        steps: u32,
        /// Revert all of them (drops every table orgdesign made).
        #[arg(long)]
        all: bool,
    },
    /// List migrations and whether each is applied.
    Status,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Schema => {
            print!("{}", orgdesign_graphql::schema::sdl());
            return Ok(());
        }
        Command::Openapi => {
            println!("{}", crate::rest::openapi_json());
            return Ok(());
        }
        _ => {}
    }
    let mut settings = Settings::load(cli.config.as_deref()).context("reading settings")?;
    if let Some(url) = cli.database_url {
        settings.database_url = SecretString::from(url);
    }
    telemetry::init(settings.log_format);
    match cli.command {
        Command::Schema | Command::Openapi => Ok(()),
        Command::ImportKpis { file, org, batch } => {
            import_kpis(&settings, &file, &org, batch).await
        }
        Command::ImportStructure {
            file,
            org,
            scenario,
            effective_from,
            description,
        } => {
            import_structure(
                &settings,
                &file,
                &org,
                &scenario,
                effective_from.as_deref(),
                description.as_deref(),
            )
            .await
        }
        Command::ExportStructure { org, as_of } => {
            export_structure(&settings, &org, as_of.as_deref()).await
        }
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                settings.bind = bind;
            }
            if let Some(day) = settings.clock_today {
                anyhow::ensure!(
                    settings.env != Environment::Production,
                    "clock_today is for rehearsals on a staging server and is refused in \
                     production: dated changes are announced once, and a server ahead of \
                     time would announce them early"
                );
                orgdesign_domain::clock::rehearse(day).map_err(anyhow::Error::msg)?;
                tracing::warn!(today = %day, "the clock is moved for a rehearsal");
            }
            // Listen for SIGTERM before anything else: a signal while the server starts
            // must drain it, not kill it.
            let stop = shutdown_signal();
            let app = Application::build(settings).await?;
            app.run_until_stopped_or_exit(stop).await
        }
        Command::Migrate { action } => migrate(&settings, action).await,
        Command::Demo => {
            let db = crate::startup::migrated_maintenance_connection(&settings).await?;
            demo::load(&db, &settings.limits).await
        }
        Command::Token {
            role,
            orgs,
            ttl,
            subject,
        } => token(&settings, role, &orgs, &ttl, &subject).await,
    }
}

async fn migrate(settings: &Settings, action: MigrateAction) -> anyhow::Result<()> {
    let db = db::connect_for_maintenance(settings)
        .await
        .context("connecting to the database")?;
    match action {
        MigrateAction::Up => {
            Migrator::up(&db, None)
                .await
                .context("applying migrations")?;
            println!("all migrations applied");
        }
        MigrateAction::Down { steps, all } => {
            let steps = if all { None } else { Some(steps) };
            Migrator::down(&db, steps)
                .await
                .context("reverting migrations")?;
            println!(
                "reverted {}",
                steps.map_or("all migrations".to_owned(), |n| format!("{n} migration(s)"))
            );
        }
        MigrateAction::Status => {
            for migration in Migrator::get_migration_with_status(&db).await? {
                println!(
                    "{:<10} {}",
                    format!("{:?}", migration.status()),
                    migration.name()
                );
            }
        }
    }
    Ok(())
}

async fn token(
    settings: &Settings,
    role: CliRole,
    slugs: &[String],
    ttl: &str,
    subject: &str,
) -> anyhow::Result<()> {
    let keys = Keys::from_settings(settings)?;
    if keys.development_key == Some(DevelopmentKey::Process) {
        bail!(
            "no JWT key is configured (ORGDESIGN_JWT_SECRET, or ORGDESIGN_JWT_PUBLIC_KEY with \
             ORGDESIGN_JWT_PRIVATE_KEY) and this database keeps no development key (PostgreSQL \
             or in-memory SQLite: set jwt_dev_key_file); a token minted with a made-up key would \
             be refused by the server"
        );
    }
    let ttl = parse_ttl(ttl)?;
    let role = match role {
        CliRole::Admin => Role::Admin,
        CliRole::Editor => Role::Editor,
        CliRole::Viewer => Role::Viewer,
    };
    if role == Role::Admin && !slugs.is_empty() {
        bail!("admin tokens touch every organization; leave out --org");
    }
    if role != Role::Admin && slugs.is_empty() {
        bail!("name the organizations the token may touch with --org SLUG");
    }
    let mut organizations = Vec::new();
    if !slugs.is_empty() {
        let db = db::connect(settings)
            .await
            .context("connecting to the database")?;
        for slug in slugs {
            let parsed = Slug::parse("--org", slug).map_err(|e| anyhow!("{e}"))?;
            let org = organizations::find_by_slug(&db, &parsed)
                .await
                .map_err(|e| anyhow!("{e}"))?
                .ok_or_else(|| anyhow!("no organization has the slug {slug:?}"))?;
            organizations.push(org.id);
        }
    }
    let token = keys.mint(
        subject,
        role,
        organizations,
        ttl,
        Uuid::now_v7().to_string(),
    )?;
    println!("{token}");
    Ok(())
}

async fn import_kpis(
    settings: &Settings,
    file: &std::path::Path,
    slug: &str,
    batch: usize,
) -> anyhow::Result<()> {
    use indicatif::{ProgressBar, ProgressStyle};
    use orgdesign_domain::{auth::RequestContext, kpis};

    if !(1..=settings.limits.max_points_per_push).contains(&batch) {
        bail!(
            "--batch must be between 1 and {}",
            settings.limits.max_points_per_push
        );
    }
    let db = db::connect_for_maintenance(settings)
        .await
        .context("connecting to the database")?;
    let slug = Slug::parse("--org", slug).map_err(|e| anyhow!("{e}"))?;
    let org = organizations::find_by_slug(&db, &slug)
        .await
        .map_err(|e| anyhow!("{e}"))?
        .ok_or_else(|| anyhow!("no organization has the slug {:?}", slug.as_str()))?;
    let size = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .with_context(|| format!("opening {}", file.display()))?;
    let layout = crate::rest::wire::CsvLayout::from_headers(
        reader.headers().context("reading the header row")?,
    )
    .map_err(|e| anyhow!("{e}"))?;
    let context = RequestContext::system("orgdesign-import");
    let pusher = context.kpi_pusher()?;
    // On PostgreSQL the servers' subscribers hear of each imported batch (NOTIFY);
    // on SQLite there is no server in this process to tell.
    let store = orgdesign_domain::store::Store::new(db.clone());
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {msg} [{elapsed_precise}, {eta} left]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let mut totals = kpis::RecordCounts::default();
    let mut pending = Vec::with_capacity(batch);
    let mut first_line = 2;
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        let more = reader
            .read_record(&mut record)
            .with_context(|| format!("line {}: unreadable CSV", line + 1))?;
        if more {
            line += 1;
            let point = layout.point(&record, line).map_err(|e| {
                anyhow!("line {line}: {e}; nothing of lines {first_line} to {line} was written")
            })?;
            pending.push(point);
        }
        if pending.len() == batch || (!more && !pending.is_empty()) {
            let counts = kpis::record(&store, pusher, org.id, std::mem::take(&mut pending))
                .await
                .map_err(|e| {
                    anyhow!("lines {first_line} to {line}: {e}; nothing of them was written")
                })?;
            totals.inserted += counts.inserted;
            totals.corrected += counts.corrected;
            totals.unchanged += counts.unchanged;
            first_line = line + 1;
            bar.set_position(reader.position().byte());
            let points = totals.inserted + totals.corrected + totals.unchanged;
            bar.set_message(format!("{points} points"));
        }
        if !more {
            break;
        }
    }
    bar.finish_and_clear();
    let points = totals.inserted + totals.corrected + totals.unchanged;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "imported {points} points into {} in {seconds:.1} s ({:.0} points/s): {} inserted, {} corrected, {} unchanged",
        org.slug,
        points as f64 / seconds.max(1e-9),
        totals.inserted,
        totals.corrected,
        totals.unchanged
    );
    Ok(())
}

/// The organization of `slug`, for commands that name one with `--org`.
async fn organization_by_slug(
    db: &sea_orm::DatabaseConnection,
    slug: &str,
) -> anyhow::Result<entity::organization::Model> {
    let slug = Slug::parse("--org", slug).map_err(|e| anyhow!("{e}"))?;
    organizations::find_by_slug(db, &slug)
        .await
        .map_err(|e| anyhow!("{e}"))?
        .ok_or_else(|| anyhow!("no organization has the slug {:?}", slug.as_str()))
}

/// A service error as the command line shows it: a file's line and column in words
/// (`line 12, column function: ...`) rather than as an input path.
fn file_error(err: &orgdesign_domain::error::Error) -> anyhow::Error {
    let located = err.field().and_then(|field| {
        let rest = field.strip_prefix("line[")?;
        let (line, column) = rest.split_once(']')?;
        let column = column.strip_prefix('.').filter(|c| !c.is_empty());
        let message = err.to_string();
        let message = message
            .strip_prefix(&format!("{field}: "))
            .unwrap_or(&message)
            .to_owned();
        Some(match column {
            Some(column) => anyhow!("line {line}, column {column}: {message}"),
            None => anyhow!("line {line}: {message}"),
        })
    });
    located.unwrap_or_else(|| anyhow!("{err}"))
}

async fn import_structure(
    settings: &Settings,
    file: &std::path::Path,
    slug: &str,
    scenario: &str,
    effective_from: Option<&str>,
    description: Option<&str>,
) -> anyhow::Result<()> {
    use indicatif::{ProgressBar, ProgressStyle};
    use orgdesign_domain::{
        Description, Name, StorableDate,
        auth::RequestContext,
        scenarios::{
            service::{self as scenarios, NewScenario},
            structure_csv,
        },
    };

    let db = db::connect_for_maintenance(settings)
        .await
        .context("connecting to the database")?;
    let org = organization_by_slug(&db, slug).await?;
    let new = NewScenario {
        organization_id: org.id,
        name: Name::parse("--scenario", scenario).map_err(|e| anyhow!("{e}"))?,
        description: Description::parse_opt("--description", description)
            .map_err(|e| anyhow!("{e}"))?,
        effective_from: StorableDate::parse_text_or(
            "--effective-from",
            effective_from,
            orgdesign_domain::clock::today(),
        )
        .map_err(|e| anyhow!("{e}"))?,
    };
    let size = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    let reader =
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} reading the structure")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let max_rows =
        usize::try_from(settings.limits.max_units_per_organization).unwrap_or(usize::MAX);
    let rows = structure_csv::parse(bar.wrap_read(reader), max_rows);
    bar.finish_and_clear();
    let rows =
        rows.map_err(|e| file_error(&e).context(format!("{} was not imported", file.display())))?;

    let context = RequestContext::system("orgdesign-import");
    let writer = context.writer()?;
    let store = orgdesign_domain::store::Store::new(db.clone());
    let limits = scenarios::limits(&settings.limits);
    let row = scenarios::import_structure(&store, writer, new, &rows, limits)
        .await
        .map_err(|e| file_error(&e).context(format!("{} was not imported", file.display())))?;
    let changes = orgdesign_domain::scenarios::change::from_json(&row.changes)
        .map_err(|e| anyhow!("{e}"))?
        .len();
    let evaluation = orgdesign_domain::scenarios::evaluation::evaluate(&db, &[&row], limits)
        .await
        .map_err(|e| anyhow!("{e}"))?
        .pop()
        .ok_or_else(|| anyhow!("the new scenario could not be evaluated"))?;
    let diff = &evaluation.diff;
    // Each code once, with how many insights of it (`MISSING_KEY_RELATIONSHIP ×3`).
    let codes = |list: &[orgdesign_domain::insights::Insight]| {
        let mut counted: Vec<(&str, usize)> = Vec::new();
        for insight in list {
            match counted.iter_mut().find(|(code, _)| *code == insight.code) {
                Some((_, n)) => *n += 1,
                None => counted.push((insight.code, 1)),
            }
        }
        if counted.is_empty() {
            return "none".to_owned();
        }
        counted
            .iter()
            .map(|(code, n)| match n {
                1 => (*code).to_owned(),
                n => format!("{code} ×{n}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "drafted scenario {} \"{}\" for {} from {} rows ({changes} changes, effective {})",
        row.id,
        row.name,
        org.slug,
        rows.len(),
        row.effective_from
    );
    println!(
        "  units: {} added, {} moved, {} archived; lines: {} added, {} ended",
        diff.units_added.len(),
        diff.units_moved.len(),
        diff.units_archived.len(),
        diff.lines_added.len(),
        diff.lines_ended.len()
    );
    println!(
        "  insights resolved: {}; introduced: {}",
        codes(&diff.insights_resolved),
        codes(&diff.insights_introduced)
    );
    if diff.is_empty() {
        println!("  the file matches the live structure: the diff is empty");
    }
    Ok(())
}

async fn export_structure(
    settings: &Settings,
    slug: &str,
    as_of: Option<&str>,
) -> anyhow::Result<()> {
    use orgdesign_domain::StorableDate;

    let db = db::connect(settings)
        .await
        .context("connecting to the database")?;
    let org = organization_by_slug(&db, slug).await?;
    let as_of = StorableDate::parse_text_or("--as-of", as_of, orgdesign_domain::clock::today())
        .map_err(|e| anyhow!("{e}"))?;
    let snapshot = orgdesign_domain::insights::snapshot(&db, org.id, as_of.get())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    print!(
        "{}",
        orgdesign_domain::scenarios::structure_csv::export(&snapshot)
            .map_err(|e| anyhow!("{e}"))?
    );
    Ok(())
}
