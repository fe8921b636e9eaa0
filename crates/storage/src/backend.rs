use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use s3::creds::Credentials;
use s3::{Bucket, Region};

use crate::{ContentKey, StoreError};

/// One place chapter bodies can be kept. Objects are immutable: a key names its content.
#[async_trait]
pub trait ContentBackend: Send + Sync + std::fmt::Debug {
    async fn get(&self, key: &ContentKey) -> Result<Bytes, StoreError>;
    async fn put(&self, key: &ContentKey, body: Bytes) -> Result<(), StoreError>;
    async fn exists(&self, key: &ContentKey) -> Result<bool, StoreError>;
    /// A cheap round trip proving the backend is reachable, for `/health`.
    async fn check(&self) -> Result<(), StoreError>;
}

/// A folder on the local disk: the zero-configuration default.
#[derive(Debug)]
pub struct LocalFolder {
    root: PathBuf,
}

impl LocalFolder {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &ContentKey) -> PathBuf {
        self.root.join(key.as_str())
    }
}

fn io_error(context: &str, error: &std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("{context}: {error}"))
}

#[async_trait]
impl ContentBackend for LocalFolder {
    async fn get(&self, key: &ContentKey) -> Result<Bytes, StoreError> {
        match tokio::fs::read(self.path(key)).await {
            Ok(bytes) => Ok(Bytes::from(bytes)),
            Err(error) if error.kind() == ErrorKind::NotFound => {
                Err(StoreError::NotFound(key.clone()))
            }
            Err(error) => Err(io_error("reading from the content folder", &error)),
        }
    }

    async fn put(&self, key: &ContentKey, body: Bytes) -> Result<(), StoreError> {
        let path = self.path(key);
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| io_error("creating the content folder", &e))?;
        }
        // Write to a unique temporary name, then rename: a reader never sees half a body.
        let temporary = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&temporary, &body)
            .await
            .map_err(|e| io_error("writing to the content folder", &e))?;
        tokio::fs::rename(&temporary, &path)
            .await
            .map_err(|e| io_error("writing to the content folder", &e))
    }

    async fn exists(&self, key: &ContentKey) -> Result<bool, StoreError> {
        tokio::fs::try_exists(self.path(key))
            .await
            .map_err(|e| io_error("reading from the content folder", &e))
    }

    async fn check(&self) -> Result<(), StoreError> {
        tokio::fs::create_dir_all(&self.root)
            .await
            .map_err(|e| io_error("opening the content folder", &e))
    }
}

/// Kept in memory only: for tests.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    objects: RwLock<HashMap<ContentKey, Bytes>>,
}

impl MemoryBackend {
    fn poisoned() -> StoreError {
        StoreError::Unavailable("memory store lock poisoned".into())
    }
}

#[async_trait]
impl ContentBackend for MemoryBackend {
    async fn get(&self, key: &ContentKey) -> Result<Bytes, StoreError> {
        let objects = self.objects.read().map_err(|_| Self::poisoned())?;
        objects.get(key).cloned().ok_or_else(|| StoreError::NotFound(key.clone()))
    }

    async fn put(&self, key: &ContentKey, body: Bytes) -> Result<(), StoreError> {
        self.objects.write().map_err(|_| Self::poisoned())?.insert(key.clone(), body);
        Ok(())
    }

    async fn exists(&self, key: &ContentKey) -> Result<bool, StoreError> {
        Ok(self.objects.read().map_err(|_| Self::poisoned())?.contains_key(key))
    }

    async fn check(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// How to reach an S3-compatible bucket (Cloudflare R2, MinIO, s3s-fs, AWS).
#[derive(Clone)]
pub struct S3Settings {
    /// e.g. `https://<account>.r2.cloudflarestorage.com` or `http://127.0.0.1:9000`.
    pub endpoint: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `auto` for R2; any name for local servers.
    pub region: String,
    /// Per-request timeout, so an outage gives an error, not a hang.
    pub request_timeout: Duration,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// A bucket on an S3-compatible server, addressed path-style (works for R2 and local servers).
#[derive(Debug)]
pub struct S3Backend {
    bucket: Box<Bucket>,
}

impl S3Backend {
    pub fn new(settings: &S3Settings) -> Result<Self, StoreError> {
        let config = |e: &dyn std::fmt::Display| StoreError::Config(e.to_string());
        let credentials = Credentials::new(
            Some(&settings.access_key_id),
            Some(&settings.secret_access_key),
            None,
            None,
            None,
        )
        .map_err(|e| config(&e))?;
        let region =
            Region::Custom { region: settings.region.clone(), endpoint: settings.endpoint.clone() };
        let bucket = Bucket::new(&settings.bucket, region, credentials)
            .map_err(|e| config(&e))?
            .with_path_style()
            .with_request_timeout(settings.request_timeout)
            .map_err(|e| config(&e))?;
        Ok(Self { bucket })
    }
}

fn s3_error(context: &str, error: &s3::error::S3Error) -> StoreError {
    StoreError::Unavailable(format!("{context}: {error}"))
}

fn s3_status(context: &str, status: u16) -> StoreError {
    StoreError::Unavailable(format!("{context}: the S3 server answered HTTP {status}"))
}

#[async_trait]
impl ContentBackend for S3Backend {
    async fn get(&self, key: &ContentKey) -> Result<Bytes, StoreError> {
        let response =
            self.bucket.get_object(key.as_str()).await.map_err(|e| s3_error("S3 get", &e))?;
        match response.status_code() {
            200 => Ok(response.into_bytes()),
            404 => Err(StoreError::NotFound(key.clone())),
            status => Err(s3_status("S3 get", status)),
        }
    }

    async fn put(&self, key: &ContentKey, body: Bytes) -> Result<(), StoreError> {
        let response = self
            .bucket
            .put_object_with_content_type(key.as_str(), &body, "text/markdown; charset=utf-8")
            .await
            .map_err(|e| s3_error("S3 put", &e))?;
        match response.status_code() {
            200..=299 => Ok(()),
            status => Err(s3_status("S3 put", status)),
        }
    }

    async fn exists(&self, key: &ContentKey) -> Result<bool, StoreError> {
        let (_, status) =
            self.bucket.head_object(key.as_str()).await.map_err(|e| s3_error("S3 head", &e))?;
        match status {
            200..=299 => Ok(true),
            404 => Ok(false),
            status => Err(s3_status("S3 head", status)),
        }
    }

    async fn check(&self) -> Result<(), StoreError> {
        // HEAD on a key that need not exist: 200 or 404 both prove the bucket answers with
        // our credentials; 403 (bad keys) and 5xx do not.
        let (_, status) = self
            .bucket
            .head_object("health-check")
            .await
            .map_err(|e| s3_error("S3 health check", &e))?;
        match status {
            200..=299 | 404 => Ok(()),
            status => Err(s3_status("S3 health check", status)),
        }
    }
}
