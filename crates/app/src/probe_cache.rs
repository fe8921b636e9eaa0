//! The last health probe's result, shared by the probes that arrive within a second.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    pub(crate) async fn get_or_probe<F: Future<Output = Probe>>(
        &self,
        probe: impl FnOnce() -> F,
    ) -> Probe {
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
