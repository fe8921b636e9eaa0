//! Authentication and authorisation: JWTs, password hashing, the [`Caller`] extractor and
//! the short-lived cache of each caller's tier, role and timezone.

mod caller;
mod failed_logins;
mod passwords;
mod tokens;

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::account::{Tz, parse_timezone};
use domain::{Role, Tier};
use persistence::Database;
use quick_cache::sync::Cache;
use uuid::Uuid;

pub(crate) use caller::bearer_token;
pub use caller::{Caller, UserRef};
pub use failed_logins::FailedLogins;
pub use passwords::Passwords;
pub use tokens::{IssuedToken, Subject, Tokens};

use crate::ApiError;

/// How long another replica may keep serving a tier it has cached (documented: a tier change
/// reaches other replicas within this time; this replica drops its entry at once).
pub const ACCESS_CACHE_TTL: Duration = Duration::from_secs(5);
/// How long a stale entry keeps being used while one request reloads it.
const RELOAD_GRACE: Duration = Duration::from_secs(1);

/// A user's tier, role and timezone, as an authenticated request needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub tier: Tier,
    pub role: Role,
    pub timezone: Tz,
}

#[derive(Debug, Clone, Copy)]
struct CachedAccess {
    access: Access,
    loaded_at: Instant,
}

/// Tier and role per user, kept a few seconds so that an authenticated read costs no
/// database round trip at steady state.
#[derive(Clone)]
pub struct AccessCache {
    entries: Arc<Cache<Uuid, CachedAccess>>,
}

impl std::fmt::Debug for AccessCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessCache").field("entries", &self.entries.len()).finish()
    }
}

impl Default for AccessCache {
    fn default() -> Self {
        Self { entries: Arc::new(Cache::new(100_000)) }
    }
}

impl AccessCache {
    /// [`Self::get`] for a user a request names: `404 Not Found` when they are gone.
    pub async fn of_named(&self, db: &Database, user: Uuid) -> Result<Access, ApiError> {
        self.get(db, user).await?.ok_or_else(|| ApiError::NotFound(format!("No user {user}.")))
    }

    /// The user's tier, role and timezone, from the cache when fresh; `None` if the user is
    /// gone.
    pub async fn get(&self, db: &Database, user: Uuid) -> Result<Option<Access>, ApiError> {
        if let Some(entry) = self.entries.get(&user) {
            if entry.loaded_at.elapsed() < ACCESS_CACHE_TTL {
                return Ok(Some(entry.access));
            }
            // This request reloads the entry; the learner's other requests keep using it for
            // a moment meanwhile, rather than all asking the database at once (and all
            // stalling with it when it is slow, e.g. during a checkpoint).
            let reloading = Instant::now().checked_sub(ACCESS_CACHE_TTL - RELOAD_GRACE);
            if let Some(loaded_at) = reloading {
                self.entries.insert(user, CachedAccess { access: entry.access, loaded_at });
            }
        }
        let loaded = db.user_access(user).await?.map(|stored| Access {
            tier: stored.tier,
            role: stored.role,
            // Stored timezones were validated on the way in; UTC is the documented default.
            timezone: parse_timezone(&stored.timezone).unwrap_or(Tz::UTC),
        });
        match loaded {
            Some(access) => {
                self.entries.insert(user, CachedAccess { access, loaded_at: Instant::now() });
            }
            None => {
                self.entries.remove(&user);
            }
        }
        Ok(loaded)
    }

    /// Forgets a user, so a change made here applies on their very next request.
    pub fn forget(&self, user: Uuid) {
        self.entries.remove(&user);
    }
}

/// Whether OAuth token families are still honoured, kept a few seconds like [`AccessCache`]:
/// a revocation applies at once on this replica and within [`ACCESS_CACHE_TTL`] elsewhere.
#[derive(Clone)]
pub struct RevocationCache {
    entries: Arc<Cache<Uuid, (bool, Instant)>>,
}

impl std::fmt::Debug for RevocationCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationCache").field("entries", &self.entries.len()).finish()
    }
}

impl Default for RevocationCache {
    fn default() -> Self {
        Self { entries: Arc::new(Cache::new(100_000)) }
    }
}

impl RevocationCache {
    pub async fn is_active(&self, db: &Database, family: Uuid) -> Result<bool, ApiError> {
        if let Some((active, loaded_at)) = self.entries.get(&family)
            && loaded_at.elapsed() < ACCESS_CACHE_TTL
        {
            return Ok(active);
        }
        let active = db.family_active(family).await?;
        self.entries.insert(family, (active, Instant::now()));
        Ok(active)
    }

    pub fn forget(&self, family: Uuid) {
        self.entries.remove(&family);
    }
}

/// Everything authentication needs, shared by all workers.
#[derive(Debug, Clone)]
pub struct Auth {
    pub tokens: Arc<Tokens>,
    /// Signs the OAuth pages' session cookie: the same secret, another issuer, so a session
    /// is never an access token and an access token is never a session.
    pub sessions: Arc<Tokens>,
    pub passwords: Passwords,
    pub access: AccessCache,
    pub revocations: RevocationCache,
    /// Password sign-ins per account that did not succeed.
    pub failed_logins: FailedLogins,
}
