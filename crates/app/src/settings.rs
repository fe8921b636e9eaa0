//! What the application is built from: filled in by the binary from its configuration, and by
//! tests from their fixtures.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use domain::AccessPolicy;
use domain::review::Retention;
use persistence::PoolOptions;
use storage::{ContentBackend, S3Settings};

/// Everything [`crate::App::build`] needs.
#[derive(Debug, Clone)]
pub struct AppSettings {
    pub database: DatabaseSettings,
    pub storage: StorageSettings,
    pub auth: AuthSettings,
    pub oauth: OAuthSettings,
    /// Which chapters each tier opens.
    pub access_policy: AccessPolicy,
    /// Where a locked resource sends the learner to upgrade.
    pub upgrade_url: String,
    /// The share of review cards a learner should still recall when they fall due (FSRS).
    pub review_retention: Retention,
    /// A course package imported when the database holds no chapters yet.
    pub import_on_first_start: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// `sqlite://…?mode=rwc` or `postgres://…`.
    pub url: String,
    pub pool: PoolOptions,
    /// Apply migrations at build, waiting up to a minute for a database that is still
    /// starting. Off only for a test that starts against a database that is down.
    pub migrate: bool,
}

/// Where chapter bodies are kept.
#[derive(Clone)]
pub enum StorageSettings {
    Folder {
        path: PathBuf,
        cache_bytes: u64,
    },
    S3 {
        settings: S3Settings,
        cache_bytes: u64,
    },
    /// A backend built by the caller (tests: memory, counting or failing backends).
    Backend {
        backend: Arc<dyn ContentBackend>,
        cache_bytes: u64,
    },
}

impl std::fmt::Debug for StorageSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Folder { path, .. } => write!(f, "Folder({})", path.display()),
            Self::S3 { settings, .. } => write!(f, "S3({}/{})", settings.endpoint, settings.bucket),
            Self::Backend { .. } => f.write_str("Backend"),
        }
    }
}

/// Tokens, password hashing and password guessing limits.
#[derive(Clone)]
pub struct AuthSettings {
    pub jwt_secret: Vec<u8>,
    pub jwt_issuer: String,
    /// Lifetime of a token from password login.
    pub token_lifetime: Duration,
    /// bcrypt work factor (production: 12).
    pub bcrypt_cost: u32,
    /// Sign-ins per account that may fail within `failed_login_window`; 0: no limit.
    pub failed_logins_per_account: u32,
    pub failed_login_window: Duration,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings").field("jwt_issuer", &self.jwt_issuer).finish_non_exhaustive()
    }
}

/// Lifetimes of what the OAuth authorization server issues, and the resource it binds tokens to.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// Access tokens issued through OAuth (1 h by default).
    pub access_token_lifetime: Duration,
    /// Refresh tokens (30 days by default); each use rotates it.
    pub refresh_token_lifetime: Duration,
    /// The MCP endpoint's URL (`{public_url}/mcp`): the one resource (RFC 8707) an
    /// authorization may name; its tokens are good there and nowhere else.
    pub mcp_resource: String,
    /// Lets client metadata documents be served over http from 127.0.0.1, for tests; never
    /// set by the binary.
    pub client_documents_over_loopback_http: bool,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        Self {
            access_token_lifetime: Duration::from_secs(3600),
            refresh_token_lifetime: Duration::from_secs(30 * 24 * 3600),
            mcp_resource: "http://localhost:8000/mcp".to_owned(),
            client_documents_over_loopback_http: false,
        }
    }
}
