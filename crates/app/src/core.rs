//! What every service shares: the database, the content store, the caches and the settings.
//! Built once by [`crate::application::App::build`]; services borrow it.

use std::sync::Arc;

use domain::review::Scheduler;
use domain::{AccessPolicy, Tier};
use persistence::Database;
use search::CourseSearch;
use storage::ContentStore;

use crate::activity::Activity;
use crate::auth::{AccessCache, FailedLogins, Passwords, RevocationCache, Tokens};
use crate::catalog::{ChapterCatalog, QuizCatalog};
use crate::client_documents::ClientDocuments;
use crate::error::AppError;
use crate::probe_cache::HealthCache;
use crate::settings::OAuthSettings;

#[derive(Debug)]
pub(crate) struct Core {
    pub db: Database,
    pub store: ContentStore,
    pub tokens: Arc<Tokens>,
    /// Signs the OAuth pages' session: the same secret, another issuer, so a session is
    /// never an access token and an access token is never a session.
    pub sessions: Arc<Tokens>,
    pub passwords: Passwords,
    pub access: AccessCache,
    pub revocations: RevocationCache,
    /// Password sign-ins per account that did not succeed.
    pub failed_logins: FailedLogins,
    pub chapters: ChapterCatalog,
    pub quizzes: QuizCatalog,
    pub activity: Activity,
    pub search: CourseSearch,
    pub health: HealthCache,
    pub policy: AccessPolicy,
    /// Schedules review cards.
    pub scheduler: Scheduler,
    pub upgrade_url: String,
    pub oauth: OAuthSettings,
    /// OAuth clients known by a metadata document at their `client_id` URL.
    pub client_documents: ClientDocuments,
}

impl Core {
    /// Ok when `tier` opens the chapter with this order, else `UpgradeRequired` with the tier
    /// that would and where to upgrade.
    pub fn require_access(&self, tier: Tier, chapter_order: u32) -> Result<(), AppError> {
        let access = self.policy.decide(tier, chapter_order);
        if access.granted {
            Ok(())
        } else {
            Err(AppError::UpgradeRequired {
                required_tier: access.required_tier,
                upgrade_url: self.upgrade_url.clone(),
            })
        }
    }
}
