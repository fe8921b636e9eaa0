//! Building the database, the store and the application from settings; the subcommands.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use api::activity::{Activity, FLUSH_INTERVAL};
use api::auth::{AccessCache, Auth, FailedLogins, Passwords, RevocationCache, Tokens};
use api::{
    ApiSettings, AppState, Application, ChapterCatalog, HealthCache, Metrics, QuizCatalog,
    RateLimitSettings, RateLimits, ServeOptions,
};
use domain::{AccessPolicy, Role, Tier, account};
use importer::{ImportError, Silent};
use persistence::{ClientRecord, Database, NewUser, PersistenceError, PoolOptions};
use storage::{ContentBackend, ContentStore, LocalFolder, S3Backend, S3Settings, StoreError};

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
    Database(#[from] PersistenceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("the package is invalid; nothing was changed")]
    InvalidPackage,
    #[error("{0}")]
    InvalidInput(String),
    #[error("cannot build the search index: {0}")]
    Search(String),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

async fn connect(settings: &Settings) -> Result<Database, StartError> {
    if let Some(folder) = settings.sqlite_folder() {
        std::fs::create_dir_all(&folder)
            .map_err(|source| StartError::Folder { path: folder.display().to_string(), source })?;
    }
    let pool = PoolOptions {
        max_connections: settings.database.max_connections,
        acquire_timeout: Duration::from_secs(settings.database.acquire_timeout_secs),
        ..PoolOptions::default()
    };
    Ok(Database::connect(&settings.database_url(), &pool).await?)
}

/// Connects and migrates, waiting up to a minute for a database that is still starting.
async fn connect_and_migrate(settings: &Settings) -> Result<Database, StartError> {
    let db = connect(settings).await?;
    let mut attempts = 0;
    loop {
        match db.migrate().await {
            Ok(()) => return Ok(db),
            Err(PersistenceError::Unavailable(error)) if attempts < 30 => {
                attempts += 1;
                log::warn!("database not reachable yet ({error}); retrying in 2 s");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(error) => return Err(error.into()),
        }
    }
}

fn content_store(settings: &Settings) -> Result<ContentStore, StartError> {
    let storage = &settings.storage;
    let backend: Arc<dyn ContentBackend> = if storage.s3_endpoint.is_empty() {
        log::info!("content store: local folder {}", storage.local_dir.display());
        Arc::new(LocalFolder::new(&storage.local_dir))
    } else {
        log::info!("content store: S3 bucket {} at {}", storage.s3_bucket, storage.s3_endpoint);
        Arc::new(S3Backend::new(&S3Settings {
            endpoint: storage.s3_endpoint.clone(),
            bucket: storage.s3_bucket.clone(),
            access_key_id: storage.s3_access_key_id.clone(),
            secret_access_key: storage.s3_secret_access_key.clone(),
            region: storage.s3_region.clone(),
            request_timeout: settings.s3_timeout(),
        })?)
    };
    Ok(ContentStore::new(backend, storage.cache_mib.saturating_mul(1024 * 1024)))
}

pub async fn migrate(settings: &Settings) -> Result<(), StartError> {
    connect_and_migrate(settings).await?;
    eprintln!("migrations applied");
    Ok(())
}

pub async fn import_command(settings: &Settings, dir: &Path) -> Result<(), StartError> {
    // Validate before touching anything: an invalid package changes nothing.
    let package = match importer::read_package(dir) {
        Ok(package) => package,
        Err(ImportError::Invalid(problems)) => {
            for problem in problems {
                eprintln!("{problem}");
            }
            return Err(StartError::InvalidPackage);
        }
        Err(other) => return Err(other.into()),
    };
    let db = connect_and_migrate(settings).await?;
    let store = content_store(settings)?;
    importer::import(&db, &store, &package, &CliProgress::for_stderr()).await?;
    Ok(())
}

/// Imports the bundled course when the database has no chapters yet.
async fn import_on_first_start(
    settings: &Settings,
    db: &Database,
    store: &ContentStore,
) -> Result<(), StartError> {
    if !settings.content.import_on_first_start || db.count_chapters().await? > 0 {
        return Ok(());
    }
    let dir = &settings.content.bundled_dir;
    if !dir.join(domain::package::MANIFEST_FILE).exists() {
        log::warn!("no course package at {}; starting with an empty course", dir.display());
        return Ok(());
    }
    let package = importer::read_package(dir)?;
    let report = importer::import(db, store, &package, &Silent).await?;
    log::info!("imported the bundled course from {}: {} chapters", dir.display(), report.created);
    Ok(())
}

fn serve_options(
    settings: &Settings,
    auth: &Auth,
    metrics: &Metrics,
) -> Result<ServeOptions, StartError> {
    let limits = RateLimitSettings {
        per_minute: settings.rate_limit.per_minute,
        auth_per_minute: settings.rate_limit.auth_per_minute,
        oauth_client_per_minute: settings.rate_limit.oauth_client_per_minute,
    };
    let proxies = settings.server.trusted_proxies().map_err(StartError::InvalidInput)?;
    let rate_limits = RateLimits::new(limits, &auth.tokens, proxies, metrics)
        .ok_or_else(|| StartError::InvalidInput("unusable rate limit".into()))?;
    Ok(ServeOptions {
        shutdown_timeout_secs: settings.server.shutdown_timeout_secs,
        request_timeout: Duration::from_secs(settings.server.request_timeout_secs.max(1)),
        cors_origins: settings.server.cors_origins(),
        rate_limits,
    })
}

fn auth(settings: &Settings) -> Auth {
    let lifetime = Duration::from_secs(settings.auth.jwt_expiration_hours.saturating_mul(3600));
    Auth {
        tokens: Arc::new(Tokens::new(
            settings.auth.jwt_secret.as_bytes(),
            &settings.auth.jwt_issuer,
            lifetime,
        )),
        sessions: Arc::new(Tokens::new(
            settings.auth.jwt_secret.as_bytes(),
            &format!("{}/oauth-session", settings.auth.jwt_issuer),
            Duration::from_secs(3600),
        )),
        passwords: Passwords::new(settings.auth.bcrypt_cost),
        access: AccessCache::default(),
        revocations: RevocationCache::default(),
        failed_logins: FailedLogins::new(
            settings.rate_limit.login_failures_per_account,
            Duration::from_secs(
                settings.rate_limit.login_failure_window_minutes.saturating_mul(60),
            ),
        ),
    }
}

/// `companion user create` arguments, as typed.
#[derive(Debug)]
pub struct NewAccount {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: String,
    pub tier: String,
}

pub async fn create_user(settings: &Settings, account: NewAccount) -> Result<(), StartError> {
    let invalid =
        |field: &str, reason: String| StartError::InvalidInput(format!("--{field} {reason}"));
    account::validate_email(&account.email).map_err(|r| invalid("email", r))?;
    account::validate_password(&account.password).map_err(|r| invalid("password", r))?;
    let role: Role = account.role.parse().map_err(|r| invalid("role", r))?;
    let tier: Tier = account.tier.parse().map_err(|r| invalid("tier", r))?;
    let db = connect_and_migrate(settings).await?;
    let password_hash = Passwords::new(settings.auth.bcrypt_cost)
        .hash(account.password)
        .await
        .map_err(|e| StartError::Hashing(e.to_string()))?;
    let user = db
        .create_user(NewUser {
            email: account::normalize_email(&account.email),
            password_hash,
            name: account.name,
            timezone: "UTC".into(),
            background: String::new(),
            tier,
            role,
        })
        .await
        .map_err(|error| match error {
            PersistenceError::Conflict(_) => invalid("email", "is already taken".into()),
            other => other.into(),
        })?;
    eprintln!("created {} ({}, {}): {}", user.email, role.as_str(), tier.as_str(), user.id);
    Ok(())
}

pub async fn set_tier(
    settings: &Settings,
    email: &str,
    tier: &str,
    reason: Option<String>,
) -> Result<(), StartError> {
    let tier: Tier = tier.parse().map_err(|r| StartError::InvalidInput(format!("--tier {r}")))?;
    let db = connect_and_migrate(settings).await?;
    let user = db
        .find_user_by_email(email)
        .await?
        .ok_or_else(|| StartError::InvalidInput(format!("no account has the email {email}")))?;
    let change = db
        .change_tier(user.id, tier, None, reason)
        .await?
        .ok_or_else(|| StartError::InvalidInput(format!("no account has the email {email}")))?;
    eprintln!("{}: {} -> {}", user.email, change.previous_tier, change.tier);
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
    let invalid = |reason: String| StartError::InvalidInput(reason);
    if name.trim().is_empty() {
        return Err(invalid("--name must not be empty".into()));
    }
    if redirect_uris.is_empty() {
        return Err(invalid("give at least one --redirect-uri".into()));
    }
    for uri in &redirect_uris {
        let parsed: actix_web::http::Uri =
            uri.parse().map_err(|_| invalid(format!("--redirect-uri {uri} is not a URL")))?;
        let local = matches!(parsed.host(), Some("localhost" | "127.0.0.1" | "[::1]"));
        let scheme_ok =
            parsed.scheme_str() == Some("https") || (parsed.scheme_str() == Some("http") && local);
        if !scheme_ok || uri.contains('#') {
            return Err(invalid(format!(
                "--redirect-uri {uri} must be https (http only for localhost) and have no fragment"
            )));
        }
    }
    let db = connect_and_migrate(settings).await?;
    let (client_id, secret) = api::oauth::new_client_credentials();
    db.create_client(ClientRecord {
        client_id: client_id.clone(),
        secret_hash: domain::oauth::secret_hash(&secret),
        name: name.trim().to_owned(),
        redirect_uris,
        created_at: chrono::Utc::now(),
        revoked_at: None,
    })
    .await?;
    println!("client_id: {client_id}");
    println!("client_secret: {secret}");
    eprintln!("The secret is shown once; only its hash is stored.");
    Ok(())
}

/// `companion client list`.
#[allow(clippy::print_stdout)]
pub async fn list_clients(settings: &Settings) -> Result<(), StartError> {
    let db = connect_and_migrate(settings).await?;
    for client in db.list_clients().await? {
        let status = if client.revoked_at.is_some() { "revoked" } else { "active" };
        println!(
            "{}\t{}\t{}\t{}",
            client.client_id,
            status,
            client.name,
            client.redirect_uris.join(" ")
        );
    }
    Ok(())
}

/// `companion client revoke ID`: the client and every token issued to it stop working.
pub async fn revoke_client(settings: &Settings, client_id: &str) -> Result<(), StartError> {
    let db = connect_and_migrate(settings).await?;
    if !db.revoke_client(client_id).await? {
        return Err(StartError::InvalidInput(format!("no active client {client_id}")));
    }
    eprintln!("revoked {client_id}");
    Ok(())
}

/// Rebuilds the search index when the chapters change: an import by the CLI or another
/// replica shows in search within this time.
const SEARCH_REFRESH: Duration = Duration::from_secs(10);

async fn refresh_search_index(db: Database, store: ContentStore, search: search::CourseSearch) {
    let mut ticks = tokio::time::interval(SEARCH_REFRESH);
    loop {
        ticks.tick().await;
        let started = std::time::Instant::now();
        match api::search_index::refresh(&db, &store, &search).await {
            Ok(true) => {
                let index = search.current();
                let (index_bytes, text_bytes) = index.memory_bytes();
                log::info!(
                    "search index built: {} sections in {} ms ({} MiB of index, {} MiB of text)",
                    index.section_count(),
                    started.elapsed().as_millis(),
                    index_bytes / (1 << 20),
                    text_bytes / (1 << 20)
                );
            }
            Ok(false) => {}
            Err(error) => log::warn!("search index not refreshed: {error}"),
        }
    }
}

/// Writes deferred last-activity notes once a minute, for as long as the server runs.
async fn flush_activity_every_minute(activity: Activity, db: Database) {
    let mut ticks = tokio::time::interval(FLUSH_INTERVAL);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        if let Err(error) = activity.flush(&db).await {
            log::warn!("pending activity kept for the next minute: {error}");
        }
    }
}

pub async fn serve(settings: Settings) -> Result<(), StartError> {
    let auth = auth(&settings);
    let db = connect_and_migrate(&settings).await?;
    let store = content_store(&settings)?;
    import_on_first_start(&settings, &db, &store).await?;
    let address = format!("{}:{}", settings.server.host, settings.server.port);
    let listener = TcpListener::bind(&address)
        .map_err(|source| StartError::Listen { address: address.clone(), source })?;
    // Built in the background, so start-up does not wait on it; searches answer 503 until
    // the first build is in (a few milliseconds for the sample course).
    let policy = AccessPolicy { free_chapters: settings.access.free_chapters };
    let search = api::search_index::empty(policy).map_err(|e| StartError::Search(e.to_string()))?;
    let refresher = tokio::spawn(refresh_search_index(db.clone(), store.clone(), search.clone()));
    let activity = Activity::default();
    let flusher = tokio::spawn(flush_activity_every_minute(activity.clone(), db.clone()));
    let metrics = Metrics::new(&db, &store);
    let options = serve_options(&settings, &auth, &metrics)?;
    options
        .rate_limits
        .spawn_pruner(Duration::from_secs(settings.rate_limit.prune_interval_secs.max(1)));
    let state = AppState {
        db: db.clone(),
        store,
        auth,
        metrics,
        health: HealthCache::default(),
        chapters: ChapterCatalog::default(),
        quizzes: QuizCatalog::default(),
        activity: activity.clone(),
        search,
        settings: ApiSettings {
            public_url: settings.server.public_url.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            access_policy: policy,
            upgrade_url: settings.upgrade_url(),
            oauth: api::oauth::OAuthSettings {
                access_token_lifetime: Duration::from_secs(
                    settings.oauth.access_token_minutes.saturating_mul(60),
                ),
                refresh_token_lifetime: Duration::from_secs(
                    settings.oauth.refresh_token_days.saturating_mul(24 * 3600),
                ),
            },
            metrics_token: Some(settings.server.metrics_token.clone())
                .filter(|token| !token.is_empty()),
        },
    };
    let application = Application::build(state, listener, options)
        .map_err(|source| StartError::Listen { address: address.clone(), source })?;
    log::info!("listening on http://{address}");
    application.run_until_stopped().await.map_err(StartError::Serve)?;
    flusher.abort();
    refresher.abort();
    db.close().await?;
    // The pool's PostgreSQL connections were opened on the HTTP workers' runtimes, which are
    // gone now ("a Tokio context … is being shut down"): the last notes go through a fresh
    // pool opened on this runtime.
    let written = match connect(&settings).await {
        Ok(fresh) => {
            let written = activity.flush(&fresh).await;
            fresh.close().await?;
            written
        }
        Err(StartError::Database(error)) => Err(error),
        Err(other) => return Err(other),
    };
    match written {
        Ok(written) => log::info!("stopped; wrote pending activity of {written} learner(s)"),
        Err(error) => log::error!("stopped; pending activity could not be written: {error}"),
    }
    Ok(())
}
