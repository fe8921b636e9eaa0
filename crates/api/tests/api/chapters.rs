use domain::Tier;

use crate::helpers::{error_code, spawn_app};

#[tokio::test]
async fn the_outline_lists_the_ten_sample_chapters_in_order() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Premium).await;
    let (status, outline) = app.get_as(&learner, "/api/v1/chapters").await;
    assert_eq!(status, 200);
    assert_eq!(outline["total"], 10);
    let orders: Vec<u64> =
        outline["items"].as_array().unwrap().iter().map(|c| c["order"].as_u64().unwrap()).collect();
    assert_eq!(orders, (1..=10).collect::<Vec<_>>());
    let first = &outline["items"][0];
    for field in ["id", "slug", "title", "difficulty_level", "estimated_minutes", "word_count"] {
        assert!(!first[field].is_null(), "outline item lacks {field}");
    }
    assert!(first.get("content").is_none(), "the outline carries no content");
}

#[tokio::test]
async fn every_chapter_content_equals_its_file_body_byte_for_byte() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Premium).await;
    testkit::assert_serves_sample_course_verbatim(&app.client, &app.address, &learner.token).await;
}

#[tokio::test]
async fn a_chapter_is_the_same_by_slug_or_by_id_with_its_quiz_and_neighbours() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Pro).await;
    let (_, outline) = app.get_as(&learner, "/api/v1/chapters").await;
    let items = outline["items"].as_array().unwrap();
    let (_, by_slug) = app.get_as(&learner, "/api/v1/chapters/tool-use-and-function-calling").await;
    let path = format!("/api/v1/chapters/{}", by_slug["id"].as_str().unwrap());
    let (status, by_id) = app.get_as(&learner, &path).await;
    assert_eq!(status, 200);
    assert_eq!(by_slug, by_id);
    assert_eq!(by_slug["order"], 4);
    assert!(by_slug["quiz_id"].is_string());
    assert_eq!(by_slug["previous_chapter_id"], items[2]["id"]);
    assert_eq!(by_slug["next_chapter_id"], items[4]["id"]);
}

#[tokio::test]
async fn next_and_previous_give_a_summary_or_null_at_the_ends() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (_, outline) = app.get_as(&learner, "/api/v1/chapters").await;
    let items = outline["items"].as_array().unwrap();
    let first = items[0]["slug"].as_str().unwrap();
    let last = items[9]["slug"].as_str().unwrap();

    let (status, next) = app.get_as(&learner, &format!("/api/v1/chapters/{first}/next")).await;
    assert_eq!(status, 200);
    assert_eq!(next["chapter"], items[1]);
    let (_, previous) = app.get_as(&learner, &format!("/api/v1/chapters/{first}/previous")).await;
    assert!(previous["chapter"].is_null());
    let (_, after_last) = app.get_as(&learner, &format!("/api/v1/chapters/{last}/next")).await;
    assert!(after_last["chapter"].is_null());
    let (_, before_last) = app.get_as(&learner, &format!("/api/v1/chapters/{last}/previous")).await;
    assert_eq!(
        before_last["chapter"], items[8],
        "a locked neighbour is still named, marked locked"
    );
    assert_eq!(before_last["chapter"]["locked"], true);
}

#[tokio::test]
async fn a_matching_if_none_match_gets_304_and_a_stale_one_gets_the_chapter() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let url = app.url("/api/v1/chapters/what-is-an-ai-agent");
    let (status, headers, _) =
        app.send_full(app.client.get(&url).bearer_auth(&learner.token)).await;
    assert_eq!(status, 200);
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "a strong ETag: {etag}");

    let cached = app.client.get(&url).bearer_auth(&learner.token).header("If-None-Match", &etag);
    let (status, headers, body) = app.send_full(cached).await;
    assert_eq!(status, 304);
    assert_eq!(headers["etag"].to_str().unwrap(), etag);
    assert!(body.is_null(), "a 304 has no body");

    let stale =
        app.client.get(&url).bearer_auth(&learner.token).header("If-None-Match", "\"stale\"");
    assert_eq!(app.send(stale).await.0, 200);
}

#[tokio::test]
async fn an_unknown_chapter_is_404_not_found() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Premium).await;
    for path in [
        "/api/v1/chapters/no-such-chapter",
        "/api/v1/chapters/00000000-0000-0000-0000-000000000000",
        "/api/v1/chapters/no-such-chapter/next",
        "/api/v1/chapters/no-such-chapter/previous",
    ] {
        let (status, body) = app.get_as(&learner, path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(error_code(&body), "not_found");
    }
}
