use std::collections::HashMap;

use domain::{Answer, QuizSource, Tier};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, TestUser, error_code, spawn_app, spawn_app_on_postgres, spawn_app_with_course,
};

/// The sample course's quizzes as authored, by title.
fn authored() -> HashMap<String, QuizSource> {
    let package = importer::read_package(&testkit::sample_course()).unwrap();
    package.quizzes.into_iter().map(|quiz| (quiz.title.clone(), quiz)).collect()
}

pub fn answer_json(answer: &Answer) -> Value {
    match answer {
        Answer::Single(key) => json!(key),
        Answer::Multiple(keys) => json!(keys),
        Answer::TrueFalse(value) => json!(value.to_string()),
    }
}

/// A wrong answer for the same question.
pub fn wrong_json(answer: &Answer) -> Value {
    match answer {
        Answer::Single(key) => json!(if key == "A" { "B" } else { "A" }),
        Answer::Multiple(keys) => json!(if keys.contains("D") { vec!["A"] } else { vec!["D"] }),
        Answer::TrueFalse(value) => json!((!value).to_string()),
    }
}

/// The first quiz (chapter 1, open to every tier), as served, with its authored source.
pub async fn first_quiz(app: &TestApp, user: &TestUser) -> (Value, QuizSource) {
    let (_, list) = app.get_as(user, "/api/v1/quizzes").await;
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, quiz) = app.get_as(user, &format!("/api/v1/quizzes/{id}")).await;
    assert_eq!(status, 200, "{quiz}");
    let source = authored().remove(quiz["title"].as_str().unwrap()).unwrap();
    (quiz, source)
}

/// Answers every question correctly except the positions in `wrong`.
pub fn answers(quiz: &Value, source: &QuizSource, wrong: &[usize]) -> Value {
    let mut map = serde_json::Map::new();
    for (index, question) in quiz["questions"].as_array().unwrap().iter().enumerate() {
        let answer = &source.questions[index].answer;
        let value = if wrong.contains(&index) { wrong_json(answer) } else { answer_json(answer) };
        map.insert(question["id"].as_str().unwrap().to_owned(), value);
    }
    Value::Object(map)
}

pub async fn submit(app: &TestApp, user: &TestUser, quiz: &Value, body: Value) -> (u16, Value) {
    app.post_as(user, &format!("/api/v1/quizzes/{}/submit", quiz["id"].as_str().unwrap()), &body)
        .await
}

pub async fn attempt_count(app: &TestApp, user: &TestUser, quiz: &Value) -> u64 {
    let (_, results) = app
        .get_as(user, &format!("/api/v1/quizzes/{}/results", quiz["id"].as_str().unwrap()))
        .await;
    results["attempt_count"].as_u64().unwrap()
}

#[tokio::test]
async fn the_quiz_list_has_one_quiz_per_chapter_locked_like_its_chapter() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (status, list) = app.get_as(&learner, "/api/v1/quizzes").await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 10);
    for (index, item) in list["items"].as_array().unwrap().iter().enumerate() {
        assert_eq!(item["question_count"], 5);
        assert_eq!(item["pass_mark"], 70);
        assert_eq!(item["locked"], index >= 3, "{item}");
    }
}

#[tokio::test]
async fn no_served_question_carries_its_answer_or_explanation() {
    let app = spawn_app().await;
    let pro = app.learner(Tier::Pro).await;
    let sources = authored();
    let (_, list) = app.get_as(&pro, "/api/v1/quizzes").await;
    for item in list["items"].as_array().unwrap() {
        let (status, quiz) =
            app.get_as(&pro, &format!("/api/v1/quizzes/{}", item["id"].as_str().unwrap())).await;
        assert_eq!(status, 200);
        let text = quiz.to_string();
        for forbidden in ["\"answer\"", "\"explanation\"", "\"correct_answer\""] {
            assert!(!text.contains(forbidden), "{forbidden} in {text}");
        }
        let source = &sources[quiz["title"].as_str().unwrap()];
        for (served, authored) in
            quiz["questions"].as_array().unwrap().iter().zip(&source.questions)
        {
            assert!(!text.contains(&authored.explanation), "an explanation leaks");
            assert_eq!(served["text"], authored.text.as_str());
            assert_eq!(served["kind"], authored.kind.as_str());
            assert_eq!(served["options"].as_array().unwrap().len(), authored.options.len());
        }
    }
}

#[tokio::test]
async fn a_submission_returns_the_rule_based_score_and_per_question_correctness() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = first_quiz(&app, &learner).await;
    let (status, result) =
        submit(&app, &learner, &quiz, json!({ "answers": answers(&quiz, &source, &[1]) })).await;
    assert_eq!(status, 201, "{result}");
    assert_eq!((result["score"].as_u64(), result["correct_count"].as_u64()), (Some(80), Some(4)));
    assert_eq!((result["total"].as_u64(), result["passed"].as_bool()), (Some(5), Some(true)));
    assert_eq!(
        (result["pass_mark"].as_u64(), result["attempt_number"].as_u64()),
        (Some(70), Some(1))
    );
    let correctness: Vec<bool> = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["is_correct"].as_bool().unwrap())
        .collect();
    assert_eq!(correctness, [true, false, true, true, true]);
}

#[tokio::test]
async fn a_wrong_answer_shows_the_correct_answer_and_its_explanation() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = first_quiz(&app, &learner).await;
    let (_, result) =
        submit(&app, &learner, &quiz, json!({ "answers": answers(&quiz, &source, &[0, 2]) })).await;
    for index in [0, 2] {
        let feedback = &result["results"][index];
        assert_eq!(feedback["is_correct"], false);
        assert_eq!(feedback["correct_answer"], answer_json(&source.questions[index].answer));
        assert_eq!(feedback["explanation"], source.questions[index].explanation.as_str());
        assert_eq!(feedback["selected"], wrong_json(&source.questions[index].answer));
    }
    assert_eq!(result["score"], 60);
}

#[tokio::test]
async fn letters_are_case_insensitive_and_unanswered_questions_are_wrong_with_no_selection() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = first_quiz(&app, &learner).await;
    let mut lower = answers(&quiz, &source, &[]);
    let first_id = quiz["questions"][0]["id"].as_str().unwrap().to_owned();
    let object = lower.as_object_mut().unwrap();
    for value in object.values_mut() {
        *value = serde_json::from_str(&value.to_string().to_lowercase()).unwrap();
    }
    let (_, all_right) = submit(&app, &learner, &quiz, json!({ "answers": lower.clone() })).await;
    assert_eq!(all_right["score"], 100, "{all_right}");

    lower.as_object_mut().unwrap().remove(&first_id);
    let (_, one_blank) = submit(&app, &learner, &quiz, json!({ "answers": lower })).await;
    assert_eq!(one_blank["score"], 80);
    assert!(one_blank["results"][0]["selected"].is_null());
    assert_eq!(one_blank["results"][0]["is_correct"], false);
    assert_eq!(one_blank["attempt_number"], 2);
}

#[tokio::test]
async fn every_ungradable_submission_is_422_listing_each_question_and_stores_nothing() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = first_quiz(&app, &learner).await;
    let ids: Vec<String> = quiz["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect();
    let kinds: Vec<&str> =
        quiz["questions"].as_array().unwrap().iter().map(|q| q["kind"].as_str().unwrap()).collect();
    let choice = kinds.iter().position(|k| *k == "single_choice").unwrap();
    let unknown = uuid::Uuid::new_v4().to_string();
    let mut two_problems = answers(&quiz, &source, &[]);
    two_problems[&ids[choice]] = json!("Z");
    two_problems.as_object_mut().unwrap().insert(unknown.clone(), json!("A"));
    let cases = [
        (json!({ unknown.clone(): "A" }), vec![unknown.clone()]),
        (json!({ &ids[choice]: "F" }), vec![ids[choice].clone()]),
        (json!({ &ids[choice]: ["A", "B"] }), vec![ids[choice].clone()]),
        (json!({}), vec!["answers".to_owned()]),
        (two_problems, vec![ids[choice].clone(), unknown.clone()]),
    ];
    for (answers, offending) in cases {
        let (status, body) = submit(&app, &learner, &quiz, json!({ "answers": answers })).await;
        assert_eq!((status, error_code(&body)), (422, "validation_failed"), "{body}");
        let listed = body["details"]["questions"].as_object().unwrap();
        assert_eq!(listed.len(), offending.len(), "{body}");
        for id in offending {
            assert!(listed[&id].is_string(), "{id} not listed in {body}");
        }
    }
    assert_eq!(attempt_count(&app, &learner, &quiz).await, 0, "nothing was stored");
}

#[tokio::test]
async fn a_retried_submission_id_returns_the_first_result_and_different_answers_conflict() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = first_quiz(&app, &learner).await;
    let body = json!({ "answers": answers(&quiz, &source, &[3]), "submission_id": "retry-1" });
    let (status, first) = submit(&app, &learner, &quiz, body.clone()).await;
    assert_eq!(status, 201);
    let (status, replay) = submit(&app, &learner, &quiz, body).await;
    assert_eq!(status, 200);
    assert_eq!(replay, first);
    let changed = json!({ "answers": answers(&quiz, &source, &[]), "submission_id": "retry-1" });
    let (status, conflict) = submit(&app, &learner, &quiz, changed).await;
    assert_eq!((status, error_code(&conflict)), (409, "conflict"));
    assert_eq!(attempt_count(&app, &learner, &quiz).await, 1);
}

async fn twenty_concurrent_retries_store_exactly_one_attempt(app: &TestApp) {
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = first_quiz(app, &learner).await;
    let body = json!({ "answers": answers(&quiz, &source, &[]), "submission_id": "storm" });
    let url = app.url(&format!("/api/v1/quizzes/{}/submit", quiz["id"].as_str().unwrap()));
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = app.client.post(&url).bearer_auth(&learner.token).json(&body);
        requests.spawn(async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        });
    }
    let statuses = requests.join_all().await;
    let created = statuses.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(created, 1, "{statuses:?}");
    assert!(statuses.iter().all(|(status, _)| *status == 201 || *status == 200), "{statuses:?}");
    let ids: std::collections::HashSet<&str> =
        statuses.iter().map(|(_, body)| body["attempt_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(attempt_count(app, &learner, &quiz).await, 1);
}

#[tokio::test]
async fn twenty_concurrent_submissions_with_one_submission_id_store_one_attempt_on_sqlite() {
    twenty_concurrent_retries_store_exactly_one_attempt(&spawn_app().await).await;
}

#[tokio::test]
async fn twenty_concurrent_submissions_with_one_submission_id_store_one_attempt_on_postgres() {
    let test = "twenty_concurrent_submissions_with_one_submission_id_store_one_attempt_on_postgres";
    if let Some(app) = spawn_app_on_postgres(test).await {
        twenty_concurrent_retries_store_exactly_one_attempt(&app).await;
    }
}

#[tokio::test]
async fn a_quiz_of_a_locked_chapter_is_403_and_an_unknown_quiz_404() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (_, list) = app.get_as(&learner, "/api/v1/quizzes").await;
    let locked = list["items"][3]["id"].as_str().unwrap();
    let (status, body) = app.get_as(&learner, &format!("/api/v1/quizzes/{locked}")).await;
    assert_eq!((status, error_code(&body)), (403, "upgrade_required"));
    let submission = json!({ "answers": { uuid::Uuid::new_v4().to_string(): "A" } });
    let (status, body) =
        app.post_as(&learner, &format!("/api/v1/quizzes/{locked}/submit"), &submission).await;
    assert_eq!((status, error_code(&body)), (403, "upgrade_required"));
    let unknown = uuid::Uuid::new_v4();
    let (status, body) =
        app.post_as(&learner, &format!("/api/v1/quizzes/{unknown}/submit"), &submission).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));
    let (status, body) = app.get_as(&learner, "/api/v1/quizzes/not-a-uuid").await;
    assert_eq!((status, error_code(&body)), (422, "validation_failed"));
}

async fn results_page_attempts_newest_first_with_figures_over_all_of_them(app: &TestApp) {
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = first_quiz(app, &learner).await;
    for wrong in [vec![0, 1, 2], vec![], vec![0, 1]] {
        submit(app, &learner, &quiz, json!({ "answers": answers(&quiz, &source, &wrong) })).await;
    }
    let path = format!("/api/v1/quizzes/{}/results", quiz["id"].as_str().unwrap());
    let (status, results) = app.get_as(&learner, &path).await;
    assert_eq!(status, 200);
    assert_eq!((results["attempt_count"].as_u64(), results["total"].as_u64()), (Some(3), Some(3)));
    assert_eq!(
        (results["best_score"].as_u64(), results["last_score"].as_u64()),
        (Some(100), Some(60))
    );
    assert_eq!(results["passed_ever"], true);
    let numbers: Vec<u64> = results["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["attempt_number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [3, 2, 1]);
    let (_, page) = app.get_as(&learner, &format!("{path}?limit=1&offset=1")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["attempt_number"], 2);
    assert_eq!(
        (page["total"].as_u64(), page["best_score"].as_u64(), page["last_score"].as_u64()),
        (Some(3), Some(100), Some(60)),
        "the figures cover every attempt, not the page"
    );
    assert_eq!(page["passed_ever"], true);
    let (status, _) = app.get_as(&learner, &format!("{path}?limit=0")).await;
    assert_eq!(status, 422);
    let other = app.learner(Tier::Free).await;
    let (_, theirs) = app.get_as(&other, &path).await;
    assert_eq!(
        (theirs["attempt_count"].as_u64(), theirs["passed_ever"].as_bool()),
        (Some(0), Some(false))
    );
    assert!(theirs["best_score"].is_null());
}

#[tokio::test]
async fn results_page_attempts_newest_first_with_figures_over_all_of_them_on_sqlite() {
    results_page_attempts_newest_first_with_figures_over_all_of_them(&spawn_app().await).await;
}

#[tokio::test]
async fn results_page_attempts_newest_first_with_figures_over_all_of_them_on_postgres() {
    let test = "results_page_attempts_newest_first_with_figures_over_all_of_them_on_postgres";
    if let Some(app) = spawn_app_on_postgres(test).await {
        results_page_attempts_newest_first_with_figures_over_all_of_them(&app).await;
    }
}

/// A copy of the sample course whose first quiz allows two attempts and reveals answers
/// only after a pass.
pub fn strict_course() -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    testkit::copy_dir(&testkit::sample_course(), folder.path());
    let quiz = folder.path().join("quizzes/01-what-is-an-ai-agent.toml");
    let text = std::fs::read_to_string(&quiz).unwrap();
    let text = text.replacen(
        "pass_mark = 70",
        "pass_mark = 70\nmax_attempts = 2\nreveal_answers = \"after_pass\"",
        1,
    );
    std::fs::write(&quiz, text).unwrap();
    folder
}

#[tokio::test]
async fn after_pass_hides_the_key_of_a_failed_attempt_and_max_attempts_is_enforced() {
    let course = strict_course();
    let app = spawn_app_with_course(course.path()).await;
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = first_quiz(&app, &learner).await;
    assert_eq!(
        (quiz["max_attempts"].as_u64(), quiz["reveal_answers"].as_str()),
        (Some(2), Some("after_pass"))
    );

    let (status, failed) =
        submit(&app, &learner, &quiz, json!({ "answers": answers(&quiz, &source, &[0, 1, 2]) }))
            .await;
    assert_eq!((status, failed["passed"].as_bool()), (201, Some(false)));
    for feedback in failed["results"].as_array().unwrap() {
        assert!(
            feedback["correct_answer"].is_null() && feedback["explanation"].is_null(),
            "{feedback}"
        );
    }
    let (_, passed) =
        submit(&app, &learner, &quiz, json!({ "answers": answers(&quiz, &source, &[]) })).await;
    assert_eq!(passed["passed"], true);
    assert!(passed["results"][0]["explanation"].is_string());
    assert_eq!(passed["results"][0]["is_correct"], true);

    let (status, body) =
        submit(&app, &learner, &quiz, json!({ "answers": answers(&quiz, &source, &[]) })).await;
    assert_eq!((status, error_code(&body)), (409, "attempt_limit_reached"));
    assert_eq!(attempt_count(&app, &learner, &quiz).await, 2);
}

#[tokio::test]
async fn with_after_pass_a_failed_attempt_shows_only_its_score_in_its_result_replay_and_history() {
    let course = strict_course();
    let app = spawn_app_with_course(course.path()).await;
    let learner = app.learner(Tier::Free).await;
    let (quiz, source) = first_quiz(&app, &learner).await;
    let body = json!({ "answers": answers(&quiz, &source, &[0, 1, 2]), "submission_id": "s-1" });
    let (status, failed) = submit(&app, &learner, &quiz, body.clone()).await;
    assert_eq!(
        (status, failed["passed"].as_bool(), failed["score"].as_u64()),
        (201, Some(false), Some(40))
    );
    let (status, replayed) = submit(&app, &learner, &quiz, body).await;
    assert_eq!(status, 200);
    for result in [&failed, &replayed] {
        let feedback = result["results"].as_array().unwrap();
        assert_eq!(feedback.len(), 5);
        for question in feedback {
            for hidden in ["is_correct", "correct_answer", "explanation"] {
                assert!(question[hidden].is_null(), "{hidden} in {question}");
            }
            assert!(!question["selected"].is_null(), "the learner's own answer is shown");
        }
    }
    let path = format!("/api/v1/quizzes/{}/results", quiz["id"].as_str().unwrap());
    let (_, history) = app.get_as(&learner, &path).await;
    assert_eq!(history["last_score"], 40);
    let text = history.to_string();
    for hidden in ["is_correct", "correct_answer", "explanation", "selected", "answers"] {
        assert!(!text.contains(hidden), "{hidden} in {text}");
    }
}
