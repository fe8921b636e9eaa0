use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use api::{ApiSettings, AppState, Application};
use persistence::{Database, PoolOptions};
use serde_json::Value;
use storage::{ContentStore, MemoryBackend};

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    _folder: tempfile::TempDir,
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }
}

/// Spawns the app on a fresh SQLite database with the sample course imported.
pub async fn spawn_app() -> TestApp {
    let folder = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        folder.path().join("api.db").display()
    );
    let db = Database::connect(&url, &PoolOptions::default())
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let store = ContentStore::new(Arc::new(MemoryBackend::default()), 8 * 1024 * 1024);
    let package = importer::read_package(&testkit::sample_course()).unwrap();
    importer::import(&db, &store, &package, &importer::Silent)
        .await
        .unwrap();
    start(db, store, folder)
}

/// Spawns the app on a database nobody listens for, as during an outage.
pub async fn spawn_app_without_database() -> TestApp {
    let pool = PoolOptions {
        acquire_timeout: Duration::from_millis(300),
        ..PoolOptions::default()
    };
    let db = Database::connect("postgres://nobody@127.0.0.1:9/none", &pool)
        .await
        .unwrap();
    let store = ContentStore::new(Arc::new(MemoryBackend::default()), 1024);
    start(db, store, tempfile::tempdir().unwrap())
}

fn start(db: Database, store: ContentStore, folder: tempfile::TempDir) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let settings = ApiSettings {
        public_url: "http://localhost:8000".into(),
        version: "test".into(),
    };
    let app = Application::build(
        AppState {
            db,
            store,
            settings,
        },
        listener,
        1,
    )
    .unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        _folder: folder,
    }
}

/// Asserts the DESIGN §4 error body and returns its code.
pub fn error_code(body: &Value) -> &str {
    assert!(
        body["message"].is_string(),
        "error body lacks a message: {body}"
    );
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("error body lacks a code: {body}"))
}
