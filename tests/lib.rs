//! Test support shared by every crate's tests, and home of the end-to-end suite (`e2e.rs`).
//!
//! What lives here: opting in to real services (`TEST_DATABASE_URL`, `TEST_S3_*`), creating a
//! fresh PostgreSQL database per test, and reporting skips loudly. What does not: anything the
//! application itself runs.

// Test support fails loudly on purpose: a broken fixture should stop the test right there.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Write;
use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, Database};

/// Writes one line to stderr, past the test harness's output capture, in one write so that
/// other tests' output cannot split it (`make test` counts these lines).
fn say(line: &str) {
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}

/// Says that a real-service test did not run; with `CI=true` fails it instead, since CI
/// provides every service and a skip there means a test that silently never runs.
pub fn skipped(test: &str, variable: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test} did not run: {variable} is not set, and CI=true allows no skipped test"
    );
    say(&format!("SKIPPED {test}: {variable} is not set"));
}

/// Says that a test ran against a real service.
pub fn ran_against(service: &str, test: &str) {
    say(&format!("RAN-AGAINST {service}: {test}"));
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
    let Some(endpoint) = std::env::var("TEST_S3_ENDPOINT").ok().filter(|v| !v.is_empty()) else {
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
    let Some(admin_url) = std::env::var("TEST_DATABASE_URL").ok().filter(|v| !v.is_empty()) else {
        skipped(test, "TEST_DATABASE_URL");
        return None;
    };
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base.to_owned(), format!("?{query}")),
        None => (admin_url.clone(), String::new()),
    };
    let (server, database) = base.rsplit_once('/').unwrap_or((&base, "postgres"));
    let name = format!("{database}_{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
        panic!("TEST_DATABASE_URL is set but unreachable: {e}");
    });
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let _ = admin.close().await;
    ran_against("postgres", test);
    Some(FreshPostgres { url: format!("{server}/{name}{query}"), name, admin_url })
}

impl FreshPostgres {
    /// Takes the database away (refuses new connections, ends open ones) or gives it back:
    /// an outage of this database only, without stopping the shared server.
    pub async fn set_reachable(&self, reachable: bool) {
        let admin = Database::connect(&self.admin_url).await.unwrap();
        admin
            .execute_unprepared(&format!(
                "ALTER DATABASE \"{}\" ALLOW_CONNECTIONS {reachable}",
                self.name
            ))
            .await
            .unwrap();
        if !reachable {
            admin
                .execute_unprepared(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
                    self.name
                ))
                .await
                .unwrap();
        }
        let _ = admin.close().await;
    }
}

/// The bundled sample course folder.
pub fn sample_course() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../content")
}

/// The chapter files of the sample course, in name (= course) order.
pub fn sample_chapter_files() -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(sample_course().join("chapters"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

/// Fails the test if a response body carries a password hash or its column name: the check
/// every shared test client applies to every body it reads.
pub fn assert_no_secret(body: &str) {
    for marker in ["$2a$", "$2b$", "$2y$", "password_hash"] {
        assert!(!body.contains(marker), "a response leaks `{marker}`: {body}");
    }
}

/// Asserts that the server at `base_url` lists the ten sample chapters in order and serves
/// each one's `content` byte for byte as its file's body (by slug and by id), to a caller
/// whose `token` opens every chapter.
pub async fn assert_serves_sample_course_verbatim(
    client: &reqwest::Client,
    base_url: &str,
    token: &str,
) {
    let get = |path: String| async move {
        let response =
            client.get(format!("{base_url}{path}")).bearer_auth(token).send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_no_secret(&text);
        (status, serde_json::from_str::<serde_json::Value>(&text).unwrap())
    };
    let (status, outline) = get("/api/v1/chapters".into()).await;
    assert_eq!(status, 200);
    assert_eq!(outline["total"], 10);
    let files = sample_chapter_files();
    assert_eq!(files.len(), 10);
    for (file, item) in files.iter().zip(outline["items"].as_array().unwrap()) {
        let text = std::fs::read_to_string(file).unwrap();
        for reference in [&item["slug"], &item["id"]] {
            let reference = reference.as_str().unwrap();
            let (status, chapter) = get(format!("/api/v1/chapters/{reference}")).await;
            assert_eq!(status, 200, "{reference}");
            let content = chapter["content"].as_str().unwrap();
            assert_eq!(content, chapter_body(&text), "{}", file.display());
        }
    }
}

/// A chapter file's body: every byte after the line that closes the front matter.
pub fn chapter_body(file_text: &str) -> &str {
    let after_open = file_text.strip_prefix("---\n").expect("front matter opens the file");
    let end = after_open.find("\n---\n").expect("front matter is closed");
    &after_open[end + "\n---\n".len()..]
}

/// Copies a folder tree (a course package, to break a copy of it).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
