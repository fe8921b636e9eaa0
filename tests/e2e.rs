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
    /// The server's stderr: its log.
    log: PathBuf,
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
        let log = workdir.path().join("server.log");
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
                .stderr(std::fs::File::options().create(true).append(true).open(&log).unwrap());
            command.envs(env.iter().map(|(name, value)| (name, value)));
            command
        };
        let create =
            ["user", "create", "--email", EMAIL, "--password", PASSWORD, "--tier", "premium"];
        let created = command(&create).stderr(Stdio::inherit()).status().unwrap();
        assert!(created.success(), "companion user create failed");
        let mut server = Self {
            child: command(&["serve"]).spawn().unwrap(),
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap(),
            token: String::new(),
            log: log.clone(),
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

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    fn send_sigterm(&self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    }

    /// Sends SIGTERM and returns whether the process exited cleanly within `limit`.
    fn terminate(&mut self, limit: Duration) -> bool {
        self.send_sigterm();
        self.wait_for_exit(limit)
    }

    /// Whether the process exited with status 0 within `limit`.
    fn wait_for_exit(&mut self, limit: Duration) -> bool {
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

/// With `LOG_FORMAT=json` every log line is one JSON object; a request's line names its id,
/// route template, status, latency and user; no password, token or hash is ever logged.
#[tokio::test]
async fn json_logs_name_each_request_and_never_carry_secrets() {
    let test = "json_logs_name_each_request_and_never_carry_secrets";
    let Some(binary) = binary(test) else {
        return;
    };
    let env = [("LOG_FORMAT", "json".to_owned()), ("APP__LOG__LEVEL", "info".to_owned())];
    let mut server = Server::start(binary, &env).await;
    let response = server
        .client
        .get(format!("{}/api/v1/chapters/what-is-an-ai-agent", server.base))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let wrong = serde_json::json!({ "email": EMAIL, "password": "wrong password 9" });
    let url = format!("{}/api/v1/auth/login", server.base);
    assert_eq!(server.client.post(url).json(&wrong).send().await.unwrap().status(), 401);
    let (_, me) = server.get("/api/v1/me").await;
    assert!(server.terminate(Duration::from_secs(30)), "clean exit");

    let log = server.log_text();
    for secret in [PASSWORD, "wrong password 9", server.token.as_str(), "$2b$", "password_hash"] {
        assert!(!log.contains(secret), "the log contains `{secret}`:\n{log}");
    }
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    for line in &lines {
        for field in ["ts", "level", "target", "msg"] {
            assert!(line.get(field).is_some(), "{field} missing: {line}");
        }
    }
    let access = lines
        .iter()
        .find(|line| line["request_id"] == request_id.as_str())
        .unwrap_or_else(|| panic!("no line for request {request_id}:\n{log}"));
    assert_eq!(access["method"], "GET");
    assert_eq!(access["route"], "/api/v1/chapters/{chapter_ref}");
    assert_eq!(access["status"], 200);
    assert!(access["latency_ms"].is_number(), "{access}");
    assert_eq!(access["user_id"], me["id"]);
}

/// SIGTERM while the server is under load: every request it accepted is answered 2xx,
/// and it exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_completes_every_accepted_request_and_exits_0() {
    let test = "sigterm_under_load_completes_every_accepted_request_and_exits_0";
    let Some(binary) = binary(test) else {
        return;
    };
    let mut server = Server::start(binary, &[("RATE_LIMIT_PER_MINUTE", "0".to_owned())]).await;
    let (_, outline) = server.get("/api/v1/chapters").await;
    let chapter_id = outline["items"][0]["id"].as_str().unwrap().to_owned();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..16 {
        let client = server.client.clone();
        let base = server.base.clone();
        let token = server.token.clone();
        let chapter_id = chapter_id.clone();
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            let (mut answered, mut refused) = (Vec::new(), 0u32);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let request = if worker % 4 == 0 {
                    let body = serde_json::json!({ "chapter_id": chapter_id, "completed": true });
                    client.put(format!("{base}/api/v1/progress/me")).json(&body)
                } else {
                    client.get(format!("{base}/api/v1/chapters/what-is-an-ai-agent"))
                };
                match request.bearer_auth(&token).send().await {
                    Ok(response) => answered.push(response.status().as_u16()),
                    // Not accepted: the listener is closed. Nothing was promised.
                    Err(_) => {
                        refused += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            (answered, refused)
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.send_sigterm();
    let exited = tokio::task::spawn_blocking(move || {
        let clean = server.wait_for_exit(Duration::from_secs(35));
        (clean, server)
    });
    let (clean, server) = exited.await.unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answered = Vec::new();
    for worker in workers {
        answered.extend(worker.await.unwrap().0);
    }
    assert!(clean, "exit status 0 within the shutdown timeout:\n{}", server.log_text());
    assert!(answered.len() > 100, "the server was under load: {} answers", answered.len());
    let failures: Vec<u16> = answered.iter().copied().filter(|s| !(200..300).contains(s)).collect();
    assert!(failures.is_empty(), "accepted requests answered non-2xx: {failures:?}");
}

/// Runs a shell command from the environment (`E2E_DB_STOP_CMD`, `E2E_DB_START_CMD`).
fn run_shell(variable: &str) {
    let command = std::env::var(variable).unwrap_or_else(|_| panic!("{variable} is not set"));
    let status = Command::new("sh").args(["-c", &command]).status().unwrap();
    assert!(status.success(), "{variable} (`{command}`) failed");
}

/// The database server itself stops mid-run (not just one database): requests get JSON 503s
/// quickly, the server recovers by itself, and every write acknowledged with 2xx is kept.
/// It stops a shared PostgreSQL, so `make e2e-local` / `make e2e` run it alone (`--ignored`).
#[tokio::test]
#[ignore = "stops the PostgreSQL server; run alone by `make e2e-local` / `make e2e`"]
async fn stopping_postgres_mid_run_gives_quick_503s_and_keeps_every_acknowledged_write() {
    let test = "stopping_postgres_mid_run_gives_quick_503s_and_keeps_every_acknowledged_write";
    let (Some(binary), Some(s3)) = (binary(test), testkit::s3_env(test)) else {
        return;
    };
    let Some(postgres) = testkit::fresh_postgres(test).await else {
        return;
    };
    let mut env = postgres_and_s3_env(&postgres, &s3);
    env.push(("RATE_LIMIT_PER_MINUTE", "0".to_owned()));
    let mut server = Server::start(binary, &env).await;
    let (_, quizzes) = server.get("/api/v1/quizzes").await;
    let quiz_id = quizzes["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, quiz) = server.get(&format!("/api/v1/quizzes/{quiz_id}")).await;
    let mut answers = serde_json::Map::new();
    for question in quiz["questions"].as_array().unwrap() {
        let value = match question["kind"].as_str().unwrap() {
            "multiple_choice" => serde_json::json!(["A"]),
            "true_false" => serde_json::json!("true"),
            _ => serde_json::json!("A"),
        };
        answers.insert(question["id"].as_str().unwrap().to_owned(), value);
    }
    let (client, base, token) = (server.client.clone(), server.base.clone(), server.token.clone());
    let submit = |n: u32| {
        let body =
            serde_json::json!({ "answers": answers, "submission_id": format!("outage-{n}") });
        client
            .post(format!("{base}/api/v1/quizzes/{quiz_id}/submit"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };

    let mut acknowledged = Vec::new();
    for n in 0..10 {
        let response = submit(n).await.unwrap();
        assert_eq!(response.status(), 201);
        acknowledged.push(response.json::<Value>().await.unwrap()["attempt_id"].clone());
    }

    run_shell("E2E_DB_STOP_CMD");
    let mut unavailable = 0;
    for n in 10..20 {
        let started = Instant::now();
        let response = submit(n).await.unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        match status {
            201 => acknowledged.push(body["attempt_id"].clone()),
            503 => {
                assert_eq!(body["error"], "service_unavailable", "{body}");
                assert!(
                    started.elapsed() < Duration::from_secs(4),
                    "503 took {:?}",
                    started.elapsed()
                );
                unavailable += 1;
            }
            other => panic!("during the outage: {other} {body}"),
        }
    }
    assert!(unavailable > 0, "the outage was seen");
    assert!(server.is_running(), "the process survives the outage");
    run_shell("E2E_DB_START_CMD");

    server.wait_for_health(200, Duration::from_secs(30)).await;
    for n in 20..25 {
        let response = submit(n).await.unwrap();
        assert_eq!(response.status(), 201, "writes work again without a restart");
        acknowledged.push(response.json::<Value>().await.unwrap()["attempt_id"].clone());
    }
    let (status, results) =
        server.get(&format!("/api/v1/quizzes/{quiz_id}/results?limit=100")).await;
    assert_eq!(status, 200);
    let stored: Vec<Value> = results["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["attempt_id"].clone())
        .collect();
    for attempt in &acknowledged {
        assert!(stored.contains(attempt), "acknowledged attempt {attempt} was lost");
    }
}
