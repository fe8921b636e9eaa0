//! Every way a token can be wrong gets 401 `unauthorized` with `WWW-Authenticate: Bearer`.

use std::time::Duration;

use app::Tokens;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

use crate::helpers::{ISSUER, JWT_SECRET, TestApp, spawn_app};

async fn assert_unauthorized(app: &TestApp, authorization: Option<String>) {
    for path in ["/api/v1/me", "/api/v1/chapters"] {
        let mut request = app.client.get(app.url(path));
        if let Some(value) = &authorization {
            request = request.header("Authorization", value);
        }
        let (status, headers, body) = app.send_full(request).await;
        assert_eq!(status, 401, "{path} with {authorization:?}");
        assert_eq!(headers["www-authenticate"], "Bearer");
        assert_eq!(body["error"], "unauthorized");
    }
}

fn claims(sub: &str) -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "sub": sub, "iat": now, "exp": now + 3600, "iss": ISSUER })
}

#[tokio::test]
async fn a_missing_token_is_401() {
    let app = spawn_app().await;
    assert_unauthorized(&app, None).await;
    assert_unauthorized(&app, Some("Basic dXNlcjpwYXNz".into())).await;
}

#[tokio::test]
async fn a_garbage_token_is_401() {
    let app = spawn_app().await;
    assert_unauthorized(&app, Some("Bearer not.a.jwt".into())).await;
    assert_unauthorized(&app, Some("Bearer ".into())).await;
}

#[tokio::test]
async fn a_token_with_a_tampered_signature_is_401() {
    let app = spawn_app().await;
    let user = app.register("tamper@example.com").await;
    let mut token = user.token.clone();
    let last = token.pop().unwrap();
    token.push(if last == 'A' { 'B' } else { 'A' });
    assert_unauthorized(&app, Some(format!("Bearer {token}"))).await;
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_401() {
    let app = spawn_app().await;
    let user = app.register("other-secret@example.com").await;
    let forged = encode(
        &Header::new(Algorithm::HS256),
        &claims(&user.id.to_string()),
        &EncodingKey::from_secret(b"some-other-secret-of-enough-length-1234"),
    )
    .unwrap();
    assert_unauthorized(&app, Some(format!("Bearer {forged}"))).await;
}

#[tokio::test]
async fn an_alg_none_token_is_401() {
    let app = spawn_app().await;
    let user = app.register("none@example.com").await;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(&user.id.to_string()).to_string());
    assert_unauthorized(&app, Some(format!("Bearer {header}.{payload}."))).await;
}

#[tokio::test]
async fn a_token_of_another_algorithm_is_401_even_with_our_secret() {
    let app = spawn_app().await;
    let user = app.register("hs512@example.com").await;
    let forged = encode(
        &Header::new(Algorithm::HS512),
        &claims(&user.id.to_string()),
        &EncodingKey::from_secret(JWT_SECRET),
    )
    .unwrap();
    assert_unauthorized(&app, Some(format!("Bearer {forged}"))).await;
}

#[tokio::test]
async fn an_expired_token_is_401() {
    let app = spawn_app().await;
    let user = app.register("expired@example.com").await;
    let tokens = Tokens::new(JWT_SECRET, ISSUER, Duration::from_secs(60));
    let two_hours_ago = chrono::Utc::now().timestamp() - 7200;
    let expired = tokens.issue_at(user.id, two_hours_ago).unwrap().token;
    assert_unauthorized(&app, Some(format!("Bearer {expired}"))).await;
}

#[tokio::test]
async fn a_valid_token_for_a_user_who_does_not_exist_is_401() {
    let app = spawn_app().await;
    let ghost = app.tokens.issue(uuid::Uuid::new_v4()).unwrap().token;
    assert_unauthorized(&app, Some(format!("Bearer {ghost}"))).await;
}

#[tokio::test]
async fn the_scheme_name_is_case_insensitive() {
    let app = spawn_app().await;
    let user = app.register("scheme@example.com").await;
    let request = app
        .client
        .get(app.url("/api/v1/me"))
        .header("Authorization", format!("bearer {}", user.token));
    assert_eq!(app.send(request).await.0, 200);
}
