use crate::helpers::{error_code, spawn_app};

#[tokio::test]
async fn a_malformed_chapter_reference_is_422_naming_the_field() {
    let app = spawn_app().await;
    let learner = app.learner(domain::Tier::Premium).await;
    for reference in ["Not%20A%20Slug", "UPPER", "a--b", "%F0%9F%A6%80", &"x".repeat(300)] {
        let (status, body) = app.get_as(&learner, &format!("/api/v1/chapters/{reference}")).await;
        assert_eq!(status, 422, "{reference}");
        assert_eq!(error_code(&body), "validation_failed");
        assert!(body["details"]["fields"]["chapter_ref"].is_array(), "{body}");
    }
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404() {
    let app = spawn_app().await;
    for path in ["/nope", "/api/v1", "/api/v1/chapters/a/b/c", "/api/v2/chapters"] {
        let (status, headers, body) = app.send_full(app.client.get(app.url(path))).await;
        assert_eq!(status, 404, "{path}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("application/json"));
        assert_eq!(error_code(&body), "not_found");
    }
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405() {
    let app = spawn_app().await;
    let (status, body) = app.send(app.client.delete(app.url("/api/v1/chapters"))).await;
    assert_eq!((status, error_code(&body)), (405, "method_not_allowed"));
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let app = spawn_app().await;
    let (status, document) = app.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(document["servers"][0]["url"], "http://localhost:8000");
    for (method, path) in [
        ("get", "/health"),
        ("post", "/api/v1/auth/register"),
        ("post", "/api/v1/auth/login"),
        ("get", "/api/v1/me"),
        ("patch", "/api/v1/me"),
        ("get", "/api/v1/chapters"),
        ("get", "/api/v1/chapters/{chapter_ref}"),
        ("get", "/api/v1/chapters/{chapter_ref}/next"),
        ("get", "/api/v1/chapters/{chapter_ref}/previous"),
        ("post", "/api/v1/access/check"),
        ("post", "/api/v1/access/upgrade"),
        ("get", "/api/v1/user/{user}/tier"),
        ("get", "/api/v1/search"),
        ("get", "/api/v1/progress/{user}"),
        ("put", "/api/v1/progress/{user}"),
        ("get", "/api/v1/streaks/{user}"),
        ("post", "/api/v1/streaks/{user}/checkin"),
        ("get", "/api/v1/quizzes"),
        ("get", "/api/v1/quizzes/{quiz_id}"),
        ("post", "/api/v1/quizzes/{quiz_id}/submit"),
        ("get", "/api/v1/quizzes/{quiz_id}/results"),
    ] {
        let operation = &document["paths"][path][method];
        assert!(operation["operationId"].is_string(), "{method} {path} is undocumented");
    }
}
