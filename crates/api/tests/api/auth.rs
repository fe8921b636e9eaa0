use serde_json::json;

use crate::helpers::{PASSWORD, error_code, spawn_app};

#[tokio::test]
async fn register_returns_201_with_a_bearer_token_and_the_profile() {
    let app = spawn_app().await;
    let (status, body) = app
        .post_json(
            "/api/v1/auth/register",
            &json!({ "email": "ada@example.com", "password": PASSWORD, "name": "Ada",
                     "timezone": "Europe/Lisbon", "background": "backend developer, new to ML" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["access_token"].as_str().unwrap().split('.').count() == 3);
    let user = &body["user"];
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["name"], "Ada");
    assert_eq!(user["timezone"], "Europe/Lisbon");
    assert_eq!(user["background"], "backend developer, new to ML");
    assert_eq!((user["tier"].as_str(), user["role"].as_str()), (Some("free"), Some("student")));
    assert_eq!(user["preferences"], json!({}));
}

#[tokio::test]
async fn an_email_is_taken_regardless_of_case_and_stored_in_lower_case() {
    let app = spawn_app().await;
    let first = app.register("Grace.Hopper@Example.com").await;
    let (_, me) = app.get_as(&first, "/api/v1/me").await;
    assert_eq!(me["email"], "grace.hopper@example.com");
    let (status, body) = app
        .post_json(
            "/api/v1/auth/register",
            &json!({ "email": "GRACE.HOPPER@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(error_code(&body), "email_taken");
    app.login("grace.hopper@EXAMPLE.com").await;
}

#[tokio::test]
async fn invalid_email_password_and_timezone_are_422_naming_each_json_field() {
    let app = spawn_app().await;
    let (status, body) = app
        .post_json(
            "/api/v1/auth/register",
            &json!({ "email": "not-an-email", "password": "short", "timezone": "Mars/Olympus" }),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(error_code(&body), "validation_failed");
    let fields = body["details"]["fields"].as_object().unwrap();
    for field in ["email", "password", "timezone"] {
        assert!(fields.contains_key(field), "{field} missing from {body}");
    }
}

#[tokio::test]
async fn passwords_need_a_letter_and_a_digit_and_at_most_72_bytes() {
    let app = spawn_app().await;
    let too_long = format!("{}1", "a".repeat(72));
    for password in ["onlyletters", "12345678", too_long.as_str()] {
        let (status, body) = app
            .post_json(
                "/api/v1/auth/register",
                &json!({ "email": "p@example.com", "password": password }),
            )
            .await;
        assert_eq!(status, 422, "{password}: {body}");
        assert!(body["details"]["fields"]["password"].is_array());
    }
}

#[tokio::test]
async fn a_missing_field_or_malformed_json_is_a_json_400() {
    let app = spawn_app().await;
    let (status, body) =
        app.post_json("/api/v1/auth/register", &json!({ "email": "x@example.com" })).await;
    assert_eq!((status, error_code(&body)), (400, "bad_request"));
    let raw = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{");
    let (status, body) = app.send(raw).await;
    assert_eq!((status, error_code(&body)), (400, "bad_request"));
}

#[tokio::test]
async fn login_returns_the_same_shape_and_records_the_login() {
    let app = spawn_app().await;
    let registered = app.register("lin@example.com").await;
    let (status, body) = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": "lin@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["user"]["id"], registered.id.to_string());
    assert!(body["user"]["last_login"].is_string());
}

#[tokio::test]
async fn an_unknown_email_and_a_wrong_password_get_the_same_401() {
    let app = spawn_app().await;
    app.register("known@example.com").await;
    let wrong_password = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": "known@example.com", "password": "wrong password 9" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_password.status(), 401);
    assert_eq!(wrong_password.headers()["www-authenticate"], "Bearer");
    let wrong_password: serde_json::Value = wrong_password.json().await.unwrap();
    let (status, unknown_email) = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "email": "nobody@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(wrong_password, unknown_email);
    assert_eq!(error_code(&unknown_email), "invalid_credentials");
}

#[tokio::test]
async fn me_changes_name_timezone_background_and_preferences_but_never_tier_or_role() {
    let app = spawn_app().await;
    let user = app.register("me@example.com").await;
    let change = json!({ "name": "Mo", "timezone": "Asia/Tokyo", "background": "data engineer",
                         "preferences": { "pace": "fast", "examples": ["python"] } });
    let (status, me) = app.patch_as(&user, "/api/v1/me", &change).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["name"], "Mo");
    assert_eq!(me["timezone"], "Asia/Tokyo");
    assert_eq!(me["preferences"]["pace"], "fast");
    let (_, again) = app.get_as(&user, "/api/v1/me").await;
    assert_eq!(again, me);

    for forbidden in [json!({ "tier": "pro" }), json!({ "role": "admin" })] {
        let (status, body) = app.patch_as(&user, "/api/v1/me", &forbidden).await;
        assert_eq!(status, 400, "{body}");
    }
    let (_, after) = app.get_as(&user, "/api/v1/me").await;
    assert_eq!((after["tier"].as_str(), after["role"].as_str()), (Some("free"), Some("student")));
}

#[tokio::test]
async fn me_rejects_a_bad_timezone_long_background_and_oversized_preferences() {
    let app = spawn_app().await;
    let user = app.register("limits@example.com").await;
    for (field, value) in [
        ("timezone", json!("Nowhere/City")),
        ("background", json!("x".repeat(501))),
        ("preferences", json!({ "blob": "x".repeat(4100) })),
        ("preferences", json!(["not", "an", "object"])),
    ] {
        let (status, body) = app.patch_as(&user, "/api/v1/me", &json!({ field: value })).await;
        assert_eq!(status, 422, "{field}: {body}");
        assert!(body["details"]["fields"][field].is_array(), "{body}");
    }
}
