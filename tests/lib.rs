//! Test support shared by every crate's tests, and home of the end-to-end suite (`e2e.rs`).
//!
//! What lives here: opting in to real services (`TEST_DATABASE_URL`, `TEST_S3_*`), creating a
//! fresh PostgreSQL database per test, and reporting skips loudly. What does not: anything the
//! application itself runs.

use std::io::Write;

use sea_orm::{ConnectionTrait, Database};

/// Says, past the test harness's output capture, that a real-service test did not run.
pub fn skipped(test: &str, variable: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {variable} is not set");
}

/// Says, past the output capture, that a test ran against a real service.
pub fn ran_against(service: &str, test: &str) {
    let _ = writeln!(std::io::stderr(), "RAN-AGAINST {service}: {test}");
}

/// Connection details of the S3-compatible server tests may use.
#[derive(Debug, Clone)]
pub struct S3Env {
    pub endpoint: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// The S3 server from `TEST_S3_ENDPOINT` and friends, or `None` (after saying so) for `test`.
pub fn s3_env(test: &str) -> Option<S3Env> {
    let Some(endpoint) = std::env::var("TEST_S3_ENDPOINT")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        skipped(test, "TEST_S3_ENDPOINT");
        return None;
    };
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    ran_against("s3", test);
    Some(S3Env {
        endpoint,
        bucket: var("TEST_S3_BUCKET"),
        access_key_id: var("TEST_S3_ACCESS_KEY_ID"),
        secret_access_key: var("TEST_S3_SECRET_ACCESS_KEY"),
    })
}

/// A PostgreSQL database created for one test, named after `TEST_DATABASE_URL`'s database
/// plus a random suffix (so a CI run can drop them all by prefix).
#[derive(Debug, Clone)]
pub struct FreshPostgres {
    /// URL of the new, empty database.
    pub url: String,
    /// Its name.
    pub name: String,
    /// URL of the database `TEST_DATABASE_URL` names, for administrative statements.
    pub admin_url: String,
}

/// Creates a fresh database, or returns `None` (after saying so) when `TEST_DATABASE_URL`
/// is unset.
pub async fn fresh_postgres(test: &str) -> Option<FreshPostgres> {
    let Some(admin_url) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        skipped(test, "TEST_DATABASE_URL");
        return None;
    };
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base.to_owned(), format!("?{query}")),
        None => (admin_url.clone(), String::new()),
    };
    let (server, database) = base.rsplit_once('/').unwrap_or((&base, "postgres"));
    let name = format!(
        "{database}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    );
    let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
        panic!("TEST_DATABASE_URL is set but unreachable: {e}");
    });
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let _ = admin.close().await;
    ran_against("postgres", test);
    Some(FreshPostgres {
        url: format!("{server}/{name}{query}"),
        name,
        admin_url,
    })
}
