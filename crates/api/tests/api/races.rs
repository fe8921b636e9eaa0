//! Races on the real databases: what concurrent requests may not break. Each runs on SQLite
//! and, when `TEST_DATABASE_URL` is set, on PostgreSQL (whose `INSERT … SELECT … HAVING`
//! and unique-index paths differ).

use chrono::{Duration, Utc};
use domain::{Streak, Tier};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, TestUser, spawn_app, spawn_app_on_postgres, spawn_app_on_postgres_with_course,
    spawn_app_with_course,
};
use crate::quizzes::{answers, attempt_count, first_quiz, strict_course, submit};

/// Sends `bodies` to the first quiz's submit route all at once; returns each status and body.
async fn submit_concurrently(
    app: &TestApp,
    learner: &TestUser,
    quiz: &Value,
    bodies: Vec<Value>,
) -> Vec<(u16, Value)> {
    let url = app.url(&format!("/api/v1/quizzes/{}/submit", quiz["id"].as_str().unwrap()));
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(bodies.len()));
    let mut requests = tokio::task::JoinSet::new();
    for body in bodies {
        let request = app.client.post(&url).bearer_auth(&learner.token).json(&body);
        let barrier = barrier.clone();
        requests.spawn(async move {
            barrier.wait().await;
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        });
    }
    requests.join_all().await
}

/// 20 distinct submissions at once to a quiz that allows two attempts.
async fn twenty_concurrent_submissions_store_exactly_max_attempts(app: &TestApp) {
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = first_quiz(app, &learner).await;
    assert_eq!(quiz["max_attempts"], 2);
    let bodies = (0..20)
        .map(|n| json!({ "answers": answers(&quiz, &source, &[]), "submission_id": format!("race-{n}") }))
        .collect();
    let outcomes = submit_concurrently(app, &learner, &quiz, bodies).await;
    let created: Vec<u64> = outcomes
        .iter()
        .filter(|(status, _)| *status == 201)
        .map(|(_, body)| body["attempt_number"].as_u64().unwrap())
        .collect();
    let refused = outcomes
        .iter()
        .filter(|(status, body)| *status == 409 && body["error"] == "attempt_limit_reached")
        .count();
    assert_eq!((created.len(), refused), (2, 18), "{outcomes:?}");
    assert_eq!(created.iter().copied().collect::<std::collections::BTreeSet<_>>(), [1, 2].into());
    assert_eq!(attempt_count(app, &learner, &quiz).await, 2);
}

#[tokio::test]
async fn twenty_concurrent_submissions_store_exactly_max_attempts_on_sqlite() {
    let course = strict_course();
    twenty_concurrent_submissions_store_exactly_max_attempts(
        &spawn_app_with_course(course.path()).await,
    )
    .await;
}

#[tokio::test]
async fn twenty_concurrent_submissions_store_exactly_max_attempts_on_postgres() {
    let course = strict_course();
    let test = "twenty_concurrent_submissions_store_exactly_max_attempts_on_postgres";
    if let Some(app) = spawn_app_on_postgres_with_course(test, course.path()).await {
        twenty_concurrent_submissions_store_exactly_max_attempts(&app).await;
    }
}

/// 20 submissions at once with one `submission_id`, ten with one set of answers and ten with
/// another: the first stored wins, the same answers replay it, the others conflict.
async fn one_submission_id_with_different_answers_stores_one_attempt(app: &TestApp) {
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = first_quiz(app, &learner).await;
    let variants = [answers(&quiz, &source, &[]), answers(&quiz, &source, &[0])];
    let bodies =
        (0..20).map(|n| json!({ "answers": variants[n % 2], "submission_id": "shared" })).collect();
    let outcomes = submit_concurrently(app, &learner, &quiz, bodies).await;
    let created: Vec<&Value> =
        outcomes.iter().filter(|(status, _)| *status == 201).map(|(_, body)| body).collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    let winner = created[0];
    let replays = outcomes.iter().filter(|(status, _)| *status == 200).count();
    let conflicts = outcomes
        .iter()
        .filter(|(status, body)| *status == 409 && body["error"] == "conflict")
        .count();
    // Ten sent the winner's answers: one stored them, nine replay them; ten sent the others.
    assert_eq!((replays, conflicts), (9, 10), "{outcomes:?}");
    for (status, body) in &outcomes {
        if *status == 200 {
            assert_eq!(body["attempt_id"], winner["attempt_id"], "a replay is the first result");
        }
    }
    assert_eq!(attempt_count(app, &learner, &quiz).await, 1);
}

#[tokio::test]
async fn one_submission_id_sent_concurrently_with_different_answers_stores_one_attempt_on_sqlite() {
    one_submission_id_with_different_answers_stores_one_attempt(&spawn_app().await).await;
}

#[tokio::test]
async fn one_submission_id_sent_concurrently_with_different_answers_stores_one_attempt_on_postgres()
{
    let test =
        "one_submission_id_sent_concurrently_with_different_answers_stores_one_attempt_on_postgres";
    if let Some(app) = spawn_app_on_postgres(test).await {
        one_submission_id_with_different_answers_stores_one_attempt(&app).await;
    }
}

/// Ten check-ins and ten quiz submissions (each of which checks in) at once, the day after a
/// three-day streak: the day counts once.
async fn check_ins_racing_quiz_submissions_count_the_day_once(app: &TestApp) {
    let learner = app.learner(Tier::Free).await;
    let yesterday = Utc::now() - Duration::days(1);
    let streak =
        Streak { current: 3, longest: 3, last_checkin_at: Some(yesterday), ..Streak::default() };
    assert!(app.db.replace_streak(learner.id, None, streak, yesterday.date_naive()).await.unwrap());
    let (quiz, source) = first_quiz(app, &learner).await;
    let submit_url = app.url(&format!("/api/v1/quizzes/{}/submit", quiz["id"].as_str().unwrap()));
    let check_in_url = app.url("/api/v1/streaks/me/checkin");
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..20 {
        let request = if n % 2 == 0 {
            app.client.post(&check_in_url).json(&json!({}))
        } else {
            let body = json!({ "answers": answers(&quiz, &source, &[]), "submission_id": format!("day-{n}") });
            app.client.post(&submit_url).json(&body)
        };
        let request = request.bearer_auth(&learner.token);
        let barrier = barrier.clone();
        requests.spawn(async move {
            barrier.wait().await;
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        });
    }
    let outcomes = requests.join_all().await;
    assert!(outcomes.iter().all(|(status, _)| *status == 200 || *status == 201), "{outcomes:?}");
    // A submission may have checked in first; then no check-in changed anything.
    let incremented = outcomes.iter().filter(|(_, body)| body["incremented"] == true).count();
    assert!(incremented <= 1, "{incremented} check-ins each added the day: {outcomes:?}");
    let (_, streak) = app.get_as(&learner, "/api/v1/streaks/me").await;
    assert_eq!(
        (streak["current_streak"].as_u64(), streak["longest_streak"].as_u64()),
        (Some(4), Some(4)),
        "{streak}"
    );
    let (_, again) =
        submit(app, &learner, &quiz, json!({ "answers": answers(&quiz, &source, &[]) })).await;
    assert_eq!(again["score"], 100);
    let (_, streak) = app.get_as(&learner, "/api/v1/streaks/me").await;
    assert_eq!(streak["current_streak"], 4, "a later submission that day changes nothing");
}

#[tokio::test]
async fn check_ins_racing_quiz_submissions_count_the_day_once_on_sqlite() {
    check_ins_racing_quiz_submissions_count_the_day_once(&spawn_app().await).await;
}

#[tokio::test]
async fn check_ins_racing_quiz_submissions_count_the_day_once_on_postgres() {
    let test = "check_ins_racing_quiz_submissions_count_the_day_once_on_postgres";
    if let Some(app) = spawn_app_on_postgres(test).await {
        check_ins_racing_quiz_submissions_count_the_day_once(&app).await;
    }
}
