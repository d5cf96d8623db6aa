//! The `orgdesign` command line.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};
use secrecy::SecretString;

use crate::{
    db, demo,
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
            let db = db::connect(&settings)
                .await
                .context("connecting to the database")?;
            Migrator::up(&db, None)
                .await
                .context("applying migrations")?;
            demo::load(&db, &settings.limits).await
        }
    }
}

async fn migrate(settings: &Settings, action: MigrateAction) -> anyhow::Result<()> {
    let db = db::connect(settings)
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
