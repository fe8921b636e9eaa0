//! `companion`: the Course Companion server binary.
//!
//! What lives here: configuration loading, logging set-up, wiring the database, the content
//! store and the HTTP application together, the CLI subcommands (`serve`, `migrate`,
//! `import`), start-up and graceful shutdown. Nothing else: rules, SQL, storage and HTTP
//! handling live in the library crates.

mod config;
mod logging;
mod progress;
mod wiring;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;

#[derive(Debug, Parser)]
#[command(name = "companion", version, about = "Course Companion API server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate, import the bundled course on first start, and serve HTTP (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Validate a course package folder and import it (re-importing is safe).
    Import {
        /// The package folder: course.toml, chapters/*.md, quizzes/*.toml.
        dir: PathBuf,
    },
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    logging::init(&settings.log);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => wiring::serve(settings).await,
        Command::Migrate => wiring::migrate(&settings).await,
        Command::Import { dir } => wiring::import_command(&settings, &dir).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
