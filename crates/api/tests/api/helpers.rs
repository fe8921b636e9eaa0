use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use api::{
    ApiSettings, AppState, Application, Metrics, ProxyHeader, RateLimitSettings, RateLimits,
    ServeOptions,
};
use app::{
    Activity, App, AppSettings, AuthSettings, DatabaseSettings, OAuthSettings, StorageSettings,
    Tokens,
};
use domain::{AccessPolicy, Email, Role, Tier, TimeZone};
use persistence::{Database, NewUser, PoolOptions};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use storage::{ContentBackend, ContentStore, MemoryBackend, S3Settings};
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
    pub app: App,
    pub db: Database,
    pub tokens: Arc<Tokens>,
    pub activity: Activity,
    pub store: ContentStore,
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
    /// Sign-ins per account that may fail, and within what window.
    pub failed_logins: (u32, Duration),
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
            failed_logins: (10, Duration::from_secs(15 * 60)),
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
                email: Email::parse(&email).unwrap(),
                password_hash: bcrypt::hash(PASSWORD, 4).unwrap(),
                name: String::new(),
                timezone: TimeZone::default(),
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
        metrics_token: None,
    }
}

/// What the test app is built from: a fresh database at `url`, `course` imported into it
/// (unless `None`), chapter bodies in `storage`.
fn app_settings(
    url: &str,
    storage: StorageSettings,
    course: Option<&Path>,
    options: &TestOptions,
) -> AppSettings {
    AppSettings {
        database: DatabaseSettings {
            url: url.to_owned(),
            pool: PoolOptions::default(),
            migrate: true,
        },
        storage,
        auth: AuthSettings {
            jwt_secret: JWT_SECRET.to_vec(),
            jwt_issuer: ISSUER.into(),
            token_lifetime: Duration::from_secs(3600),
            bcrypt_cost: options.bcrypt_cost,
            failed_logins_per_account: options.failed_logins.0,
            failed_login_window: options.failed_logins.1,
        },
        oauth: OAuthSettings::default(),
        access_policy: AccessPolicy { free_chapters: 3 },
        upgrade_url: UPGRADE_URL.into(),
        review_retention: domain::review::Retention::DEFAULT,
        import_on_first_start: course.map(Path::to_path_buf),
    }
}

fn memory(cache_bytes: u64) -> StorageSettings {
    StorageSettings::Backend { backend: Arc::new(MemoryBackend::default()), cache_bytes }
}

fn sqlite_url(folder: &tempfile::TempDir) -> String {
    format!("sqlite://{}?mode=rwc", folder.path().join("api.db").display())
}

/// Spawns the app on a fresh SQLite database with the sample course imported.
pub async fn spawn_app() -> TestApp {
    spawn_app_with_course(&testkit::sample_course()).await
}

/// Spawns the app on a fresh SQLite database with the course package in `course` imported.
pub async fn spawn_app_with_course(course: &Path) -> TestApp {
    let folder = tempfile::tempdir().unwrap();
    let options = TestOptions::default();
    let settings =
        app_settings(&sqlite_url(&folder), memory(8 * 1024 * 1024), Some(course), &options);
    start(settings, folder, options).await
}

/// Spawns the app with the sample course and the given options.
pub async fn spawn_app_with(options: TestOptions) -> TestApp {
    let folder = tempfile::tempdir().unwrap();
    let course = testkit::sample_course();
    let settings =
        app_settings(&sqlite_url(&folder), memory(8 * 1024 * 1024), Some(&course), &options);
    start(settings, folder, options).await
}

/// Spawns the app with the sample course imported into `backend`, behind a cache that
/// holds `cache_bytes`.
pub async fn spawn_app_with_backend(backend: Arc<dyn ContentBackend>, cache_bytes: u64) -> TestApp {
    let folder = tempfile::tempdir().unwrap();
    let options = TestOptions::default();
    let course = testkit::sample_course();
    let storage = StorageSettings::Backend { backend, cache_bytes };
    let settings = app_settings(&sqlite_url(&folder), storage, Some(&course), &options);
    start(settings, folder, options).await
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
    let options = TestOptions::default();
    let settings = app_settings(&fresh.url, memory(8 * 1024 * 1024), Some(course), &options);
    Some(start(settings, tempfile::tempdir().unwrap(), options).await)
}

/// Spawns the app with the sample course imported, serving bodies from an S3 endpoint nobody
/// listens on, as during a store outage.
pub async fn spawn_app_with_unreachable_store() -> TestApp {
    let folder = tempfile::tempdir().unwrap();
    let options = TestOptions::default();
    let course = testkit::sample_course();
    // The course goes in through a scratch store; the app then reads from the dead one.
    let scratch = app_settings(&sqlite_url(&folder), memory(1024), Some(&course), &options);
    App::build(scratch).await.unwrap();
    let dead = StorageSettings::S3 {
        settings: S3Settings {
            endpoint: "http://127.0.0.1:9".into(),
            bucket: "gone".into(),
            access_key_id: "key".into(),
            secret_access_key: "secret".into(),
            region: "auto".into(),
            request_timeout: Duration::from_secs(1),
        },
        cache_bytes: 1024,
    };
    let settings = app_settings(&sqlite_url(&folder), dead, None, &options);
    start(settings, folder, options).await
}

/// Spawns the app on a database nobody listens for, as during an outage.
pub async fn spawn_app_without_database() -> TestApp {
    let options = TestOptions::default();
    let mut settings =
        app_settings("postgres://nobody@127.0.0.1:9/none", memory(1024), None, &options);
    settings.database.pool =
        PoolOptions { acquire_timeout: Duration::from_millis(300), ..PoolOptions::default() };
    settings.database.migrate = false;
    start(settings, tempfile::tempdir().unwrap(), options).await
}

/// Builds the app as the binary does (`App::build`), builds its search index once, and
/// serves it on a free port.
async fn start(
    built_from: AppSettings,
    folder: tempfile::TempDir,
    options: TestOptions,
) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let app = App::build(built_from).await.unwrap();
    // An app without a database starts with an empty index, like a server during an outage.
    let _ = app.search().refresh().await;
    let metrics = Metrics::new(&app);
    let tokens = app.tokens();
    let rate_limits = RateLimits::new(
        options.limits,
        &app,
        options
            .trusted_proxies
            .parse::<api::TrustedProxies>()
            .unwrap()
            .with_header(options.trusted_proxy_header),
        &metrics,
    )
    .unwrap();
    let state = AppState {
        app: app.clone(),
        metrics,
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
    let server = Application::build(state, listener, serve, Arc::new(|_| {})).unwrap();
    let address = format!("http://127.0.0.1:{}", server.port());
    tokio::spawn(server.run_until_stopped());
    let client = reqwest::Client::new();
    let document = client.get(format!("{address}/openapi.json")).send().await.unwrap();
    let contract = Arc::new(Contract::new(document.json().await.unwrap()));
    TestApp {
        address,
        client,
        contract,
        db: app.database().clone(),
        tokens,
        activity: app.activity().clone(),
        store: app.store().clone(),
        app,
        rate_limits,
        _folder: folder,
    }
}

/// Asserts the DESIGN §4 error body and returns its code.
pub fn error_code(body: &Value) -> &str {
    assert!(body["message"].is_string(), "error body lacks a message: {body}");
    body["error"].as_str().unwrap_or_else(|| panic!("error body lacks a code: {body}"))
}
