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
