//! Is the application able to serve: one real probe of the database and the content store
//! per second, its result shared by the probes that arrive meanwhile; and the resource
//! readings an operator scrapes.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::core::Core;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a probe's result answers every other probe: a flood of `/health` requests then
/// costs one database ping and one store request per second, not one each.
const PROBE_REUSE: Duration = Duration::from_secs(1);

/// Whether the database and the content store answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub database_up: bool,
    pub storage_up: bool,
}

/// The last probe's result. Probes run one at a time: requests arriving during one wait for
/// it and share its answer.
#[derive(Debug, Clone, Default)]
pub struct HealthCache {
    last: Arc<tokio::sync::Mutex<Option<(Instant, Probe)>>>,
}

impl HealthCache {
    async fn get_or_probe<F: Future<Output = Probe>>(&self, probe: impl FnOnce() -> F) -> Probe {
        let mut last = self.last.lock().await;
        if let Some((at, result)) = *last
            && at.elapsed() < PROBE_REUSE
        {
            return result;
        }
        let result = probe().await;
        *last = Some((Instant::now(), result));
        result
    }
}

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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_flood_of_probes_within_a_second_checks_the_dependencies_once() {
        let cache = HealthCache::default();
        let checks = Arc::new(AtomicUsize::new(0));
        let probes = (0..50).map(|_| {
            let (cache, checks) = (cache.clone(), Arc::clone(&checks));
            tokio::spawn(async move {
                cache
                    .get_or_probe(|| async move {
                        checks.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Probe { database_up: true, storage_up: false }
                    })
                    .await
            })
        });
        for probe in probes.collect::<Vec<_>>() {
            assert_eq!(probe.await.unwrap(), Probe { database_up: true, storage_up: false });
        }
        assert_eq!(checks.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_probe_older_than_a_second_is_run_again() {
        let cache = HealthCache::default();
        let down = Probe { database_up: false, storage_up: true };
        let up = Probe { database_up: true, storage_up: true };
        assert_eq!(cache.get_or_probe(|| async move { down }).await, down);
        let stale = Instant::now().checked_sub(PROBE_REUSE).unwrap();
        *cache.last.lock().await = Some((stale, down));
        assert_eq!(cache.get_or_probe(|| async move { up }).await, up);
    }
}
