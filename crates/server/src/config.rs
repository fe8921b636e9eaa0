//! Typed configuration, layered: embedded `config/default.toml` → `config/<APP_ENV>.toml` →
//! `APP__SECTION__KEY` variables → the seed's variable names.

use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// Seed variable name → configuration key. These names are the documented interface.
const SEED_VARIABLES: [(&str, &str); 18] = [
    ("JWT_SECRET", "auth.jwt_secret"),
    ("JWT_EXPIRATION_HOURS", "auth.jwt_expiration_hours"),
    ("BCRYPT_COST", "auth.bcrypt_cost"),
    ("DATABASE_URL", "database.url"),
    ("PORT", "server.port"),
    ("PUBLIC_URL", "server.public_url"),
    ("LOG_FORMAT", "log.format"),
    ("R2_ENDPOINT_URL", "storage.s3_endpoint"),
    ("R2_ACCESS_KEY_ID", "storage.s3_access_key_id"),
    ("R2_SECRET_ACCESS_KEY", "storage.s3_secret_access_key"),
    ("R2_BUCKET", "storage.s3_bucket"),
    ("CORS_ORIGINS", "server.cors_origins"),
    ("TRUSTED_PROXIES", "server.trusted_proxies"),
    ("TRUSTED_PROXY_HEADER", "server.trusted_proxy_header"),
    ("METRICS_TOKEN", "server.metrics_token"),
    ("OAUTH_CLIENT_RATE_LIMIT_PER_MINUTE", "rate_limit.oauth_client_per_minute"),
    ("RATE_LIMIT_PER_MINUTE", "rate_limit.per_minute"),
    ("AUTH_RATE_LIMIT_PER_MINUTE", "rate_limit.auth_per_minute"),
];

/// Everything the server reads at start-up. See `config/default.toml` for each key.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub storage: StorageSettings,
    pub content: ContentSettings,
    pub auth: AuthSettings,
    pub access: AccessSettings,
    pub review: ReviewSettings,
    pub rate_limit: RateLimitConfig,
    pub oauth: OAuthConfig,
    pub log: LogSettings,
}

/// The secret the development configuration ships with; production refuses it.
const DEVELOPMENT_JWT_SECRET: &str = "development-only-secret-do-not-use";
const MIN_PRODUCTION_SECRET_BYTES: usize = 32;

#[derive(Clone, Deserialize)]
pub struct AuthSettings {
    /// HS256 signing secret.
    pub jwt_secret: String,
    /// Token lifetime in hours.
    pub jwt_expiration_hours: u64,
    /// `iss` claim.
    pub jwt_issuer: String,
    /// bcrypt work factor (4–31).
    pub bcrypt_cost: u32,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("jwt_expiration_hours", &self.jwt_expiration_hours)
            .field("bcrypt_cost", &self.bcrypt_cost)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReviewSettings {
    /// FSRS desired retention: the share of cards a learner should still recall when due.
    pub desired_retention: f64,
}

impl ReviewSettings {
    fn retention(&self) -> Result<domain::review::Retention, ConfigError> {
        domain::review::Retention::parse(self.desired_retention).ok_or_else(|| {
            ConfigError::Inconsistent(
                "review.desired_retention must be between 0.70 and 0.97".into(),
            )
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AccessSettings {
    /// Chapters (by order) the free tier opens.
    pub free_chapters: u32,
    /// Upgrade page; empty means `<public_url>/upgrade`.
    pub upgrade_url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Interface to listen on.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Base URL clients use; the OpenAPI `servers` entry.
    pub public_url: String,
    /// Seconds in-flight requests get after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// Seconds a request may take before it is answered 503.
    pub request_timeout_secs: u64,
    /// Comma-separated origins browsers may call from; empty: no cross-origin access.
    pub cors_origins: String,
    /// Comma-separated IPs/CIDR ranges of proxies whose client-IP header we believe.
    pub trusted_proxies: String,
    /// The one header those proxies name the client in.
    pub trusted_proxy_header: String,
    /// Bearer token `/metrics` requires; empty: open.
    pub metrics_token: String,
}

impl ServerSettings {
    pub fn cors_origins(&self) -> Vec<String> {
        self.cors_origins
            .split(',')
            .map(|origin| origin.trim().trim_end_matches('/').to_owned())
            .filter(|origin| !origin.is_empty())
            .collect()
    }

    pub fn trusted_proxies(&self) -> Result<api::TrustedProxies, String> {
        let proxies: api::TrustedProxies = self
            .trusted_proxies
            .parse()
            .map_err(|error: api::InvalidProxy| format!("TRUSTED_PROXIES: {error}"))?;
        let header: api::ProxyHeader = self
            .trusted_proxy_header
            .parse()
            .map_err(|error: api::UnknownProxyHeader| format!("TRUSTED_PROXY_HEADER: {error}"))?;
        Ok(proxies.with_header(header))
    }

    /// Whether only this machine can connect (a loopback address or `localhost`).
    fn listens_on_loopback_only(&self) -> bool {
        self.host == "localhost"
            || self.host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

/// Lifetimes of what the OAuth authorization server issues.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct OAuthConfig {
    /// Minutes an OAuth access token lives.
    pub access_token_minutes: u64,
    /// Days a refresh token lives (each use rotates it).
    pub refresh_token_days: u64,
}

/// Requests per minute; `0` switches a limit off. Limits are per replica.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct RateLimitConfig {
    /// Per learner (verified token), else per client IP (env: RATE_LIMIT_PER_MINUTE).
    pub per_minute: u32,
    /// Login and registration, per client IP (env: AUTH_RATE_LIMIT_PER_MINUTE).
    pub auth_per_minute: u32,
    /// `/oauth/token` per authenticated client (env: OAUTH_CLIENT_RATE_LIMIT_PER_MINUTE).
    pub oauth_client_per_minute: u32,
    /// Password sign-ins per account that may fail within the window, from any IP.
    pub login_failures_per_account: u32,
    /// Minutes of that window.
    pub login_failure_window_minutes: u64,
    /// Seconds between prunings of idle buckets.
    pub prune_interval_secs: u64,
}

#[derive(Clone, Deserialize)]
pub struct DatabaseSettings {
    /// SQLite or PostgreSQL URL.
    pub url: String,
    /// Pool size per replica.
    pub max_connections: u32,
    /// Seconds to wait for a pooled connection.
    pub acquire_timeout_secs: u64,
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password.
        f.debug_struct("DatabaseSettings")
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Deserialize)]
pub struct StorageSettings {
    /// Folder used when `s3_endpoint` is empty.
    pub local_dir: PathBuf,
    /// In-memory cache of raw chapter bodies, MiB: used when chapter responses are rendered
    /// (again after an import); the rendered responses are kept apart from it.
    pub cache_mib: u64,
    /// S3-compatible endpoint; non-empty selects the S3 backend.
    pub s3_endpoint: String,
    pub s3_bucket: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
    /// Signing region (`auto` for R2).
    pub s3_region: String,
    /// Per-request timeout, seconds.
    pub s3_timeout_secs: u64,
}

impl std::fmt::Debug for StorageSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageSettings")
            .field("local_dir", &self.local_dir)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_bucket", &self.s3_bucket)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ContentSettings {
    /// Package imported on first start.
    pub bundled_dir: PathBuf,
    pub import_on_first_start: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Plain,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    /// Default filter; `RUST_LOG` overrides.
    pub level: String,
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("APP_ENV must be development, test or production, not `{0}`")]
    UnknownEnvironment(String),
    #[error("configuration: {0}")]
    Invalid(#[from] config::ConfigError),
    #[error("configuration: {0}")]
    Inconsistent(String),
}

impl Settings {
    /// Loads from the real process environment and `./config`.
    pub fn load() -> Result<Self, ConfigError> {
        // An empty variable counts as unset, so `JWT_SECRET=` cannot blank the secret.
        let lookup = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let config_dir = lookup("APP_CONFIG_DIR").unwrap_or_else(|| "config".into());
        Self::load_from(Path::new(&config_dir), lookup, Environment::with_prefix("APP"))
    }

    fn load_from(
        config_dir: &Path,
        lookup: impl Fn(&str) -> Option<String>,
        environment: Environment,
    ) -> Result<Self, ConfigError> {
        let app_env = lookup("APP_ENV").unwrap_or_else(|| "development".into());
        if !["development", "test", "production"].contains(&app_env.as_str()) {
            return Err(ConfigError::UnknownEnvironment(app_env));
        }
        let overlay = config_dir.join(&app_env);
        let mut builder = Config::builder()
            .add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml))
            .add_source(File::from(overlay).format(FileFormat::Toml).required(false))
            .add_source(environment.prefix_separator("__").separator("__").try_parsing(true));
        for (variable, key) in SEED_VARIABLES {
            builder = builder.set_override_option(key, lookup(variable))?;
        }
        let settings: Self = builder.build()?.try_deserialize()?;
        settings.check(app_env == "production")?;
        Ok(settings)
    }

    fn check(&self, production: bool) -> Result<(), ConfigError> {
        let secret = &self.auth.jwt_secret;
        if secret.is_empty() {
            return Err(ConfigError::Inconsistent("JWT_SECRET must not be empty".into()));
        }
        if secret == DEVELOPMENT_JWT_SECRET && !self.server.listens_on_loopback_only() {
            return Err(ConfigError::Inconsistent(format!(
                "the server listens on {} but JWT_SECRET is the development secret, with which anyone can sign tokens: set JWT_SECRET to a random secret of at least {MIN_PRODUCTION_SECRET_BYTES} bytes",
                self.server.host
            )));
        }
        if production
            && (secret == DEVELOPMENT_JWT_SECRET || secret.len() < MIN_PRODUCTION_SECRET_BYTES)
        {
            return Err(ConfigError::Inconsistent(format!(
                "APP_ENV=production needs JWT_SECRET set to a random secret of at least {MIN_PRODUCTION_SECRET_BYTES} bytes"
            )));
        }
        if !(4..=31).contains(&self.auth.bcrypt_cost) {
            return Err(ConfigError::Inconsistent("BCRYPT_COST must be between 4 and 31".into()));
        }
        self.server.trusted_proxies().map_err(ConfigError::Inconsistent)?;
        self.review.retention()?;
        for origin in self.server.cors_origins() {
            let valid = origin.parse::<actix_web::http::Uri>().is_ok_and(|uri| {
                matches!(uri.scheme_str(), Some("http" | "https"))
                    && uri.host().is_some()
                    && uri.path() == "/"
            });
            if !valid {
                return Err(ConfigError::Inconsistent(format!(
                    "CORS_ORIGINS: `{origin}` is not an origin like https://app.example.com"
                )));
            }
        }
        let s3 = &self.storage;
        if !s3.s3_endpoint.is_empty()
            && (s3.s3_access_key_id.is_empty() || s3.s3_secret_access_key.is_empty())
        {
            return Err(ConfigError::Inconsistent(
                "R2_ENDPOINT_URL is set but R2_ACCESS_KEY_ID or R2_SECRET_ACCESS_KEY is empty"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The database URL with what sea-orm's SQLite driver needs: `mode=rwc`, so the file is
    /// created on first start.
    pub fn database_url(&self) -> String {
        let url = &self.database.url;
        if url.starts_with("sqlite:") && !url.contains("mode=") {
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}mode=rwc")
        } else {
            url.clone()
        }
    }

    /// The folder of the SQLite file, if the database is SQLite on disk.
    pub fn sqlite_folder(&self) -> Option<PathBuf> {
        let path = self.database.url.strip_prefix("sqlite:")?;
        let path = path.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        Path::new(path).parent().map(Path::to_path_buf)
    }

    pub fn upgrade_url(&self) -> String {
        if self.access.upgrade_url.is_empty() {
            format!("{}/upgrade", self.server.public_url.trim_end_matches('/'))
        } else {
            self.access.upgrade_url.clone()
        }
    }

    pub fn s3_timeout(&self) -> Duration {
        Duration::from_secs(self.storage.s3_timeout_secs)
    }

    /// What the application is built from.
    pub fn app_settings(&self) -> app::AppSettings {
        let storage = &self.storage;
        let cache_bytes = storage.cache_mib.saturating_mul(1024 * 1024);
        let auth = &self.auth;
        app::AppSettings {
            database: app::DatabaseSettings {
                url: self.database_url(),
                pool: app::PoolOptions {
                    max_connections: self.database.max_connections,
                    acquire_timeout: Duration::from_secs(self.database.acquire_timeout_secs),
                    ..app::PoolOptions::default()
                },
                migrate: true,
            },
            storage: if storage.s3_endpoint.is_empty() {
                app::StorageSettings::Folder { path: storage.local_dir.clone(), cache_bytes }
            } else {
                app::StorageSettings::S3 {
                    settings: app::S3Settings {
                        endpoint: storage.s3_endpoint.clone(),
                        bucket: storage.s3_bucket.clone(),
                        access_key_id: storage.s3_access_key_id.clone(),
                        secret_access_key: storage.s3_secret_access_key.clone(),
                        region: storage.s3_region.clone(),
                        request_timeout: self.s3_timeout(),
                    },
                    cache_bytes,
                }
            },
            auth: app::AuthSettings {
                jwt_secret: auth.jwt_secret.as_bytes().to_vec(),
                jwt_issuer: auth.jwt_issuer.clone(),
                token_lifetime: Duration::from_secs(auth.jwt_expiration_hours.saturating_mul(3600)),
                bcrypt_cost: auth.bcrypt_cost,
                failed_logins_per_account: self.rate_limit.login_failures_per_account,
                failed_login_window: Duration::from_secs(
                    self.rate_limit.login_failure_window_minutes.saturating_mul(60),
                ),
            },
            oauth: app::OAuthSettings {
                access_token_lifetime: Duration::from_secs(
                    self.oauth.access_token_minutes.saturating_mul(60),
                ),
                refresh_token_lifetime: Duration::from_secs(
                    self.oauth.refresh_token_days.saturating_mul(24 * 3600),
                ),
                mcp_resource: format!("{}/mcp", self.server.public_url.trim_end_matches('/')),
                client_documents_over_loopback_http: false,
            },
            access_policy: domain::AccessPolicy { free_chapters: self.access.free_chapters },
            upgrade_url: self.upgrade_url(),
            // Checked when the settings were loaded.
            review_retention: self.review.retention().unwrap_or(domain::review::Retention::DEFAULT),
            import_on_first_start: self
                .content
                .import_on_first_start
                .then(|| self.content.bundled_dir.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let app_vars = vars.clone();
        let environment = Environment::with_prefix("APP").source(Some(app_vars));
        let config_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
        Settings::load_from(&config_dir, |name| vars.get(name).cloned(), environment)
    }

    #[test]
    fn with_no_variables_the_embedded_default_is_sqlite_and_a_local_folder() {
        let settings = load(&[]).unwrap();
        assert!(settings.database_url().starts_with("sqlite://data/companion.db"));
        assert_eq!(settings.sqlite_folder(), Some(PathBuf::from("data")));
        assert!(settings.storage.s3_endpoint.is_empty());
        assert_eq!(settings.server.port, 8000);
    }

    #[test]
    fn the_seed_variable_names_work_as_they_are() {
        let settings = load(&[
            ("DATABASE_URL", "postgres://u@h/db"),
            ("PORT", "9001"),
            ("R2_ENDPOINT_URL", "http://127.0.0.1:9000"),
            ("R2_ACCESS_KEY_ID", "key"),
            ("R2_SECRET_ACCESS_KEY", "secret"),
            ("R2_BUCKET", "bucket"),
        ])
        .unwrap();
        assert_eq!(settings.database_url(), "postgres://u@h/db");
        assert_eq!(settings.sqlite_folder(), None);
        assert_eq!(settings.server.port, 9001);
        assert_eq!(settings.storage.s3_endpoint, "http://127.0.0.1:9000");
        assert_eq!(settings.storage.s3_bucket, "bucket");
    }

    #[test]
    fn any_key_can_be_set_as_app_section_key() {
        let settings =
            load(&[("APP__STORAGE__CACHE_MIB", "7"), ("APP__LOG__FORMAT", "json")]).unwrap();
        assert_eq!(settings.storage.cache_mib, 7);
        assert_eq!(settings.log.format, LogFormat::Json);
    }

    #[test]
    fn production_refuses_the_development_secret_or_a_short_one_in_one_line() {
        for secret in [None, Some("short-secret")] {
            let mut vars = vec![("APP_ENV", "production")];
            vars.extend(secret.map(|s| ("JWT_SECRET", s)));
            let error = load(&vars).unwrap_err().to_string();
            assert!(error.contains("JWT_SECRET") && !error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn the_seed_auth_variables_work_as_they_are() {
        let settings =
            load(&[("JWT_SECRET", "s"), ("JWT_EXPIRATION_HOURS", "2"), ("BCRYPT_COST", "5")])
                .unwrap();
        assert_eq!(settings.auth.jwt_secret, "s");
        assert_eq!(settings.auth.jwt_expiration_hours, 2);
        assert_eq!(settings.auth.bcrypt_cost, 5);
        assert!(load(&[("BCRYPT_COST", "3")]).is_err());
    }

    #[test]
    fn the_development_secret_is_refused_whenever_the_server_listens_beyond_loopback() {
        for app_env in ["development", "test"] {
            for host in ["0.0.0.0", "::", "192.0.2.10"] {
                let error = load(&[("APP_ENV", app_env), ("APP__SERVER__HOST", host)])
                    .unwrap_err()
                    .to_string();
                assert!(error.contains("JWT_SECRET") && !error.contains('\n'), "{error}");
            }
        }
        for host in ["127.0.0.1", "::1", "localhost"] {
            assert!(load(&[("APP__SERVER__HOST", host)]).is_ok(), "{host}");
        }
        let secret = "x".repeat(32);
        assert!(load(&[("APP__SERVER__HOST", "0.0.0.0"), ("JWT_SECRET", &secret)]).is_ok());
    }

    #[test]
    fn the_proxy_header_is_one_of_the_supported_kinds() {
        let settings = load(&[
            ("TRUSTED_PROXIES", "10.0.0.0/8"),
            ("TRUSTED_PROXY_HEADER", "fly-client-ip"),
            ("METRICS_TOKEN", "scrape-me"),
            ("OAUTH_CLIENT_RATE_LIMIT_PER_MINUTE", "500"),
        ])
        .unwrap();
        assert!(settings.server.trusted_proxies().is_ok());
        assert_eq!(settings.server.metrics_token, "scrape-me");
        assert_eq!(settings.rate_limit.oauth_client_per_minute, 500);
        let error = load(&[("TRUSTED_PROXY_HEADER", "x-real-ip")]).unwrap_err().to_string();
        assert!(error.contains("TRUSTED_PROXY_HEADER"), "{error}");
    }

    #[test]
    fn a_desired_review_retention_outside_seventy_to_ninety_seven_percent_is_refused() {
        assert!(matches!(
            load(&[("APP__REVIEW__DESIRED_RETENTION", "0.5")]),
            Err(ConfigError::Inconsistent(_))
        ));
        let settings = load(&[("APP__REVIEW__DESIRED_RETENTION", "0.85")]).unwrap();
        assert_eq!(settings.app_settings().review_retention.get(), 0.85);
    }

    #[test]
    fn the_upgrade_url_defaults_to_the_public_url() {
        let settings = load(&[("PUBLIC_URL", "https://api.example.com/")]).unwrap();
        assert_eq!(settings.upgrade_url(), "https://api.example.com/upgrade");
    }

    #[test]
    fn the_production_overlay_listens_everywhere_and_logs_json() {
        let secret = "x".repeat(32);
        let settings = load(&[("APP_ENV", "production"), ("JWT_SECRET", &secret)]).unwrap();
        assert_eq!(settings.server.host, "0.0.0.0");
        assert_eq!(settings.log.format, LogFormat::Json);
    }

    #[test]
    fn an_unknown_app_env_or_half_an_s3_setup_is_refused() {
        assert!(matches!(load(&[("APP_ENV", "staging")]), Err(ConfigError::UnknownEnvironment(_))));
        assert!(matches!(
            load(&[("R2_ENDPOINT_URL", "http://x")]),
            Err(ConfigError::Inconsistent(_))
        ));
    }

    #[test]
    fn a_sqlite_url_without_mode_gets_read_write_create() {
        let settings = load(&[("DATABASE_URL", "sqlite:///tmp/x.db")]).unwrap();
        assert_eq!(settings.database_url(), "sqlite:///tmp/x.db?mode=rwc");
        assert_eq!(settings.sqlite_folder(), Some(PathBuf::from("/tmp")));
    }
}
