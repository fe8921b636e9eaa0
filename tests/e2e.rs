//! End-to-end: the release binary, started as a user starts it, driven over HTTP.
//!
//! `COMPANION_BIN` names the binary (`make test` builds it and sets it). The embedded-default
//! test always runs; the PostgreSQL + S3 tests run when `TEST_DATABASE_URL` and
//! `TEST_S3_ENDPOINT` are set and say SKIPPED otherwise.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::{FreshPostgres, S3Env, sample_course};

const EMAIL: &str = "e2e-premium@example.com";
const PASSWORD: &str = "end to end 1";

/// A running `companion serve` with a premium learner signed in; killed when dropped.
struct Server {
    child: Child,
    base: String,
    client: reqwest::Client,
    /// The premium learner's bearer token.
    token: String,
    _workdir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary(test: &str) -> Option<PathBuf> {
    let path = std::env::var("COMPANION_BIN").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/companion")
    });
    if path.exists() {
        Some(path)
    } else {
        testkit::skipped(test, "COMPANION_BIN (no release binary; `make test` builds it)");
        None
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Server {
    /// Creates a premium learner with `companion user create`, then starts `companion serve`
    /// in an empty working folder with only `env` set (plus PATH), as on a fresh machine,
    /// waits until `/health` answers 200 and signs the learner in.
    async fn start(binary: PathBuf, env: &[(&str, String)]) -> Self {
        let workdir = tempfile::tempdir().unwrap();
        let port = free_port();
        let command = |args: &[&str]| {
            let mut command = Command::new(&binary);
            command
                .args(args)
                .current_dir(workdir.path())
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("PORT", port.to_string())
                .env("BCRYPT_COST", "4")
                .env("APP__CONTENT__BUNDLED_DIR", sample_course())
                .env("APP__LOG__LEVEL", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit());
            command.envs(env.iter().map(|(name, value)| (name, value)));
            command
        };
        let create =
            ["user", "create", "--email", EMAIL, "--password", PASSWORD, "--tier", "premium"];
        assert!(command(&create).status().unwrap().success(), "companion user create failed");
        let mut server = Self {
            child: command(&["serve"]).spawn().unwrap(),
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap(),
            token: String::new(),
            _workdir: workdir,
        };
        server.wait_for_health(200, Duration::from_secs(60)).await;
        let login = serde_json::json!({ "email": EMAIL, "password": PASSWORD });
        let url = format!("{}/api/v1/auth/login", server.base);
        let response = server.client.post(url).json(&login).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        server.token = body["access_token"].as_str().unwrap().to_owned();
        server
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let request = self.client.get(format!("{}{path}", self.base)).bearer_auth(&self.token);
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        testkit::assert_no_secret(&text);
        (status, serde_json::from_str(&text).unwrap())
    }

    async fn wait_for_health(&self, wanted: u16, limit: Duration) -> Value {
        let started = Instant::now();
        loop {
            if let Ok(response) = self.client.get(format!("{}/health", self.base)).send().await
                && response.status().as_u16() == wanted
            {
                return response.json().await.unwrap();
            }
            assert!(started.elapsed() < limit, "/health did not answer {wanted} within {limit:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Sends SIGTERM and returns whether the process exited cleanly within `limit`.
    fn terminate(&mut self, limit: Duration) -> bool {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

/// The sample course is served verbatim, and an unknown chapter is a JSON 404.
async fn serves_the_sample_course_verbatim(server: &Server) {
    testkit::assert_serves_sample_course_verbatim(&server.client, &server.base, &server.token)
        .await;
    let (status, missing) = server.get("/api/v1/chapters/not-a-chapter").await;
    assert_eq!((status, missing["error"].as_str()), (404, Some("not_found")));
}

fn postgres_and_s3_env(postgres: &FreshPostgres, s3: &S3Env) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", postgres.url.clone()),
        ("R2_ENDPOINT_URL", s3.endpoint.clone()),
        ("R2_ACCESS_KEY_ID", s3.access_key_id.clone()),
        ("R2_SECRET_ACCESS_KEY", s3.secret_access_key.clone()),
        ("R2_BUCKET", s3.bucket.clone()),
        ("APP__DATABASE__ACQUIRE_TIMEOUT_SECS", "1".into()),
    ]
}

#[tokio::test]
async fn on_the_embedded_default_the_binary_serves_the_sample_course_and_stops_on_sigterm() {
    let Some(binary) = binary("on_the_embedded_default_the_binary_serves_the_sample_course") else {
        return;
    };
    let mut server = Server::start(binary, &[]).await;
    let health = server.wait_for_health(200, Duration::from_secs(1)).await;
    assert_eq!(health["database"], "connected");
    serves_the_sample_course_verbatim(&server).await;
    assert!(server.terminate(Duration::from_secs(10)), "SIGTERM ends the server cleanly");
}

#[tokio::test]
async fn on_postgres_and_s3_the_binary_behaves_the_same() {
    let test = "on_postgres_and_s3_the_binary_behaves_the_same";
    let (Some(binary), Some(s3)) = (binary(test), testkit::s3_env(test)) else {
        return;
    };
    let Some(postgres) = testkit::fresh_postgres(test).await else {
        return;
    };
    let server = Server::start(binary, &postgres_and_s3_env(&postgres, &s3)).await;
    serves_the_sample_course_verbatim(&server).await;
    let (_, health) = server.get("/health").await;
    assert_eq!(
        (health["database"].as_str(), health["storage"].as_str()),
        (Some("connected"), Some("connected"))
    );
}

#[tokio::test]
async fn a_database_outage_gives_json_503s_and_the_server_recovers_without_a_restart() {
    let test = "a_database_outage_gives_json_503s_and_the_server_recovers_without_a_restart";
    let (Some(binary), Some(s3)) = (binary(test), testkit::s3_env(test)) else {
        return;
    };
    let Some(postgres) = testkit::fresh_postgres(test).await else {
        return;
    };
    let mut server = Server::start(binary, &postgres_and_s3_env(&postgres, &s3)).await;
    let (status, _) = server.get("/api/v1/chapters/what-is-an-ai-agent").await;
    assert_eq!(status, 200);

    postgres.set_reachable(false).await;
    let health = server.wait_for_health(503, Duration::from_secs(15)).await;
    assert_eq!(health["database"], "disconnected");
    assert_eq!(health["storage"], "connected");
    // Reads come from the in-memory caches, or are a JSON 503.
    for path in ["/api/v1/chapters", "/api/v1/chapters/what-is-an-ai-agent", "/api/v1/progress/me"]
    {
        let (status, body) = server.get(path).await;
        match status {
            200 => assert!(body.is_object(), "{path}: {body}"),
            503 => assert_eq!(body["error"], "service_unavailable", "{path}: {body}"),
            other => panic!("{path}: {other} {body}"),
        }
    }
    let (status, body) = server.get("/api/v1/progress/me").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("service_unavailable")),
        "writes and progress need the database"
    );
    assert!(server.is_running(), "the process survives the outage");

    postgres.set_reachable(true).await;
    server.wait_for_health(200, Duration::from_secs(20)).await;
    let (status, outline) = server.get("/api/v1/chapters").await;
    assert_eq!((status, outline["total"].as_u64()), (200, Some(10)));
}
