//! Progress (completed chapters, current chapter, last activity) and daily streaks.

use app::{ProgressReport, StreakStatus};
use chrono::{DateTime, NaiveDate, Utc};
use domain::AccessPolicy;
use paperclip::actix::web::{Data, Json, Path};
use paperclip::actix::{Apiv2Schema, api_v2_operation};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::{ChapterSummary, chapter_ref_schema, user_parameter};
use crate::error::ApiError;
use crate::openapi::{Facts, Operation, RequestBody};
use crate::state::AppState;

/// A completed chapter.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct CompletedChapter {
    pub chapter_id: Uuid,
    pub slug: String,
    pub title: String,
    pub completed_at: DateTime<Utc>,
}

/// The streak as part of progress.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct StreakSummary {
    pub current: u32,
    pub longest: u32,
    pub checked_in_today: bool,
}

/// A learner's progress through the course.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct Progress {
    pub user_id: Uuid,
    /// Completed chapters that exist now, in course order.
    pub completed_chapters: Vec<CompletedChapter>,
    pub completed_count: usize,
    pub total_chapters: u64,
    /// 0–100 with one decimal, over the chapters that exist now.
    pub percentage: f64,
    /// The chapter opened last (or the next one after completing it).
    pub current_chapter: Option<ChapterSummary>,
    /// May lag by up to a minute.
    pub last_activity: Option<DateTime<Utc>>,
    pub streak: StreakSummary,
}

/// Mark a chapter complete (default) or not complete.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct ProgressUpdate {
    /// The chapter's UUID or slug.
    pub chapter_id: String,
    /// Default true; false un-completes the chapter.
    pub completed: Option<bool>,
}

/// A learner's daily streak, counted in their own timezone.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct StreakView {
    pub current_streak: u32,
    pub longest_streak: u32,
    /// Local date (YYYY-MM-DD) of the last check-in, in the learner's timezone.
    pub last_checkin: Option<NaiveDate>,
    pub timezone: String,
    pub checked_in_today: bool,
    /// Streak freezes earned (one per 7 days in a row; at most 2 on free, 3 on premium and
    /// pro) and not used yet: each covers one missed day at the next check-in.
    pub freezes_banked: u8,
    /// Freezes used so far.
    pub freezes_used: u32,
    /// The current streak's days covered by a freeze (YYYY-MM-DD, oldest first).
    pub frozen_days: Vec<NaiveDate>,
}

/// The streak after a check-in.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct CheckInResult {
    pub current_streak: u32,
    pub longest_streak: u32,
    pub last_checkin: Option<NaiveDate>,
    pub timezone: String,
    pub checked_in_today: bool,
    /// Streak freezes earned (one per 7 days in a row; at most 2 on free, 3 on premium and
    /// pro) and not used yet: each covers one missed day at the next check-in.
    pub freezes_banked: u8,
    /// Freezes used so far.
    pub freezes_used: u32,
    /// The current streak's days covered by a freeze (YYYY-MM-DD, oldest first).
    pub frozen_days: Vec<NaiveDate>,
    /// False when the learner had already checked in today.
    pub incremented: bool,
}

fn streak_view(streak: StreakStatus) -> StreakView {
    StreakView {
        current_streak: streak.current,
        longest_streak: streak.longest,
        last_checkin: streak.last_checkin,
        timezone: streak.timezone.name().to_owned(),
        checked_in_today: streak.checked_in_today,
        freezes_banked: streak.freezes_banked,
        freezes_used: streak.freezes_used,
        frozen_days: streak.frozen_days,
    }
}

fn progress_view(report: ProgressReport, policy: AccessPolicy) -> Progress {
    let completed_count = report.completed.len();
    Progress {
        user_id: report.user_id,
        percentage: report.percentage,
        completed_chapters: report
            .completed
            .into_iter()
            .map(|(chapter, completed_at)| CompletedChapter {
                chapter_id: chapter.id,
                slug: chapter.slug,
                title: chapter.title,
                completed_at,
            })
            .collect(),
        completed_count,
        total_chapters: report.total_chapters as u64,
        current_chapter: report
            .current_chapter
            .map(|chapter| ChapterSummary::new(&chapter, report.tier, policy)),
        last_activity: report.last_activity,
        streak: StreakSummary {
            current: report.streak.current,
            longest: report.streak.longest,
            checked_in_today: report.streak.checked_in_today,
        },
    }
}

/// Read progress
///
/// Completed chapters, percentage over the chapters that exist now, current chapter, last
/// activity and streak. `{user}` is `me` or a UUID (admins: anyone).
#[api_v2_operation(operation_id = "getProgress", tags(Progress))]
pub async fn get_progress(
    state: Data<AppState>,
    caller: Caller,
    user: Path<String>,
) -> Result<Json<Progress>, ApiError> {
    let report = state.app.progress().of(&caller, &user).await?;
    Ok(Json(progress_view(report, state.app.course().policy())))
}

/// Mark a chapter complete
///
/// Idempotent. `completed: false` un-completes. Completing the current chapter moves the
/// pointer to the next one, and counts as the day's check-in. Returns the progress.
#[api_v2_operation(operation_id = "updateProgress", tags(Progress))]
pub async fn update_progress(
    state: Data<AppState>,
    caller: Caller,
    user: Path<String>,
    body: Json<ProgressUpdate>,
) -> Result<Json<Progress>, ApiError> {
    let update = body.into_inner();
    let completed = update.completed.unwrap_or(true);
    let report =
        state.app.progress().set_completed(&caller, &user, &update.chapter_id, completed).await?;
    Ok(Json(progress_view(report, state.app.course().policy())))
}

/// Read a streak
///
/// Current and longest daily streak in the learner's timezone; the current streak reads 0
/// once a day has been missed.
#[api_v2_operation(operation_id = "getStreak", tags(Progress))]
pub async fn get_streak(
    state: Data<AppState>,
    caller: Caller,
    user: Path<String>,
) -> Result<Json<StreakView>, ApiError> {
    Ok(Json(streak_view(state.app.progress().streak(&caller, &user).await?)))
}

/// Daily check-in
///
/// Checks the learner in for their local day: the first check-in of a day extends or
/// restarts the streak, later ones change nothing (`incremented: false`).
#[api_v2_operation(operation_id = "recordCheckin", tags(Progress))]
pub async fn record_checkin(
    state: Data<AppState>,
    caller: Caller,
    user: Path<String>,
) -> Result<Json<CheckInResult>, ApiError> {
    let (streak, incremented) = state.app.progress().check_in(&caller, &user).await?;
    let view = streak_view(streak);
    Ok(Json(CheckInResult {
        current_streak: view.current_streak,
        longest_streak: view.longest_streak,
        last_checkin: view.last_checkin,
        timezone: view.timezone,
        checked_in_today: view.checked_in_today,
        freezes_banked: view.freezes_banked,
        freezes_used: view.freezes_used,
        frozen_days: view.frozen_days,
        incremented,
    }))
}

pub(super) fn facts() -> Facts {
    let learner = |id| Operation {
        errors: &[403, 404],
        parameters: vec![user_parameter()],
        ..Operation::new(id)
    };
    Facts {
        operations: vec![
            learner("getProgress"),
            Operation {
                consequential: true,
                request_example: Some(
                    json!({ "chapter_id": "what-is-an-ai-agent", "completed": true }),
                ),
                ..learner("updateProgress")
            },
            learner("getStreak"),
            Operation { consequential: true, ..learner("recordCheckin") },
        ],
        bodies: vec![RequestBody {
            schema: "ProgressUpdate",
            fields: vec![("chapter_id", chapter_ref_schema())],
            free_text: &[],
        }],
    }
}
