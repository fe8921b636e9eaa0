use chrono::{Duration, Utc};
use domain::{Role, Streak, Tier};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, error_code, spawn_app, spawn_app_on_postgres};

async fn complete(app: &TestApp, user: &TestUser, chapter: &str) -> (u16, Value) {
    app.send(
        app.client
            .put(app.url("/api/v1/progress/me"))
            .bearer_auth(&user.token)
            .json(&json!({ "chapter_id": chapter })),
    )
    .await
}

/// Sets the learner's stored streak as if the last check-in was `days_ago` days ago.
async fn streak_from(app: &TestApp, user: &TestUser, current: u32, days_ago: i64) {
    streak_with_freezes(app, user, current, days_ago, 0).await;
}

#[tokio::test]
async fn a_first_time_user_gets_a_valid_empty_progress() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (status, progress) = app.get_as(&learner, "/api/v1/progress/me").await;
    assert_eq!(status, 200, "{progress}");
    assert_eq!(progress["user_id"], learner.id.to_string());
    assert_eq!(
        (progress["completed_count"].as_u64(), progress["total_chapters"].as_u64()),
        (Some(0), Some(10))
    );
    assert_eq!(progress["percentage"], 0.0);
    assert!(progress["current_chapter"].is_null() && progress["last_activity"].is_null());
    assert_eq!(
        progress["streak"],
        json!({ "current": 0, "longest": 0, "checked_in_today": false })
    );
    let (status, streak) = app.get_as(&learner, "/api/v1/streaks/me").await;
    assert_eq!(status, 200);
    assert_eq!(
        (streak["current_streak"].as_u64(), streak["timezone"].as_str()),
        (Some(0), Some("UTC"))
    );
    assert!(streak["last_checkin"].is_null());
}

#[tokio::test]
async fn put_progress_adds_a_completed_chapter_and_recomputes_the_percentage() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Premium).await;
    let (status, progress) = complete(&app, &learner, "what-is-an-ai-agent").await;
    assert_eq!(status, 200, "{progress}");
    assert_eq!(
        (progress["completed_count"].as_u64(), progress["percentage"].as_f64()),
        (Some(1), Some(10.0))
    );
    assert_eq!(progress["completed_chapters"][0]["slug"], "what-is-an-ai-agent");
    let (_, again) = complete(&app, &learner, "what-is-an-ai-agent").await;
    assert_eq!(again["completed_count"], 1, "idempotent");
    assert_eq!(
        again["completed_chapters"], progress["completed_chapters"],
        "the first time is kept"
    );
    let (_, outline) = app.get_as(&learner, "/api/v1/chapters").await;
    let third = outline["items"][2]["id"].as_str().unwrap();
    let (_, two) = complete(&app, &learner, third).await;
    assert_eq!(
        (two["completed_count"].as_u64(), two["percentage"].as_f64()),
        (Some(2), Some(20.0))
    );
    let undo = json!({ "chapter_id": "what-is-an-ai-agent", "completed": false });
    let (status, one) = app
        .send(
            app.client.put(app.url("/api/v1/progress/me")).bearer_auth(&learner.token).json(&undo),
        )
        .await;
    assert_eq!((status, one["completed_count"].as_u64()), (200, Some(1)));
}

#[tokio::test]
async fn get_progress_shows_completion_current_chapter_streak_and_last_activity() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (status, _) = app.get_as(&learner, "/api/v1/chapters/prompting-for-agents").await;
    assert_eq!(status, 200);
    let (_, progress) = app.get_as(&learner, "/api/v1/progress/me").await;
    assert_eq!(
        progress["current_chapter"]["slug"], "prompting-for-agents",
        "opening makes it current"
    );
    assert!(progress["last_activity"].is_string());

    let (_, progress) = complete(&app, &learner, "prompting-for-agents").await;
    assert_eq!(
        progress["current_chapter"]["slug"], "tool-use-and-function-calling",
        "moved to the next"
    );
    assert_eq!(progress["current_chapter"]["locked"], true, "shown with the learner's lock");
    assert_eq!(progress["streak"], json!({ "current": 1, "longest": 1, "checked_in_today": true }));
    assert_eq!(progress["completed_chapters"][0]["slug"], "prompting-for-agents");
}

#[tokio::test]
async fn pending_activity_is_written_by_a_flush() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    app.get_as(&learner, "/api/v1/chapters/what-is-an-ai-agent").await;
    assert!(
        app.db.learner_state(learner.id).await.unwrap().current_chapter_id.is_none(),
        "the read did not write"
    );
    assert_eq!(app.activity.flush(&app.db).await.unwrap(), 1);
    let state = app.db.learner_state(learner.id).await.unwrap();
    assert!(state.current_chapter_id.is_some() && state.last_activity_at.is_some());
    assert!(app.activity.pending(learner.id).is_none());
}

#[tokio::test]
async fn a_check_in_on_a_new_day_increments_the_streak() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    streak_from(&app, &learner, 3, 1).await;
    let before = Utc::now();
    let (status, checkin) = app.post_as(&learner, "/api/v1/streaks/me/checkin", &json!({})).await;
    let after = Utc::now();
    assert_eq!(status, 200, "{checkin}");
    assert_eq!(
        (checkin["current_streak"].as_u64(), checkin["incremented"].as_bool()),
        (Some(4), Some(true))
    );
    // The check-in happened between `before` and `after`, which may straddle midnight.
    let day = checkin["last_checkin"].as_str().unwrap();
    assert!(
        [before, after].iter().any(|at| at.date_naive().to_string() == day),
        "{day} is neither {before} nor {after}"
    );
    let (_, again) = app.post_as(&learner, "/api/v1/streaks/me/checkin", &json!({})).await;
    assert_eq!(
        (again["current_streak"].as_u64(), again["incremented"].as_bool()),
        (Some(4), Some(false))
    );
    assert_eq!(again["longest_streak"], 4);
}

#[tokio::test]
async fn a_missed_day_reads_zero_and_the_next_check_in_restarts_at_one() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    streak_from(&app, &learner, 5, 3).await;
    let (_, streak) = app.get_as(&learner, "/api/v1/streaks/me").await;
    assert_eq!(
        (streak["current_streak"].as_u64(), streak["longest_streak"].as_u64()),
        (Some(0), Some(5))
    );
    let (_, checkin) = app.post_as(&learner, "/api/v1/streaks/me/checkin", &json!({})).await;
    assert_eq!(
        (checkin["current_streak"].as_u64(), checkin["longest_streak"].as_u64()),
        (Some(1), Some(5))
    );
}

#[tokio::test]
async fn a_quiz_submission_counts_as_the_days_check_in() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (_, quizzes) = app.get_as(&learner, "/api/v1/quizzes").await;
    let id = quizzes["items"][0]["id"].as_str().unwrap();
    let (_, quiz) = app.get_as(&learner, &format!("/api/v1/quizzes/{id}")).await;
    let question =
        quiz["questions"].as_array().unwrap().iter().find(|q| q["kind"] == "true_false").unwrap();
    let answers = json!({ "answers": { question["id"].as_str().unwrap(): "true" } });
    let (status, _) =
        app.post_as(&learner, &format!("/api/v1/quizzes/{id}/submit"), &answers).await;
    assert_eq!(status, 201);
    let (_, streak) = app.get_as(&learner, "/api/v1/streaks/me").await;
    assert_eq!(
        (streak["current_streak"].as_u64(), streak["checked_in_today"].as_bool()),
        (Some(1), Some(true))
    );
}

#[tokio::test]
async fn an_unknown_chapter_is_404_and_a_locked_one_403() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let (status, body) = complete(&app, &learner, "no-such-chapter").await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));
    let (status, body) = complete(&app, &learner, "tool-use-and-function-calling").await;
    assert_eq!((status, error_code(&body)), (403, "upgrade_required"));
    let (_, progress) = app.get_as(&learner, "/api/v1/progress/me").await;
    assert_eq!(progress["completed_count"], 0);
}

#[tokio::test]
async fn a_learner_cannot_read_or_check_in_another_learner_but_an_admin_can() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let other = app.learner(Tier::Free).await;
    for path in [format!("/api/v1/progress/{}", other.id), format!("/api/v1/streaks/{}", other.id)]
    {
        let (status, body) = app.get_as(&learner, &path).await;
        assert_eq!((status, error_code(&body)), (403, "forbidden"), "{path}");
    }
    let (status, _) =
        app.post_as(&learner, &format!("/api/v1/streaks/{}/checkin", other.id), &json!({})).await;
    assert_eq!(status, 403);
    let put = app
        .client
        .put(app.url(&format!("/api/v1/progress/{}", other.id)))
        .bearer_auth(&learner.token);
    let (status, _) = app.send(put.json(&json!({ "chapter_id": "what-is-an-ai-agent" }))).await;
    assert_eq!(status, 403);
    let (_, streak) = app.get_as(&other, "/api/v1/streaks/me").await;
    assert_eq!(streak["current_streak"], 0, "nothing changed");

    let admin = app.user_with(Tier::Free, Role::Admin).await;
    let (status, progress) = app.get_as(&admin, &format!("/api/v1/progress/{}", other.id)).await;
    assert_eq!((status, progress["user_id"].as_str()), (200, Some(other.id.to_string().as_str())));
    let (status, _) =
        app.get_as(&admin, &format!("/api/v1/progress/{}", uuid::Uuid::new_v4())).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn after_a_reimport_removes_a_chapter_the_percentage_stays_at_most_100_and_other_completions_stay()
 {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Premium).await;
    let (_, outline) = app.get_as(&learner, "/api/v1/chapters").await;
    for item in outline["items"].as_array().unwrap() {
        complete(&app, &learner, item["slug"].as_str().unwrap()).await;
    }
    let course = tempfile::tempdir().unwrap();
    testkit::copy_dir(&testkit::sample_course(), course.path());
    std::fs::remove_file(course.path().join("chapters/10-deploying-agents-safely.md")).unwrap();
    std::fs::remove_file(course.path().join("quizzes/10-deploying-agents-safely.toml")).unwrap();
    let package = importer::read_package(course.path()).unwrap();
    let report = importer::import(&app.db, &app.store, &package, &importer::Silent).await.unwrap();
    assert_eq!(report.deleted, 1);
    // Chapter metadata is cached for up to 5 s: wait for the re-import to show.
    let mut progress = Value::Null;
    for _ in 0..40 {
        progress = app.get_as(&learner, "/api/v1/progress/me").await.1;
        assert!(progress["percentage"].as_f64().unwrap() <= 100.0, "{progress}");
        if progress["total_chapters"] == 9 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(
        (progress["completed_count"].as_u64(), progress["total_chapters"].as_u64()),
        (Some(9), Some(9))
    );
    assert_eq!(progress["percentage"], 100.0);
}

async fn fifty_concurrent_check_ins_add_exactly_one(app: &TestApp) {
    let learner = app.learner(Tier::Free).await;
    let url = app.url("/api/v1/streaks/me/checkin");
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let request = app.client.post(&url).bearer_auth(&learner.token);
        requests.spawn(async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        });
    }
    let outcomes = requests.join_all().await;
    assert!(outcomes.iter().all(|(status, _)| *status == 200), "{outcomes:?}");
    let incremented = outcomes.iter().filter(|(_, body)| body["incremented"] == true).count();
    assert_eq!(incremented, 1, "{outcomes:?}");
    let (_, streak) = app.get_as(&learner, "/api/v1/streaks/me").await;
    assert_eq!(
        (streak["current_streak"].as_u64(), streak["longest_streak"].as_u64()),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn fifty_concurrent_check_ins_on_one_day_add_exactly_one_on_sqlite() {
    fifty_concurrent_check_ins_add_exactly_one(&spawn_app().await).await;
}

#[tokio::test]
async fn fifty_concurrent_check_ins_on_one_day_add_exactly_one_on_postgres() {
    let test = "fifty_concurrent_check_ins_on_one_day_add_exactly_one_on_postgres";
    if let Some(app) = spawn_app_on_postgres(test).await {
        fifty_concurrent_check_ins_add_exactly_one(&app).await;
    }
}

/// A zone where local midnight fell within the last two hours, so that a check-in now is "the
/// next day" after a check-in two hours ago (there is one for every hour of the day).
fn zone_where_a_day_began_in_the_last_two_hours() -> &'static str {
    const ZONES: [&str; 27] = [
        "Pacific/Pago_Pago",
        "Pacific/Honolulu",
        "America/Anchorage",
        "America/Los_Angeles",
        "America/Denver",
        "America/Chicago",
        "America/New_York",
        "America/Halifax",
        "America/Sao_Paulo",
        "America/Noronha",
        "Atlantic/Azores",
        "UTC",
        "Europe/Berlin",
        "Europe/Athens",
        "Europe/Moscow",
        "Asia/Dubai",
        "Asia/Karachi",
        "Asia/Dhaka",
        "Asia/Bangkok",
        "Asia/Shanghai",
        "Asia/Tokyo",
        "Australia/Brisbane",
        "Pacific/Noumea",
        "Pacific/Auckland",
        "Pacific/Tongatapu",
        "Pacific/Kiritimati",
        "Asia/Kathmandu",
    ];
    let now = Utc::now();
    let two_hours_ago = now - Duration::hours(2);
    ZONES
        .into_iter()
        .find(|name| {
            let zone: domain::account::Tz = name.parse().unwrap();
            let today = now.with_timezone(&zone).date_naive();
            // Not within a minute of midnight, so the test's own requests stay on one day.
            let settled = (now + Duration::minutes(1)).with_timezone(&zone).date_naive() == today;
            two_hours_ago.with_timezone(&zone).date_naive().succ_opt() == Some(today) && settled
        })
        .expect("some zone's day began in the last two hours")
}

/// A learner whose last two streak changes were 2 hours and `previous_change_hours_ago` ago hops to
/// a zone where a new local day has begun since, and checks in: (current, incremented).
async fn check_in_after_a_timezone_hop(previous_change_hours_ago: i64) -> (Option<u64>, Value) {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    let now = Utc::now();
    let streak = Streak {
        current: 5,
        longest: 5,
        last_checkin_at: Some(now - Duration::hours(2)),
        previous_checkin_at: Some(now - Duration::hours(previous_change_hours_ago)),
        ..Streak::default()
    };
    assert!(app.db.replace_streak(learner.id, None, streak, now.date_naive()).await.unwrap());
    let zone = zone_where_a_day_began_in_the_last_two_hours();
    let (status, _) = app.patch_as(&learner, "/api/v1/me", &json!({ "timezone": zone })).await;
    assert_eq!(status, 200);
    let (status, checkin) = app.post_as(&learner, "/api/v1/streaks/me/checkin", &json!({})).await;
    assert_eq!(status, 200, "{checkin}");
    (checkin["current_streak"].as_u64(), checkin["incremented"].clone())
}

#[tokio::test]
async fn changing_timezone_cannot_grow_a_streak_more_than_twice_in_24_hours() {
    assert_eq!(check_in_after_a_timezone_hop(3).await, (Some(5), json!(false)));
}

#[tokio::test]
async fn the_same_timezone_hop_grows_the_streak_when_the_change_before_last_is_a_day_old() {
    assert_eq!(check_in_after_a_timezone_hop(25).await, (Some(6), json!(true)));
}

/// Sets the learner's stored streak: `current` days, the last check-in `days_ago` days ago,
/// `banked` freezes.
async fn streak_with_freezes(
    app: &TestApp,
    user: &TestUser,
    current: u32,
    days_ago: i64,
    banked: u8,
) {
    let at = Utc::now() - Duration::days(days_ago);
    let streak = Streak {
        current,
        longest: current,
        last_checkin_at: Some(at),
        freezes_banked: banked,
        ..Streak::default()
    };
    assert!(app.db.replace_streak(user.id, None, streak, at.date_naive()).await.unwrap());
}

async fn check_in(app: &TestApp, user: &TestUser) -> Value {
    let (status, body) = app
        .send(app.client.post(app.url("/api/v1/streaks/me/checkin")).bearer_auth(&user.token))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn the_seventh_day_in_a_row_earns_a_streak_freeze() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    streak_with_freezes(&app, &learner, 6, 1, 0).await;
    let body = check_in(&app, &learner).await;
    assert_eq!(
        (body["current_streak"].as_u64(), body["freezes_banked"].as_u64()),
        (Some(7), Some(1))
    );
}

#[tokio::test]
async fn a_banked_freeze_covers_one_missed_day_at_the_next_check_in() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    // Checked in the day before yesterday with a freeze banked: yesterday was missed.
    streak_with_freezes(&app, &learner, 7, 2, 1).await;
    let (_, before) = app.get_as(&learner, "/api/v1/streaks/me").await;
    assert_eq!(
        before["current_streak"], 7,
        "a missed day a freeze can cover does not zero the streak"
    );
    let body = check_in(&app, &learner).await;
    assert_eq!(body["current_streak"], 8);
    assert_eq!(
        (body["freezes_banked"].as_u64(), body["freezes_used"].as_u64()),
        (Some(0), Some(1))
    );
    let yesterday = (Utc::now() - Duration::days(1)).date_naive().to_string();
    assert_eq!(body["frozen_days"], json!([yesterday]));
    let (_, streak) = app.get_as(&learner, "/api/v1/streaks/me").await;
    assert_eq!(streak["frozen_days"], json!([yesterday]));
}

#[tokio::test]
async fn two_missed_days_with_one_freeze_start_the_streak_again() {
    let app = spawn_app().await;
    let learner = app.learner(Tier::Free).await;
    streak_with_freezes(&app, &learner, 7, 3, 1).await;
    let body = check_in(&app, &learner).await;
    assert_eq!(
        (body["current_streak"].as_u64(), body["longest_streak"].as_u64()),
        (Some(1), Some(7))
    );
    assert_eq!(
        (body["freezes_banked"].as_u64(), body["freezes_used"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(body["frozen_days"], json!([]));
}
