//! bcrypt off the async workers, at most one hash per CPU at a time.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::ApiError;

/// Hashes and verifies passwords on the blocking pool, bounded by a semaphore, so that a
/// burst of logins cannot stall request handling.
#[derive(Debug, Clone)]
pub struct Passwords {
    cost: u32,
    permits: Arc<Semaphore>,
    /// Verified against when the email is unknown, so both failures take the same time.
    dummy_hash: Arc<str>,
}

impl Passwords {
    /// Computes the dummy hash at the configured cost (start-up only).
    pub fn new(cost: u32) -> Result<Self, bcrypt::BcryptError> {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let dummy_hash = bcrypt::hash("dummy password 0", cost)?;
        Ok(Self { cost, permits: Arc::new(Semaphore::new(cpus)), dummy_hash: dummy_hash.into() })
    }

    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let cost = self.cost;
        self.run(move || bcrypt::hash(password, cost)).await?.map_err(ApiError::internal)
    }

    /// Whether `password` matches `hash`; with no hash (unknown email) it verifies against
    /// the dummy hash and answers `false`.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let matched = self.run(move || bcrypt::verify(password, &hash)).await?;
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
