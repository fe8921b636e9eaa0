use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use api::activity::Activity;
use api::auth::{AccessCache, Auth, FailedLogins, Passwords, RevocationCache, Tokens};
use api::{
    ApiSettings, AppState, Application, ChapterCatalog, HealthCache, Metrics, ProxyHeader,
    QuizCatalog, RateLimitSettings, RateLimits, ServeOptions,
};
use domain::{AccessPolicy, Role, Tier};
use persistence::{Database, NewUser, PoolOptions};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use storage::{ContentBackend, ContentStore, MemoryBackend, S3Backend, S3Settings};
use uuid::Uuid;

use crate::contract::Contract;

pub const JWT_SECRET: &[u8] = b"test-secret-that-is-long-enough-for-hs256";
pub const ISSUER: &str = "course-companion";
pub const UPGRADE_URL: &str = "https://example.com/upgrade";
pub const PASSWORD: &str = "correct horse 1";

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Database,
    pub tokens: Arc<Tokens>,
    pub activity: Activity,
    pub store: ContentStore,
    pub search: search::CourseSearch,
    pub rate_limits: RateLimits,
    /// The served `/openapi.json`: every JSON answer is checked against it.
    pub contract: Arc<Contract>,
    _folder: tempfile::TempDir,
}

/// How a test app runs: by default with rate limits off, so tests may sign up freely.
#[derive(Debug, Clone)]
pub struct TestOptions {
    pub limits: RateLimitSettings,
    pub trusted_proxies: &'static str,
    pub trusted_proxy_header: ProxyHeader,
    /// bcrypt work factor (production: 12).
    pub bcrypt_cost: u32,
    pub failed_logins: FailedLogins,
    pub metrics_token: Option<String>,
    pub request_timeout: Duration,
    pub cors_origins: Vec<String>,
    pub public_url: &'static str,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            limits: RateLimitSettings {
                per_minute: 0,
                auth_per_minute: 0,
                oauth_client_per_minute: 0,
            },
            trusted_proxies: "",
            trusted_proxy_header: ProxyHeader::default(),
            bcrypt_cost: 4,
            failed_logins: FailedLogins::default(),
            metrics_token: None,
            request_timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            public_url: "http://localhost:8000",
        }
    }
}

/// A signed-up learner.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub token: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends a request and returns the status, headers and JSON body (`null` when empty),
    /// after checking the body leaks no password hash. Every test request goes through here.
    pub async fn send_full(&self, request: reqwest::RequestBuilder) -> (u16, HeaderMap, Value) {
        let (client, request) = request.build_split();
        let request = request.unwrap();
        let (method, path) =
            (request.method().as_str().to_lowercase(), request.url().path().to_owned());
        let response = client.execute(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        testkit::assert_no_secret(&text);
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
        if path != "/openapi.json" {
            self.contract.check(&method, &path, status, &body);
        }
        (status, headers, body)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let (status, _, body) = self.send_full(request).await;
        (status, body)
    }

    /// GET without a token.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn get_as(&self, user: &TestUser, path: &str) -> (u16, Value) {
        self.send(self.client.get(self.url(path)).bearer_auth(&user.token)).await
    }

    pub async fn post_as(&self, user: &TestUser, path: &str, body: &Value) -> (u16, Value) {
        self.send(self.client.post(self.url(path)).bearer_auth(&user.token).json(body)).await
    }

    pub async fn patch_as(&self, user: &TestUser, path: &str, body: &Value) -> (u16, Value) {
        self.send(self.client.patch(self.url(path)).bearer_auth(&user.token).json(body)).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    /// Registers a learner through the API (free tier, student role).
    pub async fn register(&self, email: &str) -> TestUser {
        let (status, body) = self
            .post_json("/api/v1/auth/register", &json!({ "email": email, "password": PASSWORD }))
            .await;
        assert_eq!(status, 201, "{body}");
        TestUser {
            id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
            token: body["access_token"].as_str().unwrap().to_owned(),
        }
    }

    /// A user with the given tier and role, created in the database as `companion user
    /// create` does, then signed in through the API.
    pub async fn user_with(&self, tier: Tier, role: Role) -> TestUser {
        let email = format!("{}-{}@example.com", tier.as_str(), Uuid::new_v4().simple());
        self.db
            .create_user(NewUser {
                email: email.clone(),
                password_hash: bcrypt::hash(PASSWORD, 4).unwrap(),
                name: String::new(),
                timezone: "UTC".into(),
                background: String::new(),
                tier,
                role,
            })
            .await
            .unwrap();
        self.login(&email).await
    }

    pub async fn login(&self, email: &str) -> TestUser {
        let (status, body) = self
            .post_json("/api/v1/auth/login", &json!({ "email": email, "password": PASSWORD }))
            .await;
        assert_eq!(status, 200, "{body}");
        TestUser {
            id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
            token: body["access_token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn learner(&self, tier: Tier) -> TestUser {
        self.user_with(tier, Role::Student).await
    }
}

pub fn settings() -> ApiSettings {
    ApiSettings {
        public_url: TestOptions::default().public_url.into(),
        version: "test".into(),
        access_policy: AccessPolicy { free_chapters: 3 },
        upgrade_url: UPGRADE_URL.into(),
        oauth: api::oauth::OAuthSettings::default(),
        metrics_token: None,
    }
}

/// Spawns the app on a fresh SQLite database with the sample course imported.
pub async fn spawn_app() -> TestApp {
    spawn_app_with_course(&testkit::sample_course()).await
}

/// Spawns the app on a fresh SQLite database with the course package in `course` imported.
pub async fn spawn_app_with_course(course: &Path) -> TestApp {
    let store = ContentStore::new(Arc::new(MemoryBackend::default()), 8 * 1024 * 1024);
    let (db, folder) = course_database(&store, course, None).await;
    start(db, store, folder, TestOptions::default()).await
}

/// Spawns the app with the sample course and the given options.
pub async fn spawn_app_with(options: TestOptions) -> TestApp {
    let store = ContentStore::new(Arc::new(MemoryBackend::default()), 8 * 1024 * 1024);
    let (db, folder) = course_database(&store, &testkit::sample_course(), None).await;
    start(db, store, folder, options).await
}

/// Spawns the app with the sample course imported into `backend`, behind a cache that
/// holds `cache_bytes`.
pub async fn spawn_app_with_backend(backend: Arc<dyn ContentBackend>, cache_bytes: u64) -> TestApp {
    let store = ContentStore::new(backend, cache_bytes);
    let (db, folder) = course_database(&store, &testkit::sample_course(), None).await;
    start(db, store, folder, TestOptions::default()).await
}

/// Spawns the app on a fresh PostgreSQL database when `TEST_DATABASE_URL` is set.
pub async fn spawn_app_on_postgres(test: &str) -> Option<TestApp> {
    spawn_app_on_postgres_with_course(test, &testkit::sample_course()).await
}

/// Spawns the app on a fresh PostgreSQL database, with the course package in `course`
/// imported, when `TEST_DATABASE_URL` is set.
pub async fn spawn_app_on_postgres_with_course(test: &str, course: &Path) -> Option<TestApp> {
    // Each caller names itself, so the skip notice says which test did not run.
    let fresh = testkit::fresh_postgres(test).await?;
    let store = ContentStore::new(Arc::new(MemoryBackend::default()), 8 * 1024 * 1024);
    let (db, folder) = course_database(&store, course, Some(&fresh.url)).await;
    Some(start(db, store, folder, TestOptions::default()).await)
}

/// A fresh database (SQLite unless `url` is given) with `course` imported, its bodies put in
/// `store`.
async fn course_database(
    store: &ContentStore,
    course: &Path,
    url: Option<&str>,
) -> (Database, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}?mode=rwc", folder.path().join("api.db").display());
    let db = Database::connect(url.unwrap_or(&sqlite), &PoolOptions::default()).await.unwrap();
    db.migrate().await.unwrap();
    let package = importer::read_package(course).unwrap();
    importer::import(&db, store, &package, &importer::Silent).await.unwrap();
    (db, folder)
}

/// Spawns the app with the sample course imported, serving bodies from an S3 endpoint nobody
/// listens on, as during a store outage.
pub async fn spawn_app_with_unreachable_store() -> TestApp {
    let scratch = ContentStore::new(Arc::new(MemoryBackend::default()), 1024);
    let (db, folder) = course_database(&scratch, &testkit::sample_course(), None).await;
    let dead = S3Backend::new(&S3Settings {
        endpoint: "http://127.0.0.1:9".into(),
        bucket: "gone".into(),
        access_key_id: "key".into(),
        secret_access_key: "secret".into(),
        region: "auto".into(),
        request_timeout: Duration::from_secs(1),
    })
    .unwrap();
    start(db, ContentStore::new(Arc::new(dead), 1024), folder, TestOptions::default()).await
}

/// Spawns the app on a database nobody listens for, as during an outage.
pub async fn spawn_app_without_database() -> TestApp {
    let pool =
        PoolOptions { acquire_timeout: Duration::from_millis(300), ..PoolOptions::default() };
    let db = Database::connect("postgres://nobody@127.0.0.1:9/none", &pool).await.unwrap();
    let store = ContentStore::new(Arc::new(MemoryBackend::default()), 1024);
    start(db, store, tempfile::tempdir().unwrap(), TestOptions::default()).await
}

async fn start(
    db: Database,
    store: ContentStore,
    folder: tempfile::TempDir,
    options: TestOptions,
) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let tokens = Arc::new(Tokens::new(JWT_SECRET, ISSUER, Duration::from_secs(3600)));
    let auth = Auth {
        tokens: Arc::clone(&tokens),
        sessions: Arc::new(Tokens::new(
            JWT_SECRET,
            "course-companion/oauth-session",
            Duration::from_secs(3600),
        )),
        passwords: Passwords::new(options.bcrypt_cost),
        access: AccessCache::default(),
        revocations: RevocationCache::default(),
        failed_logins: options.failed_logins,
    };
    let activity = Activity::default();
    let search = api::search_index::empty(settings().access_policy).unwrap();
    // An app without a database starts with an empty index, like a server during an outage.
    let _ = api::search_index::refresh(&db, &store, &search).await;
    let metrics = Metrics::new(&db, &store);
    let rate_limits = RateLimits::new(
        options.limits,
        &tokens,
        options
            .trusted_proxies
            .parse::<api::TrustedProxies>()
            .unwrap()
            .with_header(options.trusted_proxy_header),
        &metrics,
    )
    .unwrap();
    let state = AppState {
        db: db.clone(),
        store: store.clone(),
        auth,
        chapters: ChapterCatalog::default(),
        quizzes: QuizCatalog::default(),
        activity: activity.clone(),
        search: search.clone(),
        metrics,
        health: HealthCache::default(),
        settings: ApiSettings {
            public_url: options.public_url.into(),
            metrics_token: options.metrics_token,
            ..settings()
        },
    };
    let serve = ServeOptions {
        shutdown_timeout_secs: 1,
        request_timeout: options.request_timeout,
        cors_origins: options.cors_origins,
        rate_limits: rate_limits.clone(),
    };
    let app = Application::build(state, listener, serve).unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let document = client.get(format!("{address}/openapi.json")).send().await.unwrap();
    let contract = Arc::new(Contract::new(document.json().await.unwrap()));
    TestApp {
        address,
        client,
        contract,
        db,
        tokens,
        activity,
        store,
        search,
        rate_limits,
        _folder: folder,
    }
}

/// Asserts the DESIGN §4 error body and returns its code.
pub fn error_code(body: &Value) -> &str {
    assert!(body["message"].is_string(), "error body lacks a message: {body}");
    body["error"].as_str().unwrap_or_else(|| panic!("error body lacks a code: {body}"))
}
