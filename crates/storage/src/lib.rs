//! The content store: where chapter bodies live.
//!
//! What lives here: [`ContentStore`], the one type the rest of the code uses; the
//! [`ContentBackend`] trait with its three backends (local folder, S3/R2 via rust-s3, memory);
//! typed, content-addressed [`ContentKey`]s; and the bounded in-process cache in front.
//! What does not: knowledge of chapters beyond their content hash, databases, HTTP serving.

mod backend;
mod key;
mod store;

pub use backend::{ContentBackend, LocalFolder, MemoryBackend, S3Backend, S3Settings};
pub use key::ContentKey;
pub use store::{CacheStats, ContentStore, DEFAULT_CACHE_BYTES};

/// What can go wrong with the content store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No object under this key.
    #[error("no content stored under `{0}`")]
    NotFound(ContentKey),
    /// The store cannot be reached or refused the request (network, credentials, disk).
    #[error("content store unavailable: {0}")]
    Unavailable(String),
    /// The store's configuration is wrong (bad endpoint, missing credentials).
    #[error("content store misconfigured: {0}")]
    Config(String),
}
