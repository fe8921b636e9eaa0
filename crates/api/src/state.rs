use app::App;

use crate::metrics::Metrics;

/// Settings the HTTP layer needs, filled in by the server from its configuration.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Base URL clients reach us at; the `servers` entry of the OpenAPI document.
    pub public_url: String,
    /// Reported by `/health` and in the OpenAPI document.
    pub version: String,
    /// Bearer token `/metrics` requires; `None`: open.
    pub metrics_token: Option<String>,
}

/// What every handler can reach: cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: Metrics,
    pub settings: ApiSettings,
}
