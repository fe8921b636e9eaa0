//! bcrypt off the async workers, at most one hash per CPU at a time, one CPU kept free.

use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

use crate::ApiError;

/// Hashes and verifies passwords on the blocking pool, bounded by a semaphore, so that a
/// burst of logins cannot stall request handling.
#[derive(Debug, Clone)]
pub struct Passwords {
    cost: u32,
    permits: Arc<Semaphore>,
    /// Verified against when the email is unknown, so both failures take the same time.
    /// Made on first use: hashing at cost 12 would add a quarter second to start-up.
    dummy_hash: Arc<OnceLock<String>>,
}

impl Passwords {
    pub fn new(cost: u32) -> Self {
        // One core stays free for everything else: a burst of logins must not starve reads.
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let permits = cpus.saturating_sub(1).max(1);
        Self { cost, permits: Arc::new(Semaphore::new(permits)), dummy_hash: Arc::default() }
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let cost = self.cost;
        self.run(move || bcrypt::hash(password, cost)).await?.map_err(ApiError::internal)
    }

    /// Whether `password` matches `hash`; with no hash (unknown email) it verifies against
    /// the dummy hash and answers `false`.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let known = hash.is_some();
        let (dummy, cost) = (Arc::clone(&self.dummy_hash), self.cost);
        let matched = self
            .run(move || {
                let hash = hash.unwrap_or_else(|| {
                    dummy
                        .get_or_init(|| bcrypt::hash("dummy password 0", cost).unwrap_or_default())
                        .clone()
                });
                bcrypt::verify(password, &hash)
            })
            .await?;
        Ok(known && matched.unwrap_or(false))
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)
    }
}
