//! `companion`: the Course Companion server binary.
//!
//! What lives here: configuration loading, logging set-up, wiring the database, the content
//! store and the HTTP application together, the CLI subcommands (`serve`, `migrate`,
//! `import`, `user`, `client`), start-up and graceful shutdown. Nothing else: rules, SQL, storage and HTTP
//! handling live in the library crates.

mod cli;
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
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage OAuth clients (e.g. a Custom GPT that signs learners in).
    #[command(subcommand)]
    Client(ClientCommand),
}

#[derive(Debug, Subcommand)]
enum ClientCommand {
    /// Register a client; prints its client_id and client_secret once.
    Create {
        #[arg(long)]
        name: String,
        /// An exact callback URL; repeat for several.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
    },
    /// List clients: id, status, name, redirect URIs.
    List,
    /// Revoke a client and every token issued to it.
    Revoke {
        /// The client_id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account (e.g. the first admin).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long, default_value = "")]
        name: String,
        /// student or admin.
        #[arg(long, default_value = "student")]
        role: String,
        /// free, premium or pro.
        #[arg(long, default_value = "free")]
        tier: String,
    },
    /// Change an account's tier; the change is audited.
    SetTier {
        #[arg(long)]
        email: String,
        /// free, premium or pro.
        #[arg(long)]
        tier: String,
        #[arg(long)]
        reason: Option<String>,
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
        Command::Migrate => cli::migrate(&settings).await,
        Command::Import { dir } => cli::import_command(&settings, &dir).await,
        Command::User(UserCommand::Create { email, password, name, role, tier }) => {
            cli::create_user(&settings, cli::NewUserArgs { email, password, name, role, tier })
                .await
        }
        Command::User(UserCommand::SetTier { email, tier, reason }) => {
            cli::set_tier(&settings, &email, &tier, reason).await
        }
        Command::Client(ClientCommand::Create { name, redirect_uris }) => {
            cli::create_client(&settings, &name, redirect_uris).await
        }
        Command::Client(ClientCommand::List) => cli::list_clients(&settings).await,
        Command::Client(ClientCommand::Revoke { id }) => cli::revoke_client(&settings, &id).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
