use domain::Tier;
use serde_json::Value;

use crate::helpers::{TestApp, TestUser, error_code, spawn_app};

async fn search(app: &TestApp, user: &TestUser, query: &str) -> (u16, Value) {
    let request =
        app.client.get(app.url("/api/v1/search")).query(&[("q", query)]).bearer_auth(&user.token);
    app.send(request).await
}

#[tokio::test]
async fn search_returns_ranked_passages_with_snippets_quoting_the_text() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Premium).await;
    let (status, body) = search(&app, &learner, "reciprocal rank fusion").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["query"], "reciprocal rank fusion");
    let first = &body["results"][0];
    assert_eq!(first["chapter_slug"], "retrieval-augmented-generation");
    assert!(first["snippet"].as_str().unwrap().contains("**"), "{first}");
    assert!(first["section"].is_string() && first["section_anchor"].is_string());
    assert_eq!(first["locked"], false);
    let scores: Vec<f64> =
        body["results"].as_array().unwrap().iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|pair| pair[0] >= pair[1]), "ranked: {scores:?}");
    assert!(body["total"].as_u64().unwrap() >= scores.len() as u64);
}

#[tokio::test]
async fn a_free_learners_search_never_reveals_the_text_of_locked_chapters() {
    let app = spawn_app().await;
    let free = app.learner(Tier::Free).await;
    let premium = app.learner(Tier::Premium).await;
    // Words that appear only in chapters 5 and later, in none of their titles.
    for query in ["\"reciprocal rank fusion\"", "orchestrator", "golden dataset"] {
        let (status, body) = search(&app, &premium, query).await;
        assert_eq!(status, 200);
        assert!(body["total"].as_u64().unwrap() > 0, "{query}: the premium learner finds it");
        let (status, body) = search(&app, &free, query).await;
        assert_eq!(status, 200);
        for result in body["results"].as_array().unwrap() {
            assert_eq!(result["locked"], false, "{query}: a locked chapter is listed: {result}");
        }
        assert_eq!(
            body["total"].as_u64(),
            Some(body["results"].as_array().unwrap().len() as u64),
            "{query}: the count holds nothing from locked chapters"
        );
    }
}

#[tokio::test]
async fn a_locked_chapter_named_by_the_query_is_listed_once_first_with_its_title_only() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (status, body) = search(&app, &learner, "how do multi-agent systems share work").await;
    assert_eq!(status, 200);
    let results = body["results"].as_array().unwrap();
    let first = &results[0];
    assert_eq!(
        (first["chapter_slug"].as_str(), first["locked"].as_bool()),
        (Some("multi-agent-systems"), Some(true))
    );
    assert_eq!(first["chapter_title"], "Multi-Agent Systems");
    for hidden in ["section", "section_anchor", "snippet", "score"] {
        assert!(first[hidden].is_null(), "{hidden} in {first}");
    }
    for result in &results[1..] {
        assert_eq!(result["locked"], false, "listed once: {result}");
        assert!(result["score"].is_number() && result["snippet"].is_string());
    }
}

#[tokio::test]
async fn a_query_must_be_2_to_200_characters_and_limit_1_to_50() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    for bad in ["", " a ", "x", &"y".repeat(201)] {
        let (status, body) = search(&app, &learner, bad).await;
        assert_eq!((status, error_code(&body)), (422, "validation_failed"), "{bad:?}");
        assert!(body["details"]["fields"]["q"].is_array());
    }
    for limit in ["0", "51"] {
        let request =
            app.client.get(app.url("/api/v1/search")).query(&[("q", "tools"), ("limit", limit)]);
        let (status, _) = app.send(request.bearer_auth(&learner.token)).await;
        assert_eq!(status, 422, "limit {limit}");
    }
    let (status, _) =
        app.send(app.client.get(app.url("/api/v1/search")).bearer_auth(&learner.token)).await;
    assert_eq!(status, 422, "q is required");
    let (status, body) = search(&app, &learner, "  zzqqxx  ").await;
    assert_eq!(
        (status, body["total"].as_u64(), body["query"].as_str()),
        (200, Some(0), Some("zzqqxx"))
    );
    let (status, _) = search(&app, &learner, "title:\"unbalanced AND ( OR").await;
    assert_eq!(status, 200, "query syntax never makes a 500");
    let (status, body) = search(&app, &learner, "body:orchestrator OR [a TO z]").await;
    assert_eq!(status, 200, "field and range syntax are plain words");
    assert_eq!(body["query"], "body:orchestrator OR [a TO z]");
}

#[tokio::test]
async fn concurrent_searches_during_a_reimport_all_succeed() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Premium).await;
    let url = app.url("/api/v1/search");
    let mut searches = tokio::task::JoinSet::new();
    for round in 0..40 {
        let request =
            app.client.get(&url).query(&[("q", "tool calls")]).bearer_auth(&learner.token);
        searches.spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(round * 5)).await;
            request.send().await.unwrap().status().as_u16()
        });
    }
    let course = tempfile::tempdir().unwrap();
    testkit::copy_dir(&testkit::sample_course(), course.path());
    let chapter = course.path().join("chapters/04-tool-use-and-function-calling.md");
    let text = std::fs::read_to_string(&chapter).unwrap();
    for edit in 0..3 {
        std::fs::write(&chapter, format!("{text}\nRevision {edit} about tool calls.\n")).unwrap();
        let package = importer::read_package(course.path()).unwrap();
        importer::import(&app.db, &app.store, &package, &importer::Silent).await.unwrap();
        assert!(app.app.search().refresh().await.unwrap());
    }
    let statuses = searches.join_all().await;
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    let (_, body) = search(&app, &learner, "\"Revision 2\"").await;
    assert_eq!(
        body["results"][0]["chapter_slug"], "tool-use-and-function-calling",
        "the new index is live"
    );
}
