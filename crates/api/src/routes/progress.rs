//! Progress (completed chapters, current chapter, last activity) and daily streaks.

use paperclip::actix::web::{Data, Json, Path};
use paperclip::actix::{Apiv2Schema, api_v2_operation};
use serde::Deserialize;
use serde_json::json;
use views::{CheckInResult, Progress, StreakView};

use crate::auth::Caller;
use crate::dto::{chapter_ref_schema, user_parameter};
use crate::error::ApiError;
use crate::openapi::{Facts, Operation, RequestBody};
use crate::state::AppState;

/// Mark a chapter complete (default) or not complete.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct ProgressUpdate {
    /// The chapter's UUID or slug.
    pub chapter_id: String,
    /// Default true; false un-completes the chapter.
    pub completed: Option<bool>,
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
    Ok(Json(Progress::new(report, state.app.course().policy())))
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
    Ok(Json(Progress::new(report, state.app.course().policy())))
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
    Ok(Json(StreakView::from(state.app.progress().streak(&caller, &user).await?)))
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
    Ok(Json(CheckInResult::new(streak, incremented)))
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
