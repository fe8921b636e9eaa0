//! The seed's freemium scenarios, access checks, tiers and ownership.

use domain::{Role, Tier};
use serde_json::json;

use crate::helpers::{TestApp, TestUser, UPGRADE_URL, error_code, spawn_app};

async fn read_status(app: &TestApp, user: &TestUser, order: u32) -> u16 {
    app.get_as(user, &format!("/api/v1/chapters/{}", slug_of(app, user, order).await)).await.0
}

async fn slug_of(app: &TestApp, user: &TestUser, order: u32) -> String {
    let (_, outline) = app.get_as(user, "/api/v1/chapters").await;
    let item = outline["items"].as_array().unwrap().iter().find(|c| c["order"] == order).unwrap();
    item["slug"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_free_learner_reads_chapters_one_to_three() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    for order in 1..=3 {
        assert_eq!(read_status(&app, &learner, order).await, 200, "chapter {order}");
    }
}

#[tokio::test]
async fn a_free_learner_reading_chapter_four_gets_403_upgrade_required_with_the_upgrade_url() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let slug = slug_of(&app, &learner, 4).await;
    let (status, body) = app.get_as(&learner, &format!("/api/v1/chapters/{slug}")).await;
    assert_eq!(status, 403);
    assert_eq!(error_code(&body), "upgrade_required");
    assert_eq!(body["details"]["required_tier"], "premium");
    assert_eq!(body["details"]["upgrade_url"], UPGRADE_URL);
    assert!(body.get("content").is_none() && !body.to_string().contains("# Tool Use"));
}

#[tokio::test]
async fn premium_and_pro_learners_read_every_chapter() {
    let app = spawn_app().await;
    for tier in [Tier::Premium, Tier::Pro] {
        let learner = app.learner(tier).await;
        for order in 1..=10 {
            assert_eq!(read_status(&app, &learner, order).await, 200, "{tier} chapter {order}");
        }
    }
}

#[tokio::test]
async fn a_learner_downgraded_after_reading_premium_content_gets_403_on_the_next_read() {
    let app = spawn_app().await;
    let admin = app.user_with(Tier::Free, Role::Admin).await;
    let learner = app.learner(Tier::Free).await;
    let upgrade = |tier: &str| json!({ "user_id": learner.id, "new_tier": tier, "reason": "test" });

    let (status, change) = app.post_as(&admin, "/api/v1/access/upgrade", &upgrade("premium")).await;
    assert_eq!(status, 200, "{change}");
    assert_eq!(
        (change["previous_tier"].as_str(), change["tier"].as_str()),
        (Some("free"), Some("premium"))
    );
    assert_eq!(read_status(&app, &learner, 7).await, 200, "the same token now opens chapter 7");

    let (status, _) = app.post_as(&admin, "/api/v1/access/upgrade", &upgrade("free")).await;
    assert_eq!(status, 200);
    assert_eq!(read_status(&app, &learner, 7).await, 403, "the very next read is refused");
    let history = app.db.tier_history(learner.id).await.unwrap();
    assert_eq!(history, vec![(Tier::Free, Tier::Premium), (Tier::Premium, Tier::Free)]);
}

#[tokio::test]
async fn access_check_answers_as_the_read_would() {
    let app = spawn_app().await;
    for tier in [Tier::Free, Tier::Premium, Tier::Pro] {
        let learner = app.learner(tier).await;
        for order in 1..=10 {
            let read = read_status(&app, &learner, order).await;
            let slug = slug_of(&app, &learner, order).await;
            for resource in [format!("chapter-{order}"), format!("chapter:{slug}")] {
                let (status, check) = app
                    .post_as(&learner, "/api/v1/access/check", &json!({ "resource": resource }))
                    .await;
                assert_eq!(status, 200, "{check}");
                assert_eq!(
                    check["access_granted"] == true,
                    read == 200,
                    "{tier} {resource}: {check}"
                );
                assert_eq!(check["tier"], tier.as_str());
                assert_eq!(check["upgrade_url"].is_string(), read == 403);
                assert!(check["reason"].as_str().is_some_and(|r| !r.is_empty()));
            }
        }
    }
}

#[tokio::test]
async fn a_quiz_is_open_exactly_when_its_chapter_is() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    for (order, open) in [(3, true), (4, false)] {
        let slug = slug_of(&app, &learner, order).await;
        let (_, chapter) =
            app.get_as(&app.learner(Tier::Pro).await, &format!("/api/v1/chapters/{slug}")).await;
        let resource = format!("quiz:{}", chapter["quiz_id"].as_str().unwrap());
        let (_, check) =
            app.post_as(&learner, "/api/v1/access/check", &json!({ "resource": resource })).await;
        assert_eq!(check["access_granted"], open, "chapter {order}: {check}");
    }
}

#[tokio::test]
async fn an_unknown_resource_is_404_and_a_malformed_one_422() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let check = |resource: String| json!({ "resource": resource });
    for unknown in [
        "chapter-99".to_owned(),
        "chapter:no-such-chapter".into(),
        format!("quiz:{}", uuid::Uuid::new_v4()),
    ] {
        let (status, body) =
            app.post_as(&learner, "/api/v1/access/check", &check(unknown.clone())).await;
        assert_eq!((status, error_code(&body)), (404, "not_found"), "{unknown}");
    }
    let (status, body) =
        app.post_as(&learner, "/api/v1/access/check", &check("lesson-1".into())).await;
    assert_eq!((status, error_code(&body)), (422, "validation_failed"));
    assert!(body["details"]["fields"]["resource"].is_array());
}

#[tokio::test]
async fn the_outline_lists_locked_chapters_with_the_tier_that_opens_them() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (_, outline) = app.get_as(&learner, "/api/v1/chapters").await;
    for item in outline["items"].as_array().unwrap() {
        let locked = item["order"].as_u64().unwrap() > 3;
        assert_eq!(item["locked"], locked, "{item}");
        assert_eq!(item["required_tier"], if locked { "premium" } else { "free" });
        assert!(item["title"].is_string());
    }
}

#[tokio::test]
async fn a_non_admin_calling_upgrade_gets_403_and_nothing_changes() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let body = json!({ "user_id": learner.id, "new_tier": "pro" });
    let (status, error) = app.post_as(&learner, "/api/v1/access/upgrade", &body).await;
    assert_eq!((status, error_code(&error)), (403, "forbidden"));
    let (_, tier) = app.get_as(&learner, "/api/v1/user/me/tier").await;
    assert_eq!(tier["tier"], "free");
    assert!(app.db.tier_history(learner.id).await.unwrap().is_empty(), "no audit row either");
}

#[tokio::test]
async fn a_learner_naming_another_learners_id_gets_403() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let other = app.learner(Tier::Pro).await;
    let (status, body) = app.get_as(&learner, &format!("/api/v1/user/{}/tier", other.id)).await;
    assert_eq!((status, error_code(&body)), (403, "forbidden"));
    let check = json!({ "resource": "chapter-1", "user_id": other.id });
    let (status, body) = app.post_as(&learner, "/api/v1/access/check", &check).await;
    assert_eq!((status, error_code(&body)), (403, "forbidden"));
    let (status, own) = app.get_as(&learner, &format!("/api/v1/user/{}/tier", learner.id)).await;
    assert_eq!((status, own["tier"].as_str()), (200, Some("free")));
}

#[tokio::test]
async fn an_admin_reads_and_checks_any_users_tier() {
    let app = spawn_app().await;
    let admin = app.user_with(Tier::Free, Role::Admin).await;
    let learner = app.learner(Tier::Premium).await;
    let (status, tier) = app.get_as(&admin, &format!("/api/v1/user/{}/tier", learner.id)).await;
    assert_eq!((status, tier["tier"].as_str()), (200, Some("premium")));
    let check = json!({ "resource": "chapter-9", "user_id": learner.id });
    let (_, answer) = app.post_as(&admin, "/api/v1/access/check", &check).await;
    assert_eq!(answer["access_granted"], true);
    let missing = json!({ "user_id": uuid::Uuid::new_v4(), "new_tier": "pro" });
    let (status, _) = app.post_as(&admin, "/api/v1/access/upgrade", &missing).await;
    assert_eq!(status, 404);
    let (status, _) = app.get_as(&admin, "/api/v1/user/not-a-uuid/tier").await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn every_learner_route_needs_a_token_and_the_open_ones_do_not() {
    let app = spawn_app().await;
    for (method, path) in [
        ("GET", "/api/v1/chapters"),
        ("GET", "/api/v1/chapters/what-is-an-ai-agent"),
        ("GET", "/api/v1/chapters/what-is-an-ai-agent/next"),
        ("GET", "/api/v1/chapters/what-is-an-ai-agent/previous"),
        ("GET", "/api/v1/me"),
        ("PATCH", "/api/v1/me"),
        ("POST", "/api/v1/access/check"),
        ("POST", "/api/v1/access/upgrade"),
        ("GET", "/api/v1/user/me/tier"),
        ("GET", "/api/v1/search?q=agents"),
        ("GET", "/api/v1/quizzes"),
        ("GET", "/api/v1/progress/me"),
        ("PUT", "/api/v1/progress/me"),
        ("GET", "/api/v1/streaks/me"),
        ("POST", "/api/v1/streaks/me/checkin"),
    ] {
        let request = app.client.request(method.parse().unwrap(), app.url(path)).json(&json!({}));
        let (status, body) = app.send(request).await;
        assert_eq!((status, error_code(&body)), (401, "unauthorized"), "{method} {path}");
    }
    for path in ["/health", "/openapi.json"] {
        assert_eq!(app.get_json(path).await.0, 200, "{path}");
    }
}
