//! The subcommands besides `serve`: each builds the one `App` and calls the same service
//! methods as the HTTP door.

use std::path::Path;

use app::{BuildError, ImportError, NewAccount};
use domain::{Email, Password, Role, Tier, TimeZone};

use crate::config::Settings;
use crate::progress::CliProgress;
use crate::wiring::{StartError, build_for_command};

pub async fn migrate(settings: &Settings) -> Result<(), StartError> {
    build_for_command(settings).await?;
    eprintln!("migrations applied");
    Ok(())
}

pub async fn import_command(settings: &Settings, dir: &Path) -> Result<(), StartError> {
    // Validate before touching anything: an invalid package changes nothing.
    let package = match app::read_package(dir) {
        Ok(package) => package,
        Err(ImportError::Invalid(problems)) => {
            for problem in problems {
                eprintln!("{problem}");
            }
            return Err(StartError::InvalidPackage);
        }
        Err(other) => return Err(BuildError::from(other).into()),
    };
    let app = build_for_command(settings).await?;
    app.import(&package, &CliProgress::for_stderr()).await?;
    Ok(())
}

/// `companion user create` arguments, as typed.
#[derive(Debug)]
pub struct NewUserArgs {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: String,
    pub tier: String,
}

pub async fn create_user(settings: &Settings, args: NewUserArgs) -> Result<(), StartError> {
    let invalid =
        |flag: &str, reason: String| StartError::InvalidInput(format!("--{flag} {reason}"));
    let account = NewAccount {
        email: Email::parse(&args.email).map_err(|r| invalid("email", r))?,
        password: Password::parse(args.password).map_err(|r| invalid("password", r))?,
        name: args.name,
        timezone: TimeZone::default(),
        background: String::new(),
        role: args.role.parse::<Role>().map_err(|r| invalid("role", r))?,
        tier: args.tier.parse::<Tier>().map_err(|r| invalid("tier", r))?,
    };
    let app = build_for_command(settings).await?;
    let user = app.accounts().create(account).await?;
    eprintln!(
        "created {} ({}, {}): {}",
        user.email,
        user.role.as_str(),
        user.tier.as_str(),
        user.id
    );
    Ok(())
}

pub async fn set_tier(
    settings: &Settings,
    email: &str,
    tier: &str,
    reason: Option<String>,
) -> Result<(), StartError> {
    let tier: Tier = tier.parse().map_err(|r| StartError::InvalidInput(format!("--tier {r}")))?;
    let app = build_for_command(settings).await?;
    let change = app.access().set_tier_by_email(email, tier, reason).await?;
    eprintln!("{}: {} -> {}", email.trim().to_lowercase(), change.previous_tier, change.tier);
    Ok(())
}

/// `companion client create`: registers an OAuth client and prints its secret, once.
// The credentials are the command's output, for a person or a script to read: stdout.
#[allow(clippy::print_stdout)]
pub async fn create_client(
    settings: &Settings,
    name: &str,
    redirect_uris: Vec<String>,
) -> Result<(), StartError> {
    let app = build_for_command(settings).await?;
    let client = app.authorization().create_client(name, redirect_uris).await?;
    println!("client_id: {}", client.client_id);
    println!("client_secret: {}", client.client_secret);
    eprintln!("The secret is shown once; only its hash is stored.");
    Ok(())
}

/// `companion client list`.
#[allow(clippy::print_stdout)]
pub async fn list_clients(settings: &Settings) -> Result<(), StartError> {
    let app = build_for_command(settings).await?;
    for client in app.authorization().clients().await? {
        let status = if client.revoked_at.is_some() { "revoked" } else { "active" };
        println!(
            "{}\t{status}\t{}\t{}",
            client.client_id,
            client.name,
            client.redirect_uris.join(" ")
        );
    }
    Ok(())
}

/// `companion client revoke ID`: the client and every token issued to it stop working.
pub async fn revoke_client(settings: &Settings, client_id: &str) -> Result<(), StartError> {
    let app = build_for_command(settings).await?;
    app.authorization().revoke_client(client_id).await?;
    eprintln!("revoked {client_id}");
    Ok(())
}
