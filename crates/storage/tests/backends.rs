//! One suite, run against every backend: memory, a local folder, and a real S3 server when
//! `TEST_S3_ENDPOINT` is set (with `TEST_S3_ACCESS_KEY_ID`, `TEST_S3_SECRET_ACCESS_KEY` and
//! `TEST_S3_BUCKET`); otherwise those tests say loudly that they skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use domain::ContentHash;
use storage::{
    ContentBackend, ContentKey, ContentStore, LocalFolder, MemoryBackend, S3Backend, S3Settings,
    StoreError,
};

async fn a_stored_body_reads_back_byte_for_byte(store: &ContentStore) {
    let body = Bytes::from(format!("# Héllo 🦀\r\n\nunique {}\n", uuid::Uuid::new_v4()));
    let key = ContentKey::for_chapter_body(ContentHash::of(&body));
    assert!(!store.exists(&key).await.unwrap());
    store.put(&key, body.clone()).await.unwrap();
    assert!(store.exists(&key).await.unwrap());
    assert_eq!(store.get(&key).await.unwrap(), body);
    // A second put of the same content is a no-op, not an error.
    store.put(&key, body.clone()).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap(), body);
}

async fn a_missing_key_is_not_found(store: &ContentStore) {
    let key = ContentKey::for_chapter_body(ContentHash::of(uuid::Uuid::new_v4().as_bytes()));
    match store.get(&key).await {
        Err(StoreError::NotFound(missing)) => assert_eq!(missing, key),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

async fn the_backend_answers_its_health_check(store: &ContentStore) {
    store.check().await.unwrap();
}

async fn run_suite(backend: Arc<dyn ContentBackend>) {
    let store = ContentStore::new(backend, 1024 * 1024);
    a_stored_body_reads_back_byte_for_byte(&store).await;
    a_missing_key_is_not_found(&store).await;
    the_backend_answers_its_health_check(&store).await;
}

#[tokio::test]
async fn memory_backend_passes_the_store_suite() {
    run_suite(Arc::new(MemoryBackend::default())).await;
}

#[tokio::test]
async fn local_folder_backend_passes_the_store_suite() {
    let folder = tempfile::tempdir().unwrap();
    run_suite(Arc::new(LocalFolder::new(folder.path()))).await;
}

#[tokio::test]
async fn s3_backend_passes_the_store_suite() {
    let Some(settings) = s3_settings("s3_backend_passes_the_store_suite") else {
        return;
    };
    run_suite(Arc::new(S3Backend::new(&settings).unwrap())).await;
}

#[tokio::test]
async fn s3_backend_with_wrong_keys_fails_its_health_check() {
    let test = "s3_backend_with_wrong_keys_fails_its_health_check";
    let Some(mut settings) = s3_settings(test) else {
        return;
    };
    settings.secret_access_key = "not-the-secret".into();
    let store = ContentStore::new(Arc::new(S3Backend::new(&settings).unwrap()), 1024);
    assert!(matches!(store.check().await, Err(StoreError::Unavailable(_))));
}

#[tokio::test]
async fn the_cache_keeps_at_most_its_byte_budget() {
    let store = ContentStore::new(Arc::new(MemoryBackend::default()), 64 * 1024);
    for i in 0..64 {
        let body = Bytes::from(vec![b'a' + (i % 26) as u8; 4096 + i]);
        let key = ContentKey::for_chapter_body(ContentHash::of(&body));
        store.put(&key, body.clone()).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), body);
    }
    assert!(store.cached_bytes() <= 64 * 1024, "{}", store.cached_bytes());
    assert!(store.cached_bytes() > 0);
}

fn s3_settings(test: &str) -> Option<S3Settings> {
    let env = testkit::s3_env(test)?;
    Some(S3Settings {
        endpoint: env.endpoint,
        bucket: env.bucket,
        access_key_id: env.access_key_id,
        secret_access_key: env.secret_access_key,
        region: "auto".into(),
        request_timeout: Duration::from_secs(10),
    })
}
