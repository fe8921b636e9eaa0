//! Operating the server: rate limits, request ids, security headers, CORS, body limits,
//! time limits, metrics and a content store outage.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use api::RateLimitSettings;
use async_trait::async_trait;
use bytes::Bytes;
use domain::Tier;
use serde_json::json;
use storage::{ContentBackend, ContentKey, MemoryBackend, StoreError};

use crate::helpers::{
    PASSWORD, TestApp, TestOptions, error_code, spawn_app, spawn_app_with, spawn_app_with_backend,
};

fn limited(per_minute: u32, auth_per_minute: u32) -> TestOptions {
    TestOptions {
        limits: RateLimitSettings { per_minute, auth_per_minute, oauth_client_per_minute: 0 },
        ..TestOptions::default()
    }
}

/// Reads the outline `count` times as `token`, returning the statuses.
async fn read_outline(app: &TestApp, token: &str, count: usize) -> Vec<u16> {
    let mut statuses = Vec::with_capacity(count);
    for _ in 0..count {
        let request = app.client.get(app.url("/api/v1/chapters")).bearer_auth(token);
        statuses.push(request.send().await.unwrap().status().as_u16());
    }
    statuses
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> u64 {
    headers["retry-after"].to_str().unwrap().parse().expect("Retry-After is whole seconds")
}

#[tokio::test]
async fn the_61st_request_within_a_minute_is_refused_then_served_after_the_wait() {
    let app = spawn_app_with(limited(60, 0)).await;
    let learner = app.register("limited@example.com").await;
    // Registration drew one request from the IP bucket, not from the learner's.
    assert!(read_outline(&app, &learner.token, 60).await.iter().all(|s| *s == 200));

    let (status, headers, body) = app
        .send_full(app.client.get(app.url("/api/v1/chapters")).bearer_auth(&learner.token))
        .await;
    assert_eq!(status, 429);
    assert_eq!(error_code(&body), "rate_limited");
    let wait = retry_after(&headers);
    assert!(wait >= 1, "Retry-After must be at least 1, was {wait}");
    assert_eq!(body["details"]["retry_after_secs"], wait);

    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert_eq!(read_outline(&app, &learner.token, 1).await, [200]);
}

#[tokio::test]
async fn two_learners_behind_one_ip_have_separate_buckets() {
    let app = spawn_app_with(limited(5, 0)).await;
    let first = app.register("first@example.com").await;
    let second = app.register("second@example.com").await;
    assert_eq!(read_outline(&app, &first.token, 6).await, [200, 200, 200, 200, 200, 429]);
    assert_eq!(read_outline(&app, &second.token, 5).await, [200; 5]);
}

#[tokio::test]
async fn forged_tokens_share_the_ip_bucket_instead_of_minting_new_ones() {
    let app = spawn_app_with(limited(5, 0)).await;
    let mut statuses = Vec::new();
    for n in 0..6 {
        statuses.extend(read_outline(&app, &format!("forged.token.{n}"), 1).await);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    // A real learner behind the same address still has their own bucket.
    let token = app.tokens.issue(uuid::Uuid::new_v4()).unwrap().token;
    assert_eq!(read_outline(&app, &token, 1).await, [401], "unknown user, but not limited");
}

#[tokio::test]
async fn login_and_register_have_a_stricter_limit_per_client_ip() {
    let app = spawn_app_with(TestOptions { trusted_proxies: "127.0.0.1", ..limited(100, 3) }).await;
    let login = |ip: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&json!({ "email": "nobody@example.com", "password": PASSWORD }))
    };
    for _ in 0..3 {
        assert_eq!(app.send(login("198.51.100.1")).await.0, 401);
    }
    let (status, headers, body) = app.send_full(login("198.51.100.1")).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(error_code(&body), "rate_limited");
    // 3 per minute refill one every 20 s.
    assert!((1..=20).contains(&retry_after(&headers)));
    // Another client behind our trusted proxy is unaffected; other routes are too.
    assert_eq!(app.send(login("198.51.100.2")).await.0, 401);
    assert_eq!(app.get_json("/api/v1/chapters").await.0, 401);
}

#[tokio::test]
async fn a_forwarded_address_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app_with(limited(100, 2)).await;
    let login = |ip: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&json!({ "email": "nobody@example.com", "password": PASSWORD }))
    };
    assert_eq!(app.send(login("198.51.100.1")).await.0, 401);
    assert_eq!(app.send(login("198.51.100.2")).await.0, 401);
    // Spoofing a third address does not buy a new bucket.
    assert_eq!(app.send(login("198.51.100.3")).await.0, 429);
}

#[tokio::test]
async fn health_and_metrics_are_never_rate_limited() {
    let app = spawn_app_with(limited(2, 2)).await;
    for _ in 0..5 {
        assert_eq!(app.get_json("/health").await.0, 200);
        let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(metrics.status(), 200);
    }
}

#[tokio::test]
async fn idle_buckets_are_pruned_so_a_flood_of_addresses_leaves_no_trace() {
    // 6,000 a minute: a bucket that served one request is full again after 10 ms.
    let app =
        spawn_app_with(TestOptions { trusted_proxies: "127.0.0.1", ..limited(6_000, 0) }).await;
    for n in 0..300u32 {
        let ip = format!("10.{}.{}.{}", n / 65_536, (n / 256) % 256, n % 256);
        let response = app
            .client
            .get(app.url("/api/v1/chapters"))
            .header("x-forwarded-for", ip)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }
    assert!(app.rate_limits.tracked_keys() >= 300, "{}", app.rate_limits.tracked_keys());
    tokio::time::sleep(Duration::from_millis(50)).await;
    app.rate_limits.prune();
    assert_eq!(app.rate_limits.tracked_keys(), 0);
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_a_plausible_given_one_is_kept() {
    let app = spawn_app().await;
    let (_, headers, _) = app.send_full(app.client.get(app.url("/health"))).await;
    let generated = headers["x-request-id"].to_str().unwrap();
    assert_eq!(generated.len(), 32);

    let given = app.client.get(app.url("/nowhere")).header("x-request-id", "trace-42.a_b");
    let (status, headers, _) = app.send_full(given).await;
    assert_eq!(status, 404);
    assert_eq!(headers["x-request-id"], "trace-42.a_b");

    let forged = app.client.get(app.url("/health")).header("x-request-id", "bad id\twith tab");
    let (_, headers, _) = app.send_full(forged).await;
    assert_ne!(headers["x-request-id"], "bad id\twith tab");
}

#[tokio::test]
async fn answers_carry_security_headers_and_hsts_only_behind_https() {
    let plain = spawn_app().await;
    let (_, headers, _) = plain.send_full(plain.client.get(plain.url("/health"))).await;
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(
        headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'")
    );
    assert!(!headers.contains_key("strict-transport-security"));

    let secure = spawn_app_with(TestOptions {
        public_url: "https://api.example.com",
        ..TestOptions::default()
    })
    .await;
    let (_, headers, _) = secure.send_full(secure.client.get(secure.url("/health"))).await;
    assert!(headers["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
}

#[tokio::test]
async fn cors_answers_exactly_the_configured_origins() {
    let app = spawn_app_with(TestOptions {
        cors_origins: vec!["https://app.example.com".into()],
        ..TestOptions::default()
    })
    .await;
    let preflight = |origin: &str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/chapters"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example.com");
    let refused = preflight("https://evil.example.com").await.unwrap();
    assert!(!refused.headers().contains_key("access-control-allow-origin"));

    let no_cors = spawn_app().await;
    let request = no_cors
        .client
        .get(no_cors.url("/health"))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(request.status(), 200, "non-browser use is unaffected");
    assert!(!request.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn a_json_body_over_64_kib_is_refused_with_413_json() {
    let app = spawn_app().await;
    let huge = json!({ "email": "a@example.com", "password": "x".repeat(70 * 1024) });
    let (status, body) = app.post_json("/api/v1/auth/register", &huge).await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&body), "payload_too_large");
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_answered_503_not_left_hanging() {
    // Hashing a password at the production cost takes a few hundred milliseconds even on a
    // fast, idle core: far beyond the 20 ms limit, whatever the machine and its load.
    let app = spawn_app_with(TestOptions {
        request_timeout: Duration::from_millis(20),
        bcrypt_cost: 12,
        ..TestOptions::default()
    })
    .await;
    let (status, headers, body) = app
        .send_full(
            app.client
                .post(app.url("/api/v1/auth/register"))
                .json(&json!({ "email": "slow@example.com", "password": PASSWORD })),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(error_code(&body), "service_unavailable");
    assert!(headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_name_every_series() {
    let app = spawn_app().await;
    let learner = app.register("metrics@example.com").await;
    let (status, _) = app.get_as(&learner, "/api/v1/chapters/what-is-an-ai-agent").await;
    assert_eq!(status, 200);
    let (status, quizzes) = app.get_as(&learner, "/api/v1/quizzes").await;
    assert_eq!(status, 200);
    let quiz = quizzes["items"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/quizzes/{quiz}/submit");
    // Rejected submissions are counted too.
    let (status, body) = app.post_as(&learner, &path, &json!({ "answers": {} })).await;
    assert_eq!(status, 422, "{body}");
    app.login("metrics@example.com").await;

    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let exposition = openmetrics_parser::openmetrics::parse_openmetrics(&text)
        .unwrap_or_else(|error| panic!("not OpenMetrics text ({error:?}):\n{text}"));
    for family in [
        "http_requests",
        "http_request_duration_seconds",
        "db_pool_connections_in_use",
        "db_pool_connections_idle",
        "content_cache_hits",
        "content_cache_misses",
        "content_cache_bytes",
        "logins",
        "quiz_submissions",
    ] {
        // rate_limited_requests appears once something is limited; the next test sees it.
        assert!(exposition.families.contains_key(family), "{family} missing:\n{text}");
    }
    let requests = &exposition.families["http_requests"];
    let chapter_reads = requests.iter_samples().find(|sample| {
        let labels = sample.get_labelset().unwrap();
        labels.get_label_value("route") == Some("/api/v1/chapters/{chapter_ref}")
            && labels.get_label_value("status") == Some("200")
            && labels.get_label_value("method") == Some("GET")
    });
    assert!(chapter_reads.is_some(), "requests are labelled by route template:\n{text}");
    for (family, outcome) in [("logins", "succeeded"), ("quiz_submissions", "rejected")] {
        let counted = exposition.families[family].iter_samples().any(|sample| {
            sample.get_labelset().unwrap().get_label_value("outcome") == Some(outcome)
        });
        assert!(counted, "{family} lacks outcome {outcome}:\n{text}");
    }
    assert!(!text.contains("metrics@example.com"), "no raw paths or emails in labels");
}

#[tokio::test]
async fn rate_limited_requests_are_counted() {
    let app = spawn_app_with(limited(1, 0)).await;
    app.get_json("/api/v1/chapters").await;
    assert_eq!(app.get_json("/api/v1/chapters").await.0, 429);
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("rate_limited_requests_total{scope=\"api\"} 1"), "{text}");
}

/// A store that can be switched off, as during an outage.
#[derive(Debug, Default)]
struct SwitchableStore {
    objects: MemoryBackend,
    down: AtomicBool,
    /// Every body is gone: a corrupt deployment, which is our fault (500).
    lost: AtomicBool,
}

impl SwitchableStore {
    fn check_up(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable("switched off by the test".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl ContentBackend for SwitchableStore {
    async fn get(&self, key: &ContentKey) -> Result<Bytes, StoreError> {
        self.check_up()?;
        if self.lost.load(Ordering::SeqCst) {
            return Err(StoreError::NotFound(key.clone()));
        }
        self.objects.get(key).await
    }

    async fn put(&self, key: &ContentKey, body: Bytes) -> Result<(), StoreError> {
        self.check_up()?;
        self.objects.put(key, body).await
    }

    async fn exists(&self, key: &ContentKey) -> Result<bool, StoreError> {
        self.check_up()?;
        self.objects.exists(key).await
    }

    async fn check(&self) -> Result<(), StoreError> {
        self.check_up()
    }
}

#[tokio::test]
async fn while_the_store_is_down_cached_chapters_are_served_and_others_get_503() {
    // Room for about three of the ten chapters.
    let backend = Arc::new(SwitchableStore::default());
    let app = spawn_app_with_backend(backend.clone(), 40 * 1024).await;
    let learner = app.learner(Tier::Premium).await;
    let (_, outline) = app.get_as(&learner, "/api/v1/chapters").await;
    let slugs: Vec<String> = outline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|chapter| chapter["slug"].as_str().unwrap().to_owned())
        .collect();
    let first = format!("/api/v1/chapters/{}", slugs[0]);
    for _ in 0..2 {
        assert_eq!(app.get_as(&learner, &first).await.0, 200);
    }

    backend.down.store(true, Ordering::SeqCst);
    let (status, cached) = app.get_as(&learner, &first).await;
    assert_eq!(status, 200, "{cached}");
    assert!(cached["content"].as_str().is_some_and(|text| !text.is_empty()));
    let mut unavailable = 0;
    for slug in &slugs[1..] {
        let (status, body) = app.get_as(&learner, &format!("/api/v1/chapters/{slug}")).await;
        if status != 200 {
            assert_eq!((status, error_code(&body)), (503, "service_unavailable"), "{body}");
            unavailable += 1;
        }
    }
    assert!(unavailable > 0, "the cache cannot hold every chapter");

    backend.down.store(false, Ordering::SeqCst);
    for slug in &slugs {
        assert_eq!(app.get_as(&learner, &format!("/api/v1/chapters/{slug}")).await.0, 200);
    }
}

#[tokio::test]
async fn a_500_says_nothing_internal_and_names_the_request_id() {
    let backend = Arc::new(SwitchableStore::default());
    let app = spawn_app_with_backend(backend.clone(), 1024).await;
    let learner = app.register("lost@example.com").await;
    backend.lost.store(true, Ordering::SeqCst);
    let request = app
        .client
        .get(app.url("/api/v1/chapters/what-is-an-ai-agent"))
        .bearer_auth(&learner.token)
        .header("x-request-id", "lost-body-1");
    let (status, headers, body) = app.send_full(request).await;
    assert_eq!(status, 500);
    assert_eq!(error_code(&body), "internal_error");
    assert_eq!(headers["x-request-id"], "lost-body-1");
    assert_eq!(body["details"]["request_id"], "lost-body-1");
    assert!(!body.to_string().contains("sha256"), "no internals in a 500: {body}");
}
