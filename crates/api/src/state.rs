use persistence::Database;
use storage::ContentStore;

/// Settings the HTTP layer needs, filled in by the server from its configuration.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Base URL clients reach us at; the `servers` entry of the OpenAPI document.
    pub public_url: String,
    /// Reported by `/health` and in the OpenAPI document.
    pub version: String,
}

/// What every handler can reach: cheap to clone (pools and `Arc`s inside).
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Database,
    pub store: ContentStore,
    pub settings: ApiSettings,
}
