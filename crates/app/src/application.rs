//! The application, built once from settings: by the binary, by every test's `spawn_app` and
//! by the CLI. Its background jobs run only where something serves.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use importer::{ImportError, ImportProgress};
use persistence::{Database, PersistenceError, SyncReport};
use storage::{ContentStore, LocalFolder, S3Backend, StoreError};

use crate::access::Access;
use crate::accounts::Accounts;
use crate::activity::{Activity, FLUSH_INTERVAL};
use crate::auth::{AccessCache, FailedLogins, Passwords, RevocationCache, Tokens};
use crate::authorization::Authorization;
use crate::catalog::{ChapterCatalog, QuizCatalog};
use crate::client_documents::ClientDocuments;
use crate::core::Core;
use crate::course::Course;
use crate::error::AppError;
use crate::health::Health;
use crate::plan::Plan;
use crate::probe_cache::HealthCache;
use crate::progress::Progress;
use crate::quizzes::Quizzes;
use crate::review::Review;
use crate::search::{Search, empty};
use crate::settings::{AppSettings, DatabaseSettings, StorageSettings};

/// Why the application could not be built or a course not imported.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Database(#[from] PersistenceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("cannot build the search index: {0}")]
    Search(AppError),
}

/// Rebuilds the search index when the chapters change: an import by the CLI or another
/// replica shows in search within this time.
const SEARCH_REFRESH: Duration = Duration::from_secs(10);

/// The application: cheap to clone, every clone the same application.
#[derive(Debug, Clone)]
pub struct App {
    core: Arc<Core>,
    settings: Arc<AppSettings>,
}

async fn connect(settings: &DatabaseSettings) -> Result<Database, BuildError> {
    Ok(Database::connect(&settings.url, &settings.pool).await?)
}

/// Connects and migrates, waiting up to a minute for a database that is still starting.
async fn connect_and_migrate(settings: &DatabaseSettings) -> Result<Database, BuildError> {
    let db = connect(settings).await?;
    if !settings.migrate {
        return Ok(db);
    }
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

fn content_store(settings: &StorageSettings) -> Result<ContentStore, BuildError> {
    Ok(match settings {
        StorageSettings::Folder { path, cache_bytes } => {
            log::info!("content store: local folder {}", path.display());
            ContentStore::new(Arc::new(LocalFolder::new(path)), *cache_bytes)
        }
        StorageSettings::S3 { settings, cache_bytes } => {
            log::info!("content store: S3 bucket {} at {}", settings.bucket, settings.endpoint);
            ContentStore::new(Arc::new(S3Backend::new(settings)?), *cache_bytes)
        }
        StorageSettings::Backend { backend, cache_bytes } => {
            ContentStore::new(Arc::clone(backend), *cache_bytes)
        }
    })
}

impl App {
    /// Connects (and migrates), opens the content store, imports the bundled course into an
    /// empty database when asked to, and sets up the services. The search index starts empty:
    /// [`App::start_background_jobs`] or [`Search::refresh`] builds it.
    pub async fn build(settings: AppSettings) -> Result<Self, BuildError> {
        let db = connect_and_migrate(&settings.database).await?;
        let store = content_store(&settings.storage)?;
        let auth = &settings.auth;
        let core = Core {
            tokens: Arc::new(Tokens::new(&auth.jwt_secret, &auth.jwt_issuer, auth.token_lifetime)),
            sessions: Arc::new(Tokens::new(
                &auth.jwt_secret,
                &format!("{}/oauth-session", auth.jwt_issuer),
                Duration::from_secs(3600),
            )),
            passwords: Passwords::new(auth.bcrypt_cost),
            access: AccessCache::default(),
            revocations: RevocationCache::default(),
            failed_logins: FailedLogins::new(
                auth.failed_logins_per_account,
                auth.failed_login_window,
            ),
            chapters: ChapterCatalog::default(),
            quizzes: QuizCatalog::default(),
            activity: Activity::default(),
            search: empty(settings.access_policy).map_err(BuildError::Search)?,
            health: HealthCache::default(),
            policy: settings.access_policy,
            scheduler: domain::review::Scheduler::new(settings.review_retention),
            upgrade_url: settings.upgrade_url.clone(),
            oauth: settings.oauth.clone(),
            client_documents: ClientDocuments::new(
                settings.oauth.client_documents_over_loopback_http,
            ),
            db,
            store,
        };
        let app = Self { core: Arc::new(core), settings: Arc::new(settings) };
        if let Some(course) = app.settings.import_on_first_start.clone() {
            app.import_on_first_start(&course).await?;
        }
        Ok(app)
    }

    /// Imports the course package in `dir` when the database has no chapters yet.
    async fn import_on_first_start(&self, dir: &Path) -> Result<(), BuildError> {
        if self.core.db.count_chapters().await? > 0 {
            return Ok(());
        }
        if !dir.join(domain::package::MANIFEST_FILE).exists() {
            log::warn!("no course package at {}; starting with an empty course", dir.display());
            return Ok(());
        }
        let package = importer::read_package(dir)?;
        let report = self.import(&package, &importer::Silent).await?;
        log::info!("imported the course from {}: {} chapters", dir.display(), report.created);
        Ok(())
    }

    /// Imports a validated course package: bodies into the store, the rest into the database.
    pub async fn import(
        &self,
        package: &domain::CoursePackage,
        progress: &dyn ImportProgress,
    ) -> Result<SyncReport, BuildError> {
        Ok(importer::import(&self.core.db, &self.core.store, package, progress).await?)
    }

    pub fn accounts(&self) -> Accounts<'_> {
        Accounts { core: &self.core }
    }

    pub fn course(&self) -> Course<'_> {
        Course { core: &self.core }
    }

    pub fn quizzes(&self) -> Quizzes<'_> {
        Quizzes { core: &self.core }
    }

    pub fn progress(&self) -> Progress<'_> {
        Progress { core: &self.core }
    }

    pub fn review(&self) -> Review<'_> {
        Review { core: &self.core }
    }

    pub fn plan(&self) -> Plan<'_> {
        Plan { core: &self.core }
    }

    pub fn search(&self) -> Search<'_> {
        Search { core: &self.core }
    }

    pub fn access(&self) -> Access<'_> {
        Access { core: &self.core }
    }

    pub fn authorization(&self) -> Authorization<'_> {
        Authorization { core: &self.core }
    }

    pub fn health(&self) -> Health<'_> {
        Health { core: &self.core }
    }

    /// Verifies bearer tokens; the doors' rate limits key learners by it.
    pub fn tokens(&self) -> Arc<Tokens> {
        Arc::clone(&self.core.tokens)
    }

    /// Keeps the search index in step with the course and writes deferred activity once a
    /// minute, until the returned jobs are stopped.
    pub fn start_background_jobs(&self) -> BackgroundJobs {
        let refresher = tokio::spawn(refresh_search_index(self.clone()));
        let flusher = tokio::spawn(flush_activity_every_minute(
            self.core.activity.clone(),
            self.core.db.clone(),
        ));
        BackgroundJobs { tasks: vec![refresher, flusher] }
    }

    /// Closes the database and writes the last activity notes. The pool's PostgreSQL
    /// connections were opened on the serving runtimes, which may be gone by now ("a Tokio
    /// context … is being shut down"): the notes go through a fresh pool opened here.
    pub async fn shut_down(&self) -> Result<usize, BuildError> {
        self.core.db.clone().close().await?;
        let fresh = connect(&self.settings.database).await?;
        let written = self.core.activity.flush(&fresh).await;
        fresh.close().await?;
        Ok(written?)
    }
}

/// The running background jobs; dropping them does not stop them, [`BackgroundJobs::stop`]
/// does.
#[derive(Debug)]
pub struct BackgroundJobs {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl BackgroundJobs {
    pub fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

async fn refresh_search_index(app: App) {
    let mut ticks = tokio::time::interval(SEARCH_REFRESH);
    loop {
        ticks.tick().await;
        let started = std::time::Instant::now();
        match app.search().refresh().await {
            Ok(true) => {
                let index = app.core.search.current();
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

/// Reaching behind the services, for tests that arrange or inspect state directly.
#[cfg(feature = "testing")]
impl App {
    pub fn database(&self) -> &Database {
        &self.core.db
    }

    pub fn store(&self) -> &ContentStore {
        &self.core.store
    }

    pub fn activity(&self) -> &Activity {
        &self.core.activity
    }
}
