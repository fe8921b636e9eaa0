//! From settings to a running application: the one `App`, served over HTTP until a signal,
//! then shut down; and how a use case's refusal reads on the command line.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use api::{
    ApiSettings, AppState, Application, Metrics, OtherDoors, RateLimitSettings, RateLimits,
    ServeOptions,
};
use app::{App, AppError, BuildError};

use crate::config::Settings;

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

/// The application, its SQLite folder prepared first.
async fn build(settings: &Settings) -> Result<App, StartError> {
    if let Some(folder) = settings.sqlite_folder() {
        std::fs::create_dir_all(&folder)
            .map_err(|source| StartError::Folder { path: folder.display().to_string(), source })?;
    }
    Ok(App::build(settings.app_settings()).await?)
}

/// Subcommands other than `serve` never import the bundled course.
pub async fn build_for_command(settings: &Settings) -> Result<App, StartError> {
    let mut settings = settings.clone();
    settings.content.import_on_first_start = false;
    build(&settings).await
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
    let rate_limits = RateLimits::new(limits, app, proxies, metrics)
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
    let mcp_app = app.clone();
    let public_url = settings.server.public_url.clone();
    let mcp: OtherDoors = Arc::new(move |config| mcp::configure(config, &mcp_app, &public_url));
    let application = Application::build(state, listener, options, mcp)
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
