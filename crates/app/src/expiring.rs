//! A value derived from the database, kept in memory for a while and reloaded by one request
//! at a time: while one request reloads, the others keep using the previous value, so expiry
//! never causes a stampede of identical queries or a latency spike. When a reload fails
//! (the database is down), the previous value keeps being served.

use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::error::AppError;

type Loaded<T> = Option<(Instant, Arc<T>)>;

#[derive(Debug)]
pub struct Expiring<T> {
    ttl: Duration,
    current: RwLock<Loaded<T>>,
    reloading: tokio::sync::Mutex<()>,
}

impl<T> Expiring<T> {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, current: RwLock::new(None), reloading: tokio::sync::Mutex::new(()) }
    }

    fn loaded(&self) -> Loaded<T> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The value, loading it with `load` when it is missing or older than the TTL. `load`
    /// gets the previous value, which it may return again when nothing changed, so that what
    /// was derived from it (rendered pages) is kept.
    pub async fn get<F, Fut>(&self, load: F) -> Result<Arc<T>, AppError>
    where
        F: FnOnce(Option<Arc<T>>) -> Fut,
        Fut: Future<Output = Result<Arc<T>, AppError>>,
    {
        let loaded = self.loaded();
        if let Some((at, value)) = &loaded
            && at.elapsed() < self.ttl
        {
            return Ok(Arc::clone(value));
        }
        let guard = match (self.reloading.try_lock(), loaded) {
            (Ok(guard), _) => guard,
            // Someone else is reloading: the previous value is good enough meanwhile.
            (Err(_), Some((_, value))) => return Ok(value),
            (Err(_), None) => self.reloading.lock().await,
        };
        let previous = self.loaded();
        if let Some((at, value)) = &previous
            && at.elapsed() < self.ttl
        {
            return Ok(Arc::clone(value));
        }
        let value =
            match (load(previous.as_ref().map(|(_, value)| Arc::clone(value))).await, previous) {
                (Ok(value), _) => value,
                (Err(error), Some((_, stale))) => {
                    log::warn!("serving cached data, the reload failed: {error}");
                    return Ok(stale);
                }
                (Err(error), None) => return Err(error),
            };
        *self.current.write().unwrap_or_else(PoisonError::into_inner) =
            Some((Instant::now(), Arc::clone(&value)));
        drop(guard);
        Ok(value)
    }
}
