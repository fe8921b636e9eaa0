//! Is the application able to serve: one real probe of the database and the content store
//! per second, its result shared by the probes that arrive meanwhile; and the resource
//! readings an operator scrapes.

use std::time::Duration;

use crate::core::Core;
use crate::probe_cache::Probe;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

async fn probe(core: &Core) -> Probe {
    let (database, storage) = tokio::join!(
        tokio::time::timeout(CHECK_TIMEOUT, core.db.ping()),
        tokio::time::timeout(CHECK_TIMEOUT, core.store.check()),
    );
    if let Ok(Err(error)) = &database {
        log::warn!("health: database check failed: {error}");
    }
    if let Ok(Err(error)) = &storage {
        log::warn!("health: storage check failed: {error}");
    }
    Probe { database_up: matches!(database, Ok(Ok(()))), storage_up: matches!(storage, Ok(Ok(()))) }
}

/// Readings of the pool and the content cache, taken when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readings {
    pub db_connections_in_use: u64,
    pub db_connections_idle: u64,
    pub content_cache_bytes: u64,
    pub content_cache_hits: u64,
    pub content_cache_misses: u64,
}

/// Health and readings.
#[derive(Debug, Clone, Copy)]
pub struct Health<'a> {
    pub(crate) core: &'a Core,
}

impl Health<'_> {
    /// Whether the database and the content store answer; up to a second old.
    pub async fn probe(&self) -> Probe {
        self.core.health.get_or_probe(|| probe(self.core)).await
    }

    pub fn readings(&self) -> Readings {
        let pool = self.core.db.pool_usage();
        let cache = self.core.store.cache_stats();
        Readings {
            db_connections_in_use: pool.in_use.into(),
            db_connections_idle: pool.idle.into(),
            content_cache_bytes: cache.bytes,
            content_cache_hits: cache.hits,
            content_cache_misses: cache.misses,
        }
    }
}
