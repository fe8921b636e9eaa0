//! The limits that protect accounts and the server: the password limit however a path is
//! spelled, password guessing per account, IPv6 /64 keys, the one trusted proxy header, the
//! OAuth token endpoint per client, the bounded hashing queue and the metrics token.

use std::time::{Duration, Instant};

use api::{ProxyHeader, RateLimitSettings};
use persistence::ClientRecord;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestOptions, error_code, spawn_app_with};

const CLIENT_SECRET: &str = "limits-client-secret-0123456789";

fn limits(auth_per_minute: u32, oauth_client_per_minute: u32) -> RateLimitSettings {
    RateLimitSettings { per_minute: 0, auth_per_minute, oauth_client_per_minute }
}

/// Behind a trusted proxy on loopback, so each request can come "from" its own address; the
/// per-account throttle is off, so only the per-address limit is at work.
fn behind_proxy(limits: RateLimitSettings) -> TestOptions {
    TestOptions {
        limits,
        trusted_proxies: "127.0.0.1",
        failed_logins: (0, Duration::ZERO),
        ..TestOptions::default()
    }
}

async fn login_from(
    app: &TestApp,
    path: &str,
    ip: &str,
    email: &str,
    password: &str,
) -> (u16, Value) {
    let request = app
        .client
        .post(app.url(path))
        .header("x-forwarded-for", ip)
        .json(&json!({ "email": email, "password": password }));
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_password_limit_holds_for_every_spelling_of_the_login_path() {
    let app = spawn_app_with(behind_proxy(limits(3, 0))).await;
    let spellings = [
        ("percent-encoding", "/api/v1/auth/%6Cogin"),
        ("percent-encoding everywhere", "/%61pi/v1/%61uth/l%6Fgin"),
        ("a trailing slash", "/api/v1/auth/login/"),
        ("doubled slashes", "/api/v1//auth//login"),
        ("a leading doubled slash", "//api/v1/auth/login"),
        ("upper case", "/API/V1/AUTH/LOGIN"),
        ("mixed case", "/api/v1/auth/Login"),
    ];
    let mut reached_login = 0;
    for (number, (trick, path)) in spellings.iter().enumerate() {
        // Each spelling from its own address, with a throw-away learner's token as well.
        let ip = format!("198.51.100.{number}");
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(
                login_from(&app, "/api/v1/auth/login", &ip, "nobody@example.com", PASSWORD).await.0,
            );
        }
        assert_eq!(statuses, [401, 401, 401], "{trick}: the plain path spends the allowance");
        let (status, body) = login_from(&app, path, &ip, "nobody@example.com", PASSWORD).await;
        assert!(matches!(status, 429 | 404), "{trick} ({path}) escaped the limit: {status} {body}");
        if status == 429 {
            assert_eq!(error_code(&body), "rate_limited");
            reached_login += 1;
        }
    }
    // The percent-encoded spellings do route to login (so the limit is what stopped them).
    assert!(reached_login >= 2, "only {reached_login} spellings reached the login route");
}

#[tokio::test]
async fn a_throw_away_token_does_not_buy_more_password_attempts() {
    let app = spawn_app_with(TestOptions { limits: limits(3, 0), ..TestOptions::default() }).await;
    let throw_away = app.tokens.issue(uuid::Uuid::new_v4()).unwrap().token;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let request = app
            .client
            .post(app.url("/api/v1/auth/%6Cogin"))
            .bearer_auth(&throw_away)
            .json(&json!({ "email": "nobody@example.com", "password": PASSWORD }));
        statuses.push(request.send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
}

#[tokio::test]
async fn failed_sign_ins_for_one_email_are_throttled_across_addresses_alike_for_known_and_unknown()
{
    let app = spawn_app_with(TestOptions {
        failed_logins: (3, Duration::from_secs(900)),
        ..behind_proxy(limits(0, 0))
    })
    .await;
    let known = "known@example.com";
    app.register(known).await;
    let mut refusals = Vec::new();
    for email in [known, "unknown@example.com"] {
        for attempt in 0..3 {
            let ip = format!("203.0.113.{attempt}");
            let (status, body) =
                login_from(&app, "/api/v1/auth/login", &ip, email, "wrong password 1").await;
            assert_eq!((status, error_code(&body)), (401, "invalid_credentials"));
        }
        // A fourth address, and even the right password, are refused for now.
        let (status, body) =
            login_from(&app, "/api/v1/auth/login", "203.0.113.99", email, PASSWORD).await;
        assert_eq!(status, 429, "{email}: {body}");
        let wait = body["details"]["retry_after_secs"].as_u64().unwrap();
        assert!((890..=900).contains(&wait), "{wait}");
        refusals.push((body["error"].clone(), body["message"].as_str().unwrap().len()));
    }
    assert_eq!(refusals[0], refusals[1], "known and unknown emails must be refused alike");
    // Another account is unaffected.
    let other = "other@example.com";
    app.register(other).await;
    assert_eq!(login_from(&app, "/api/v1/auth/login", "203.0.113.1", other, PASSWORD).await.0, 200);
}

#[tokio::test]
async fn successful_sign_ins_do_not_count_towards_the_per_account_throttle() {
    let app = spawn_app_with(TestOptions {
        failed_logins: (2, Duration::from_secs(900)),
        ..TestOptions::default()
    })
    .await;
    let email = "often@example.com";
    app.register(email).await;
    for _ in 0..5 {
        app.login(email).await;
    }
}

#[tokio::test]
async fn ipv6_clients_share_one_bucket_per_slash_64() {
    let app = spawn_app_with(behind_proxy(limits(2, 0))).await;
    let login = |ip: &'static str| {
        login_from(&app, "/api/v1/auth/login", ip, "nobody@example.com", PASSWORD)
    };
    assert_eq!(login("2001:db8:1:2::1").await.0, 401);
    assert_eq!(login("2001:db8:1:2:ffff:ffff:ffff:fffe").await.0, 401);
    assert_eq!(login("2001:db8:1:2:abcd::9").await.0, 429, "same /64, new bucket");
    assert_eq!(login("2001:db8:1:3::1").await.0, 401, "another /64 is another client");
}

#[tokio::test]
async fn only_the_configured_proxy_header_names_the_client() {
    let app = spawn_app_with(TestOptions {
        trusted_proxy_header: ProxyHeader::FlyClientIp,
        ..behind_proxy(limits(2, 0))
    })
    .await;
    let login = |fly: &'static str, forged: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("fly-client-ip", fly)
            .header("x-forwarded-for", forged)
            .header("cf-connecting-ip", forged)
            .json(&json!({ "email": "nobody@example.com", "password": PASSWORD }))
    };
    assert_eq!(app.send(login("198.51.100.7", "6.6.6.1")).await.0, 401);
    assert_eq!(app.send(login("198.51.100.7", "6.6.6.2")).await.0, 401);
    // Varying the headers Fly passes through untouched buys nothing.
    assert_eq!(app.send(login("198.51.100.7", "6.6.6.3")).await.0, 429);
    assert_eq!(app.send(login("198.51.100.8", "6.6.6.3")).await.0, 401);
}

async fn register_client(app: &TestApp) -> String {
    let client_id = format!("cc_{}", uuid::Uuid::new_v4().simple());
    app.db
        .create_client(ClientRecord {
            client_id: client_id.clone(),
            secret_hash: domain::oauth::secret_hash(CLIENT_SECRET),
            name: "Limits GPT".into(),
            redirect_uris: vec!["https://chat.openai.com/aip/g-test/oauth/callback".into()],
            created_at: chrono::Utc::now(),
            revoked_at: None,
            public: false,
        })
        .await
        .unwrap();
    client_id
}

/// A refresh with an unknown refresh token: the client authenticates, the grant fails.
async fn refresh(app: &TestApp, client_id: &str, secret: &str) -> reqwest::Response {
    app.client
        .post(app.url("/oauth/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "not-a-refresh-token")])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn token_requests_are_limited_per_authenticated_client_not_per_address() {
    // One address, as ChatGPT's few egress addresses are: far past the per-IP limit of 2.
    let app = spawn_app_with(TestOptions { limits: limits(2, 5), ..TestOptions::default() }).await;
    let client_id = register_client(&app).await;
    for _ in 0..5 {
        let response = refresh(&app, &client_id, CLIENT_SECRET).await;
        assert_eq!(response.status(), 400, "authenticated, then invalid_grant");
    }
    let response = refresh(&app, &client_id, CLIENT_SECRET).await;
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=12).contains(&wait), "5 a minute refill one every 12 s: {wait}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    // Another client behind the same address has its own allowance.
    let other = register_client(&app).await;
    assert_eq!(refresh(&app, &other, CLIENT_SECRET).await.status(), 400);
}

#[tokio::test]
async fn failed_client_authentications_are_limited_per_address() {
    let app =
        spawn_app_with(TestOptions { limits: limits(2, 1000), ..TestOptions::default() }).await;
    let client_id = register_client(&app).await;
    assert_eq!(refresh(&app, &client_id, "wrong secret").await.status(), 401);
    assert_eq!(refresh(&app, &client_id, "wrong secret").await.status(), 401);
    let refused = refresh(&app, &client_id, "wrong secret").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    // The client itself, authenticated, is not held back by someone guessing its secret.
    assert_eq!(refresh(&app, &client_id, CLIENT_SECRET).await.status(), 400);
}

#[tokio::test]
async fn a_flood_of_100_concurrent_logins_at_production_cost_is_answered_in_time() {
    let request_timeout = Duration::from_secs(15);
    let app =
        spawn_app_with(TestOptions { bcrypt_cost: 12, request_timeout, ..TestOptions::default() })
            .await;
    let started = Instant::now();
    let mut logins = tokio::task::JoinSet::new();
    for number in 0..100 {
        let request = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "email": format!("flood{number}@example.com"), "password": PASSWORD }));
        logins.spawn(async move {
            let response = request.send().await.unwrap();
            let retry_after = response.headers().get("retry-after").cloned();
            (response.status().as_u16(), retry_after, started.elapsed())
        });
    }
    let (mut checked, mut busy) = (0, 0);
    while let Some(answer) = logins.join_next().await {
        let (status, retry_after, answered_after) = answer.unwrap();
        // The request timeout runs from when the server took the request; a second of slack
        // covers connecting 100 clients.
        assert!(answered_after <= request_timeout + Duration::from_secs(1), "{answered_after:?}");
        match status {
            401 => checked += 1,
            503 => {
                let retry_after = retry_after.expect("every 503 carries Retry-After");
                assert!(retry_after.to_str().unwrap().parse::<u64>().unwrap() >= 1);
                busy += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(checked + busy, 100);
    assert!(busy > 0, "100 hashes at cost 12 cannot all be queued within the timeout");
}

#[tokio::test]
async fn metrics_need_the_bearer_token_when_one_is_configured() {
    let app = spawn_app_with(TestOptions {
        metrics_token: Some("scrape-token".into()),
        ..TestOptions::default()
    })
    .await;
    let scrape = |token: Option<&str>| {
        let request = app.client.get(app.url("/metrics"));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    };
    assert_eq!(scrape(None).send().await.unwrap().status(), 401);
    assert_eq!(scrape(Some("wrong")).send().await.unwrap().status(), 401);
    let served = scrape(Some("scrape-token")).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert!(served.text().await.unwrap().contains("http_requests_total"));
}
