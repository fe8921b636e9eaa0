use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::{ContentBackend, ContentKey, StoreError};

/// 64 MiB: the whole sample course many times over, and ~2,000 chapters of 30 KB.
pub const DEFAULT_CACHE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
struct ByteWeight;

impl Weighter<ContentKey, Bytes> for ByteWeight {
    fn weight(&self, key: &ContentKey, body: &Bytes) -> u64 {
        (key.as_str().len() + body.len()) as u64
    }
}

/// The content store the application uses: a backend behind a cache bounded in bytes.
/// Keys are content-addressed, so a cached body is never stale.
#[derive(Clone)]
pub struct ContentStore {
    backend: Arc<dyn ContentBackend>,
    cache: Arc<Cache<ContentKey, Bytes, ByteWeight>>,
    counters: Arc<CacheCounters>,
}

#[derive(Debug, Default)]
struct CacheCounters {
    hits: AtomicU64,
    misses: AtomicU64,
}

/// What the cache has done since start-up, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Bytes held right now.
    pub bytes: u64,
}

impl std::fmt::Debug for ContentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentStore")
            .field("backend", &self.backend)
            .field("cached_bytes", &self.cache.weight())
            .finish()
    }
}

impl ContentStore {
    pub fn new(backend: Arc<dyn ContentBackend>, cache_bytes: u64) -> Self {
        let estimated_items = usize::try_from(cache_bytes / 16_384).unwrap_or(1024).max(16);
        Self {
            backend,
            cache: Arc::new(Cache::with_weighter(estimated_items, cache_bytes, ByteWeight)),
            counters: Arc::default(),
        }
    }

    /// A body, from the cache when it is there.
    pub async fn get(&self, key: &ContentKey) -> Result<Bytes, StoreError> {
        if let Some(body) = self.cache.get(key) {
            self.counters.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(body);
        }
        self.counters.misses.fetch_add(1, Ordering::Relaxed);
        let body = self.backend.get(key).await?;
        self.cache.insert(key.clone(), body.clone());
        Ok(body)
    }

    /// A body from the cache when it is there, without adding it otherwise: for one-off
    /// passes over every body (indexing), which must not evict what readers use.
    pub async fn get_passing(&self, key: &ContentKey) -> Result<Bytes, StoreError> {
        match self.cache.get(key) {
            Some(body) => Ok(body),
            None => self.backend.get(key).await,
        }
    }

    /// Stores a body unless an object with that key is already there.
    pub async fn put(&self, key: &ContentKey, body: Bytes) -> Result<(), StoreError> {
        if !self.backend.exists(key).await? {
            self.backend.put(key, body).await?;
        }
        Ok(())
    }

    pub async fn exists(&self, key: &ContentKey) -> Result<bool, StoreError> {
        self.backend.exists(key).await
    }

    pub async fn check(&self) -> Result<(), StoreError> {
        self.backend.check().await
    }

    /// Bytes currently held by the cache.
    pub fn cached_bytes(&self) -> u64 {
        self.cache.weight()
    }

    pub fn cache_stats(&self) -> CacheStats {
        CacheStats {
            hits: self.counters.hits.load(Ordering::Relaxed),
            misses: self.counters.misses.load(Ordering::Relaxed),
            bytes: self.cache.weight(),
        }
    }
}
