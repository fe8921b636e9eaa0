//! From settings to a running application, and the subcommands: each builds the one `App` and
//! calls the same service methods as the doors.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use api::{
    ApiSettings, AppState, Application, Metrics, RateLimitSettings, RateLimits, ServeOptions,
};
use app::{
    App, AppError, AppSettings, AuthSettings, BuildError, DatabaseSettings, ImportError,
    NewAccount, OAuthSettings, PoolOptions, S3Settings, StorageSettings,
};
use domain::{Email, Password, Role, Tier, TimeZone};

use crate::config::Settings;
use crate::progress::CliProgress;

/// Why a subcommand failed.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot prepare {path}: {source}")]
    Folder { path: String, source: std::io::Error },
    #[error("cannot listen on {address}: {source}")]
    Listen { address: String, source: std::io::Error },
    #[error("server stopped with an error: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error("the package is invalid; nothing was changed")]
    InvalidPackage,
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    Refused(AppError),
}

/// A use case's refusal as the CLI says it: the flag at fault for invalid input.
impl From<AppError> for StartError {
    fn from(error: AppError) -> Self {
        match &error {
            AppError::Invalid { details, .. } => {
                let fields = details.get("fields").and_then(serde_json::Value::as_object);
                let parts: Vec<String> = fields
                    .into_iter()
                    .flatten()
                    .map(|(field, problems)| {
                        let problems: Vec<&str> = problems
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|p| p.as_str())
                            .collect();
                        format!("--{} {}", field.replace('_', "-"), problems.join(", "))
                    })
                    .collect();
                Self::InvalidInput(parts.join("; "))
            }
            AppError::Conflict { code: "email_taken", .. } => {
                Self::InvalidInput("--email is already taken".into())
            }
            AppError::NotFound(message) => Self::InvalidInput(message.clone()),
            _ => Self::Refused(error),
        }
    }
}

fn app_settings(settings: &Settings) -> AppSettings {
    let storage = &settings.storage;
    let cache_bytes = storage.cache_mib.saturating_mul(1024 * 1024);
    let auth = &settings.auth;
    AppSettings {
        database: DatabaseSettings {
            url: settings.database_url(),
            pool: PoolOptions {
                max_connections: settings.database.max_connections,
                acquire_timeout: Duration::from_secs(settings.database.acquire_timeout_secs),
                ..PoolOptions::default()
            },
            migrate: true,
        },
        storage: if storage.s3_endpoint.is_empty() {
            StorageSettings::Folder { path: storage.local_dir.clone(), cache_bytes }
        } else {
            StorageSettings::S3 {
                settings: S3Settings {
                    endpoint: storage.s3_endpoint.clone(),
                    bucket: storage.s3_bucket.clone(),
                    access_key_id: storage.s3_access_key_id.clone(),
                    secret_access_key: storage.s3_secret_access_key.clone(),
                    region: storage.s3_region.clone(),
                    request_timeout: settings.s3_timeout(),
                },
                cache_bytes,
            }
        },
        auth: AuthSettings {
            jwt_secret: auth.jwt_secret.as_bytes().to_vec(),
            jwt_issuer: auth.jwt_issuer.clone(),
            token_lifetime: Duration::from_secs(auth.jwt_expiration_hours.saturating_mul(3600)),
            bcrypt_cost: auth.bcrypt_cost,
            failed_logins_per_account: settings.rate_limit.login_failures_per_account,
            failed_login_window: Duration::from_secs(
                settings.rate_limit.login_failure_window_minutes.saturating_mul(60),
            ),
        },
        oauth: OAuthSettings {
            access_token_lifetime: Duration::from_secs(
                settings.oauth.access_token_minutes.saturating_mul(60),
            ),
            refresh_token_lifetime: Duration::from_secs(
                settings.oauth.refresh_token_days.saturating_mul(24 * 3600),
            ),
        },
        access_policy: domain::AccessPolicy { free_chapters: settings.access.free_chapters },
        upgrade_url: settings.upgrade_url(),
        import_on_first_start: settings
            .content
            .import_on_first_start
            .then(|| settings.content.bundled_dir.clone()),
    }
}

/// The application, its SQLite folder prepared first.
async fn build(settings: &Settings) -> Result<App, StartError> {
    if let Some(folder) = settings.sqlite_folder() {
        std::fs::create_dir_all(&folder)
            .map_err(|source| StartError::Folder { path: folder.display().to_string(), source })?;
    }
    Ok(App::build(app_settings(settings)).await?)
}

/// Subcommands other than `serve` never import the bundled course.
async fn build_for_command(settings: &Settings) -> Result<App, StartError> {
    let mut settings = settings.clone();
    settings.content.import_on_first_start = false;
    build(&settings).await
}

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

fn serve_options(
    settings: &Settings,
    app: &App,
    metrics: &Metrics,
) -> Result<ServeOptions, StartError> {
    let limits = RateLimitSettings {
        per_minute: settings.rate_limit.per_minute,
        auth_per_minute: settings.rate_limit.auth_per_minute,
        oauth_client_per_minute: settings.rate_limit.oauth_client_per_minute,
    };
    let proxies = settings.server.trusted_proxies().map_err(StartError::InvalidInput)?;
    let rate_limits = RateLimits::new(limits, &app.tokens(), proxies, metrics)
        .ok_or_else(|| StartError::InvalidInput("unusable rate limit".into()))?;
    Ok(ServeOptions {
        shutdown_timeout_secs: settings.server.shutdown_timeout_secs,
        request_timeout: Duration::from_secs(settings.server.request_timeout_secs.max(1)),
        cors_origins: settings.server.cors_origins(),
        rate_limits,
    })
}

pub async fn serve(settings: Settings) -> Result<(), StartError> {
    let app = build(&settings).await?;
    let address = format!("{}:{}", settings.server.host, settings.server.port);
    let listener = TcpListener::bind(&address)
        .map_err(|source| StartError::Listen { address: address.clone(), source })?;
    // The search index is built in the background, so start-up does not wait on it; searches
    // answer 503 until the first build is in (a few milliseconds for the sample course).
    let jobs = app.start_background_jobs();
    let metrics = Metrics::new(&app);
    let options = serve_options(&settings, &app, &metrics)?;
    options
        .rate_limits
        .spawn_pruner(Duration::from_secs(settings.rate_limit.prune_interval_secs.max(1)));
    let state = AppState {
        app: app.clone(),
        metrics,
        settings: ApiSettings {
            public_url: settings.server.public_url.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            metrics_token: Some(settings.server.metrics_token.clone())
                .filter(|token| !token.is_empty()),
        },
    };
    let application = Application::build(state, listener, options)
        .map_err(|source| StartError::Listen { address: address.clone(), source })?;
    log::info!("listening on http://{address}");
    application.run_until_stopped().await.map_err(StartError::Serve)?;
    jobs.stop();
    match app.shut_down().await {
        Ok(written) => log::info!("stopped; wrote pending activity of {written} learner(s)"),
        Err(error) => log::error!("stopped; pending activity could not be written: {error}"),
    }
    Ok(())
}
