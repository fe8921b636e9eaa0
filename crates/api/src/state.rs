use domain::{AccessPolicy, Tier};
use persistence::Database;
use search::CourseSearch;
use storage::ContentStore;

use crate::ApiError;
use crate::activity::Activity;
use crate::auth::Auth;
use crate::catalog::{ChapterCatalog, QuizCatalog};
use crate::health_cache::HealthCache;
use crate::metrics::Metrics;
use crate::oauth::OAuthSettings;

/// Settings the HTTP layer needs, filled in by the server from its configuration.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Base URL clients reach us at; the `servers` entry of the OpenAPI document.
    pub public_url: String,
    /// Reported by `/health` and in the OpenAPI document.
    pub version: String,
    /// Which chapters each tier opens.
    pub access_policy: AccessPolicy,
    /// Where a locked read sends the learner to upgrade.
    pub upgrade_url: String,
    /// Lifetimes of what the OAuth authorization server issues.
    pub oauth: OAuthSettings,
    /// Bearer token `/metrics` requires; `None`: open.
    pub metrics_token: Option<String>,
}

impl ApiSettings {
    /// Ok when `tier` opens the chapter with this order, else 403 `upgrade_required` with
    /// the tier that would and where to upgrade.
    pub fn require_access(&self, tier: Tier, chapter_order: u32) -> Result<(), ApiError> {
        let access = self.access_policy.decide(tier, chapter_order);
        if access.granted {
            Ok(())
        } else {
            Err(ApiError::UpgradeRequired {
                required_tier: access.required_tier,
                upgrade_url: self.upgrade_url.clone(),
            })
        }
    }
}

/// What every handler can reach: cheap to clone (pools and `Arc`s inside).
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Database,
    pub store: ContentStore,
    pub auth: Auth,
    pub chapters: ChapterCatalog,
    pub quizzes: QuizCatalog,
    pub activity: Activity,
    pub search: CourseSearch,
    pub metrics: Metrics,
    pub health: HealthCache,
    pub settings: ApiSettings,
}
