//! Spaced review (`/review`) and the recommendation of what to do next (`/next`).

use chrono::{DateTime, Utc};
use domain::{QuizSource, Tier};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, error_code, spawn_app, spawn_app_on_postgres};
use crate::quizzes::{answer_json, answers, first_quiz, submit, wrong_json};

/// The question ids of the first quiz, in order.
fn question_ids(quiz: &Value) -> Vec<String> {
    quiz["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|question| question["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn queue(app: &TestApp, user: &TestUser) -> Value {
    let (status, queue) = app.get_as(user, "/api/v1/review?limit=50").await;
    assert_eq!(status, 200, "{queue}");
    queue
}

fn queued_ids(queue: &Value) -> Vec<String> {
    queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["question"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn answer(app: &TestApp, user: &TestUser, question: &str, body: Value) -> (u16, Value) {
    app.post_as(user, &format!("/api/v1/review/{question}"), &body).await
}

/// Fails the first quiz with its questions at `wrong` missed; returns the quiz and its source.
async fn fail_first_quiz(app: &TestApp, user: &TestUser, wrong: &[usize]) -> (Value, QuizSource) {
    let (quiz, source) = first_quiz(app, user).await;
    let (status, result) =
        submit(app, user, &quiz, json!({ "answers": answers(&quiz, &source, wrong) })).await;
    assert_eq!((status, result["passed"].as_bool()), (201, Some(false)), "{result}");
    (quiz, source)
}

async fn next(app: &TestApp, user: &TestUser) -> Value {
    let (status, next) = app.get_as(user, "/api/v1/next").await;
    assert_eq!(status, 200, "{next}");
    next
}

/// The start of tomorrow, UTC (the test learners' timezone).
fn start_of_tomorrow() -> DateTime<Utc> {
    (Utc::now().date_naive() + chrono::Days::new(1)).and_hms_opt(0, 0, 0).unwrap().and_utc()
}

async fn failing_a_quiz_makes_its_missed_questions_due_today(app: &TestApp) {
    let learner = app.learner(Tier::Free).await;
    let (quiz, _) = fail_first_quiz(app, &learner, &[0, 1, 2]).await;
    let ids = question_ids(&quiz);
    let queue = queue(app, &learner).await;
    assert_eq!(queued_ids(&queue), ids[..3], "{queue}");
    assert_eq!((queue["due_now"].as_u64(), queue["due_later_today"].as_u64()), (Some(3), Some(0)));
    for item in queue["items"].as_array().unwrap() {
        assert_eq!(
            (item["state"].as_str(), item["overdue_days"].as_u64(), item["reps"].as_u64()),
            (Some("review"), Some(0), Some(1)),
            "FSRS's long-term scheduler: a first review puts a card in review: {item}"
        );
        assert_eq!(item["quiz_id"], quiz["id"]);
        assert_eq!(item["chapter"]["order"], 1);
    }
    let text = queue.to_string();
    for forbidden in ["\"answer\"", "\"explanation\"", "\"correct_answer\""] {
        assert!(!text.contains(forbidden), "{forbidden} in {text}");
    }
}

#[tokio::test]
async fn failing_a_quiz_makes_its_missed_questions_due_in_review_today_on_sqlite() {
    failing_a_quiz_makes_its_missed_questions_due_today(&spawn_app().await).await;
}

#[tokio::test]
async fn failing_a_quiz_makes_its_missed_questions_due_in_review_today_on_postgres() {
    let test = "failing_a_quiz_makes_its_missed_questions_due_in_review_today_on_postgres";
    if let Some(app) = spawn_app_on_postgres(test).await {
        failing_a_quiz_makes_its_missed_questions_due_today(&app).await;
    }
}

#[tokio::test]
async fn a_right_review_answer_takes_the_card_out_of_todays_queue_until_a_later_day() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = fail_first_quiz(&app, &learner, &[0, 2]).await;
    let ids = question_ids(&quiz);
    let body = json!({ "answer": answer_json(&source.questions[0].answer) });
    let (status, result) = answer(&app, &learner, &ids[0], body).await;
    assert_eq!(status, 201, "{result}");
    assert_eq!(
        (result["is_correct"].as_bool(), result["rating"].as_str()),
        (Some(true), Some("good"))
    );
    assert_eq!(result["correct_answer"], answer_json(&source.questions[0].answer));
    assert_eq!(result["explanation"], source.questions[0].explanation.as_str());
    let next_due: DateTime<Utc> = result["next_due_at"].as_str().unwrap().parse().unwrap();
    assert!(next_due >= start_of_tomorrow(), "due again {next_due}");
    let queue = queue(&app, &learner).await;
    assert_eq!(queued_ids(&queue), [ids[2].clone()]);
    // It comes back: its card is scheduled, due on that later day.
    let cards = app.db.review_cards(learner.id).await.unwrap();
    let card = cards.iter().find(|card| card.question_id.to_string() == ids[0]).unwrap();
    assert_eq!((card.card.due, card.card.reps), (next_due, 2));
}

#[tokio::test]
async fn a_wrong_review_answer_keeps_the_card_due_now_and_a_second_try_at_multiple_choice_rates_hard()
 {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    // Question 2 of the first quiz is multiple choice.
    let (quiz, source) = fail_first_quiz(&app, &learner, &[0, 1, 2]).await;
    let ids = question_ids(&quiz);
    let wrong = json!({ "answer": wrong_json(&source.questions[1].answer) });
    let (status, result) = answer(&app, &learner, &ids[1], wrong).await;
    assert_eq!((status, result["rating"].as_str()), (201, Some("again")), "{result}");
    assert!(queued_ids(&queue(&app, &learner).await).contains(&ids[1]));
    let right = json!({ "answer": answer_json(&source.questions[1].answer) });
    let (_, result) = answer(&app, &learner, &ids[1], right).await;
    assert_eq!(
        (result["is_correct"].as_bool(), result["rating"].as_str()),
        (Some(true), Some("hard"))
    );
    assert!(!queued_ids(&queue(&app, &learner).await).contains(&ids[1]));
}

async fn concurrent_duplicate_review_ids_record_one_review(app: &TestApp) {
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = fail_first_quiz(app, &learner, &[0, 1]).await;
    let question = question_ids(&quiz).remove(0);
    let url = app.url(&format!("/api/v1/review/{question}"));
    let body = json!({ "answer": answer_json(&source.questions[0].answer), "review_id": "twice" });
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(10));
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let request = app.client.post(&url).bearer_auth(&learner.token).json(&body);
        let barrier = barrier.clone();
        requests.spawn(async move {
            barrier.wait().await;
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        });
    }
    let outcomes = requests.join_all().await;
    let created = outcomes.iter().filter(|(status, _)| *status == 201).count();
    let replayed = outcomes.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!((created, replayed), (1, 9), "{outcomes:?}");
    let due: Vec<&Value> = outcomes.iter().map(|(_, body)| &body["next_due_at"]).collect();
    assert!(due.iter().all(|at| *at == due[0]), "a replay is the first result: {outcomes:?}");
    // The quiz answered it once, the review once.
    let cards = app.db.review_cards(learner.id).await.unwrap();
    let card = cards.iter().find(|card| card.question_id.to_string() == question).unwrap();
    assert_eq!(card.card.reps, 2);
    let (status, body) = answer(
        app,
        &learner,
        &question,
        json!({ "answer": wrong_json(&source.questions[0].answer), "review_id": "twice" }),
    )
    .await;
    assert_eq!((status, error_code(&body)), (409, "conflict"));
}

#[tokio::test]
async fn concurrent_posts_with_one_review_id_record_one_review_on_sqlite() {
    concurrent_duplicate_review_ids_record_one_review(&spawn_app().await).await;
}

#[tokio::test]
async fn concurrent_posts_with_one_review_id_record_one_review_on_postgres() {
    let test = "concurrent_posts_with_one_review_id_record_one_review_on_postgres";
    if let Some(app) = spawn_app_on_postgres(test).await {
        concurrent_duplicate_review_ids_record_one_review(&app).await;
    }
}

/// The fourth chapter's quiz: premium.
async fn premium_quiz(app: &TestApp, user: &TestUser) -> Value {
    let (_, list) = app.get_as(user, "/api/v1/quizzes").await;
    let id = list["items"][3]["id"].as_str().unwrap().to_owned();
    let (status, quiz) = app.get_as(user, &format!("/api/v1/quizzes/{id}")).await;
    assert_eq!(status, 200, "{quiz}");
    quiz
}

async fn set_tier(app: &TestApp, admin: &TestUser, user: &TestUser, tier: &str) {
    let (status, body) = app
        .post_as(
            admin,
            "/api/v1/access/upgrade",
            &json!({ "user_id": user.id, "new_tier": tier, "reason": "test" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_free_learner_never_sees_a_premium_chapters_card_and_an_upgrade_brings_it_back() {
    let app = spawn_app().await;
    let admin = app.user_with(Tier::Pro, domain::Role::Admin).await;
    let learner = app.learner(Tier::Premium).await;
    let quiz = premium_quiz(&app, &learner).await;
    let ids = question_ids(&quiz);
    // Only the first question answered: the four unanswered ones are wrong, so due now.
    let first_answer = match quiz["questions"][0]["kind"].as_str() {
        Some("true_false") => json!("true"),
        Some("multiple_choice") => json!(["A"]),
        _ => json!("A"),
    };
    let (status, result) =
        submit(&app, &learner, &quiz, json!({ "answers": { ids[0].clone(): first_answer } })).await;
    assert_eq!(status, 201, "{result}");
    let due_before = queue(&app, &learner).await["due_now"].as_u64().unwrap();
    assert!(due_before >= 4, "the unanswered questions are due");

    set_tier(&app, &admin, &learner, "free").await;
    let hidden = queue(&app, &learner).await;
    assert_eq!(
        (hidden["due_now"].as_u64(), hidden["items"].as_array().unwrap().len()),
        (Some(0), 0)
    );
    let (status, body) = answer(&app, &learner, &ids[1], json!({ "answer": "A" })).await;
    assert_eq!((status, error_code(&body)), (403, "upgrade_required"));
    assert_eq!(next(&app, &learner).await["numbers"]["due_now"], 0);

    set_tier(&app, &admin, &learner, "premium").await;
    let back = queue(&app, &learner).await;
    assert_eq!(back["due_now"].as_u64(), Some(due_before), "history kept: {back}");
    assert!(back["items"].as_array().unwrap().iter().all(|item| item["reps"] == 1));
}

#[tokio::test]
async fn review_answers_are_checked_like_quiz_answers() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (quiz, _) = fail_first_quiz(&app, &learner, &[0, 1]).await;
    let question = question_ids(&quiz).remove(0);
    let (status, body) = answer(&app, &learner, "not-a-uuid", json!({ "answer": "A" })).await;
    assert_eq!((status, error_code(&body)), (422, "validation_failed"), "{body}");
    let unknown = uuid::Uuid::new_v4();
    let (status, body) =
        answer(&app, &learner, &unknown.to_string(), json!({ "answer": "A" })).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"), "{body}");
    let (status, body) = answer(&app, &learner, &question, json!({ "answer": "Q" })).await;
    assert_eq!((status, error_code(&body)), (422, "validation_failed"), "{body}");
    let (status, body) =
        answer(&app, &learner, &question, json!({ "answer": "A", "review_id": "" })).await;
    assert_eq!((status, error_code(&body)), (422, "validation_failed"), "{body}");
    let (status, body) = app.get_as(&learner, "/api/v1/review?limit=0").await;
    assert_eq!((status, error_code(&body)), (422, "validation_failed"), "{body}");
    // Nothing was stored by a refused answer.
    let cards = app.db.review_cards(learner.id).await.unwrap();
    assert!(cards.iter().all(|card| card.card.reps == 1));
}

#[tokio::test]
async fn a_review_counts_as_the_days_check_in() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = first_quiz(&app, &learner).await;
    let question = question_ids(&quiz).remove(0);
    let body = json!({ "answer": answer_json(&source.questions[0].answer) });
    let (status, _) = answer(&app, &learner, &question, body).await;
    assert_eq!(status, 201);
    let (_, streak) = app.get_as(&learner, "/api/v1/streaks/me").await;
    assert_eq!(
        (streak["current_streak"].as_u64(), streak["checked_in_today"].as_bool()),
        (Some(1), Some(true))
    );
}

async fn complete(app: &TestApp, user: &TestUser, chapter: &str) {
    let (status, body) = app
        .send(
            app.client
                .put(app.url("/api/v1/progress/me"))
                .bearer_auth(&user.token)
                .json(&json!({ "chapter_id": chapter })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn next_recommends_start_continue_review_retake_and_done_in_that_order_of_rules() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Pro).await;
    let step = next(&app, &learner).await;
    assert_eq!(
        (step["action"].as_str(), step["reason"].as_str()),
        (Some("start_chapter"), Some("next_in_course"))
    );
    assert_eq!(step["chapter"]["order"], 1);
    let slug = step["chapter"]["slug"].as_str().unwrap().to_owned();
    let (status, _) = app.get_as(&learner, &format!("/api/v1/chapters/{slug}")).await;
    assert_eq!(status, 200);
    let step = next(&app, &learner).await;
    assert_eq!(
        (step["action"].as_str(), step["chapter"]["slug"].as_str()),
        (Some("continue_chapter"), Some(slug.as_str()))
    );

    let (quiz, source) = fail_first_quiz(&app, &learner, &[0, 1]).await;
    let step = next(&app, &learner).await;
    assert_eq!(
        (step["action"].as_str(), step["reason"].as_str()),
        (Some("review"), Some("cards_due"))
    );
    assert_eq!(step["numbers"]["due_now"], 2);
    assert_eq!(step["numbers"]["last_failed_quiz"]["quiz_id"], quiz["id"]);
    assert_eq!(step["numbers"]["last_failed_quiz"]["last_score"], 60);
    for (index, id) in question_ids(&quiz).iter().take(2).enumerate() {
        let body = json!({ "answer": answer_json(&source.questions[index].answer) });
        assert_eq!(answer(&app, &learner, id, body).await.0, 201);
    }
    let step = next(&app, &learner).await;
    assert_eq!(
        (step["action"].as_str(), step["reason"].as_str()),
        (Some("retake_quiz"), Some("quiz_failed"))
    );
    assert_eq!(
        (step["quiz_id"].clone(), step["chapter"]["slug"].as_str()),
        (quiz["id"].clone(), Some(slug.as_str()))
    );

    let (status, _) =
        submit(&app, &learner, &quiz, json!({ "answers": answers(&quiz, &source, &[]) })).await;
    assert_eq!(status, 201);
    let step = next(&app, &learner).await;
    assert_eq!(step["action"], "continue_chapter", "{step}");
    assert_eq!(step["numbers"]["last_failed_quiz"], Value::Null);

    let (_, outline) = app.get_as(&learner, "/api/v1/chapters").await;
    for chapter in outline["items"].as_array().unwrap() {
        complete(&app, &learner, chapter["slug"].as_str().unwrap()).await;
    }
    let step = next(&app, &learner).await;
    let total = outline["items"].as_array().unwrap().len() as u64;
    assert_eq!(
        (step["action"].as_str(), step["reason"].as_str()),
        (Some("done"), Some("course_complete")),
        "{step}"
    );
    assert_eq!(
        (
            step["numbers"]["completed_chapters"].as_u64(),
            step["numbers"]["total_chapters"].as_u64()
        ),
        (Some(total), Some(total))
    );
    assert_eq!(step["chapter"], Value::Null);
}

#[tokio::test]
async fn next_asks_a_free_learner_who_finished_the_open_chapters_to_upgrade() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (_, outline) = app.get_as(&learner, "/api/v1/chapters").await;
    for chapter in outline["items"].as_array().unwrap().iter().filter(|c| c["locked"] == false) {
        complete(&app, &learner, chapter["slug"].as_str().unwrap()).await;
    }
    let step = next(&app, &learner).await;
    assert_eq!(
        (step["action"].as_str(), step["reason"].as_str()),
        (Some("upgrade"), Some("locked_chapters_remain")),
        "{step}"
    );
    assert_eq!(
        (step["required_tier"].as_str(), step["chapter"]["order"].as_u64()),
        (Some("premium"), Some(4))
    );
    // The open chapters' quizzes were never answered: their questions wait as new cards.
    assert_eq!(step["numbers"]["new_available"], 15);
    let queue = queue(&app, &learner).await;
    assert_eq!((queue["due_now"].as_u64(), queue["new_available"].as_u64()), (Some(0), Some(15)));
    assert_eq!(queue["items"][0]["state"], "new");
    assert_eq!(queue["items"][0]["due_at"], Value::Null);
}

/// Ten submissions of one quiz at once by one learner: each question's card counts all ten
/// answers (each card changes by a compare-and-swap, retried for the cards another
/// submission changed first).
async fn concurrent_submissions_reschedule_each_card_once_per_answer(app: &TestApp) {
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = first_quiz(app, &learner).await;
    let url = app.url(&format!("/api/v1/quizzes/{}/submit", quiz["id"].as_str().unwrap()));
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(10));
    let mut requests = tokio::task::JoinSet::new();
    for n in 0..10 {
        let body =
            json!({ "answers": answers(&quiz, &source, &[0]), "submission_id": format!("s{n}") });
        let request = app.client.post(&url).bearer_auth(&learner.token).json(&body);
        let barrier = barrier.clone();
        requests.spawn(async move {
            barrier.wait().await;
            request.send().await.unwrap().status().as_u16()
        });
    }
    assert!(requests.join_all().await.iter().all(|status| *status == 201));
    let cards = app.db.review_cards(learner.id).await.unwrap();
    assert_eq!(cards.len(), 5);
    assert!(cards.iter().all(|card| card.card.reps == 10), "{cards:?}");
}

#[tokio::test]
async fn concurrent_submissions_reschedule_each_card_once_per_answer_on_sqlite() {
    concurrent_submissions_reschedule_each_card_once_per_answer(&spawn_app().await).await;
}

#[tokio::test]
async fn concurrent_submissions_reschedule_each_card_once_per_answer_on_postgres() {
    let test = "concurrent_submissions_reschedule_each_card_once_per_answer_on_postgres";
    if let Some(app) = spawn_app_on_postgres(test).await {
        concurrent_submissions_reschedule_each_card_once_per_answer(&app).await;
    }
}
