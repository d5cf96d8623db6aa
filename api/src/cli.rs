//! The `orgdesign` command line.

use std::path::PathBuf;

use anyhow::{Context as _, anyhow, bail};
use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};
use secrecy::SecretString;

use uuid::Uuid;

use crate::{
    auth::{
        Role,
        tokens::{self, Keys, parse_ttl},
    },
    db, demo,
    domain::Slug,
    organizations::service as organizations,
    settings::Settings,
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
    if let Command::Schema = cli.command {
        print!("{}", crate::graphql::sdl());
        return Ok(());
    }
    let mut settings = Settings::load(cli.config.as_deref()).context("reading settings")?;
    if let Some(url) = cli.database_url {
        settings.database_url = SecretString::from(url);
    }
    telemetry::init(settings.log_format);
    match cli.command {
        Command::Schema => Ok(()),
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                settings.bind = bind;
            }
            let app = Application::build(settings).await?;
            app.run_until_stopped(shutdown_signal()).await
        }
        Command::Migrate { action } => migrate(&settings, action).await,
        Command::Demo => {
            let db = db::connect_for_maintenance(&settings)
                .await
                .context("connecting to the database")?;
            Migrator::up(&db, None)
                .await
                .context("applying migrations")?;
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
    if !tokens::configured(settings) {
        bail!(
            "no JWT key is configured (ORGDESIGN_JWT_SECRET, or ORGDESIGN_JWT_PUBLIC_KEY with \
             ORGDESIGN_JWT_PRIVATE_KEY); a token minted with a made-up key would be refused by the server"
        );
    }
    let keys = Keys::from_settings(settings)?;
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
