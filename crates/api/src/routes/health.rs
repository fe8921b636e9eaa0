//! `GET /health`: is the process able to serve, and which dependency is down if not.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use paperclip::actix::web::Data;
use paperclip::actix::{Apiv2Schema, api_v2_operation};
use serde::Serialize;

use crate::AppState;
use crate::responders::WithStatus;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a probe's result answers every other probe: a flood of `/health` requests then
/// costs one database ping and one store request per second, not one each.
const PROBE_REUSE: Duration = Duration::from_secs(1);

/// Whether the database and the content store answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Probe {
    database_up: bool,
    storage_up: bool,
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

async fn probe(state: &AppState) -> Probe {
    let (database, storage) = tokio::join!(
        tokio::time::timeout(CHECK_TIMEOUT, state.db.ping()),
        tokio::time::timeout(CHECK_TIMEOUT, state.store.check()),
    );
    if let Ok(Err(error)) = &database {
        log::warn!("health: database check failed: {error}");
    }
    if let Ok(Err(error)) = &storage {
        log::warn!("health: storage check failed: {error}");
    }
    Probe { database_up: matches!(database, Ok(Ok(()))), storage_up: matches!(storage, Ok(Ok(()))) }
}

/// Health of the process and its dependencies.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct Health {
    /// `healthy` or `unhealthy`.
    pub status: &'static str,
    /// `connected` or `disconnected`.
    pub database: &'static str,
    /// `connected` or `disconnected`.
    pub storage: &'static str,
    pub version: String,
}

fn label(up: bool) -> &'static str {
    if up { "connected" } else { "disconnected" }
}

/// Service health
///
/// 200 when the database and the content store answer, else 503 naming the part that is down.
/// The answer may be up to a second old.
#[api_v2_operation(operation_id = "getHealth", tags(Operations))]
pub async fn health(state: Data<AppState>) -> WithStatus<Health> {
    let Probe { database_up, storage_up } = state.health.get_or_probe(|| probe(&state)).await;
    let healthy = database_up && storage_up;
    let body = Health {
        status: if healthy { "healthy" } else { "unhealthy" },
        database: label(database_up),
        storage: label(storage_up),
        version: state.settings.version.clone(),
    };
    WithStatus(if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, body)
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
