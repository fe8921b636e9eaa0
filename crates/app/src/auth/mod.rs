//! Who is calling and what they may do: JWTs, password hashing and its queue, password
//! guessing limits, the short-lived caches of each user's tier, role and timezone and of
//! revoked token families, and the [`Caller`] every use case is asked on behalf of.

mod caller;
mod failed_logins;
mod passwords;
mod tokens;

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::{Role, Tier, TimeZone};
use persistence::Database;
use quick_cache::sync::Cache;
use uuid::Uuid;

pub use caller::{Caller, UserRef};
pub use failed_logins::FailedLogins;
pub use passwords::Passwords;
pub use tokens::{IssuedToken, Subject, Tokens};

use crate::error::AppError;

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
    pub timezone: TimeZone,
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
    pub async fn of_named(&self, db: &Database, user: Uuid) -> Result<Access, AppError> {
        self.get(db, user).await?.ok_or_else(|| AppError::NotFound(format!("No user {user}.")))
    }

    /// The user's tier, role and timezone, from the cache when fresh; `None` if the user is
    /// gone.
    pub async fn get(&self, db: &Database, user: Uuid) -> Result<Option<Access>, AppError> {
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
            timezone: stored.timezone,
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
    pub async fn is_active(&self, db: &Database, family: Uuid) -> Result<bool, AppError> {
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
