use crate::helpers::{
    error_code, spawn_app, spawn_app_with_unreachable_store, spawn_app_without_database,
};

#[tokio::test]
async fn health_is_200_when_the_database_and_store_answer() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/health").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["database"], "connected");
    assert_eq!(body["storage"], "connected");
    assert_eq!(body["version"], "test");
}

#[tokio::test]
async fn without_a_database_health_is_503_and_reads_are_json_503s() {
    let app = spawn_app_without_database().await;
    let (status, body) = app.get_json("/health").await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["database"], "disconnected");
    assert_eq!(body["storage"], "connected");

    let token = app.tokens.issue(uuid::Uuid::new_v4()).unwrap().token;
    let request = app.client.get(app.url("/api/v1/chapters")).bearer_auth(token);
    let (status, headers, body) = app.send_full(request).await;
    assert_eq!(status, 503, "a verified caller whose tier cannot be read gets 503");
    assert!(headers.contains_key("retry-after"));
    assert_eq!(error_code(&body), "service_unavailable");
}

#[tokio::test]
async fn without_the_content_store_health_is_503_and_chapter_bodies_are_json_503s() {
    let app = spawn_app_with_unreachable_store().await;
    let (status, body) = app.get_json("/health").await;
    assert_eq!(status, 503);
    assert_eq!(
        (body["database"].as_str(), body["storage"].as_str()),
        (Some("connected"), Some("disconnected"))
    );

    let learner = app.learner(domain::Tier::Free).await;
    let (status, outline) = app.get_as(&learner, "/api/v1/chapters").await;
    assert_eq!(status, 200, "the outline needs only the database");
    assert_eq!(outline["total"], 10);
    let (status, body) = app.get_as(&learner, "/api/v1/chapters/what-is-an-ai-agent").await;
    assert_eq!(status, 503);
    assert_eq!(error_code(&body), "service_unavailable");
}
