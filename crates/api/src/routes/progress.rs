//! Progress (completed chapters, current chapter, last activity) and daily streaks.

use chrono::{DateTime, NaiveDate, Utc};
use domain::account::Tz;
use domain::{Streak, Tier};
use paperclip::actix::web::{Data, Json, Path};
use paperclip::actix::{Apiv2Schema, api_v2_operation};
use persistence::{LearnerState, StoredStreak};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{Caller, UserRef};
use crate::routes::chapters::{ChapterSummary, find};
use crate::{ApiError, AppState};

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
}

/// The streak after a check-in.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct CheckInResult {
    pub current_streak: u32,
    pub longest_streak: u32,
    pub last_checkin: Option<NaiveDate>,
    pub timezone: String,
    pub checked_in_today: bool,
    /// False when the learner had already checked in today.
    pub incremented: bool,
}

/// The learner a progress route is about: who they are, their tier and timezone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Learner {
    pub id: Uuid,
    pub tier: Tier,
    pub timezone: Tz,
}

impl From<&Caller> for Learner {
    fn from(caller: &Caller) -> Self {
        Self { id: caller.id, tier: caller.tier, timezone: caller.timezone }
    }
}

/// The learner a `{user}` path names, after the self-or-admin check: the caller as the
/// token already told us, or (admins) another user, through the same access cache.
async fn target(state: &AppState, caller: &Caller, user: &str) -> Result<Learner, ApiError> {
    let id = caller.resolve(UserRef::parse(user)?)?;
    if id == caller.id {
        return Ok(Learner::from(caller));
    }
    let access = state.auth.access.of_named(&state.db, id).await?;
    Ok(Learner { id, tier: access.tier, timezone: access.timezone })
}

/// The learner's stored streak, remembered here once read.
async fn stored_streak(state: &AppState, learner: Uuid) -> Result<Option<StoredStreak>, ApiError> {
    let stored = state.db.streak(learner).await?;
    if let Some(stored) = stored {
        state.activity.remember_streak(learner, stored);
    }
    Ok(stored)
}

/// Checks the learner in now: a compare-and-swap on the streak's version, retried when another
/// check-in wins the race, so concurrent check-ins on one day add exactly one. A learner
/// already checked in today, as remembered here, costs no database round trip.
pub(crate) async fn check_in(
    state: &AppState,
    learner: &Learner,
) -> Result<(Streak, bool), ApiError> {
    let zone = learner.timezone;
    let mut stored = match state.activity.remembered_streak(learner.id) {
        Some(remembered) => Some(remembered),
        None => stored_streak(state, learner.id).await?,
    };
    for _ in 0..16 {
        let now = Utc::now();
        let outcome = stored.map(|s| s.streak).unwrap_or_default().check_in(now, zone);
        if !outcome.incremented {
            return Ok((outcome.streak, false));
        }
        let day = domain::streak::local_day(now, zone);
        if state.db.replace_streak(learner.id, stored, outcome.streak, day).await? {
            let version = stored.map_or(1, |s| s.version + 1);
            state
                .activity
                .remember_streak(learner.id, StoredStreak { streak: outcome.streak, version });
            state.activity.touch(learner.id);
            return Ok((outcome.streak, true));
        }
        // Another check-in (maybe on another replica) won: start again from what is stored.
        stored = stored_streak(state, learner.id).await?;
    }
    Err(ApiError::Unavailable("Too many simultaneous check-ins; try again.".into()))
}

/// Checks a learner in as a side effect of learning (completing a chapter, submitting a
/// quiz). Never fails the request it rides on; a failure is logged. Returns the streak when
/// the check-in went through.
pub(crate) async fn check_in_quietly(state: &AppState, learner: &Learner) -> Option<Streak> {
    match check_in(state, learner).await {
        Ok((streak, _)) => Some(streak),
        Err(error) => {
            log::warn!("automatic check-in of {} failed: {error}", learner.id);
            None
        }
    }
}

fn streak_view(streak: &Streak, zone: Tz) -> StreakView {
    let now = Utc::now();
    StreakView {
        current_streak: streak.current_at(now, zone),
        longest_streak: streak.longest,
        last_checkin: streak.last_checkin_day(zone),
        timezone: zone.name().to_owned(),
        checked_in_today: streak.checked_in_today(now, zone),
    }
}

/// The learner's progress. `streak` and `stored_state` are what the caller has just read or
/// written, if anything: they are not read again.
async fn progress_of(
    state: &AppState,
    user: &Learner,
    streak: Option<Streak>,
    stored_state: Option<LearnerState>,
) -> Result<Progress, ApiError> {
    let (completions, catalog, stored_state, streak) = tokio::join!(
        state.db.completions(user.id),
        state.chapters.get(&state.db),
        async {
            match stored_state {
                Some(known) => Ok(known),
                None => state.db.learner_state(user.id).await,
            }
        },
        async {
            match streak {
                Some(known) => Ok(known),
                None => {
                    state.db.streak(user.id).await.map(|s| s.map(|s| s.streak).unwrap_or_default())
                }
            }
        },
    );
    let (completions, catalog, stored_state, streak) =
        (completions?, catalog?, stored_state?, streak?);
    let pending = state.activity.pending(user.id);
    let current_id = pending.and_then(|p| p.current_chapter).or(stored_state.current_chapter_id);
    let current_chapter =
        current_id.and_then(|id| catalog.find(&domain::ChapterRef::Id(id)).cloned());
    let last_activity = match (stored_state.last_activity_at, pending.map(|p| p.last_activity_at)) {
        (Some(stored), Some(pending)) => Some(stored.max(pending)),
        (stored, pending) => stored.or(pending),
    };
    let view = streak_view(&streak, user.timezone);
    // Only chapters that exist now count, so the percentage never passes 100.
    let mut completed: Vec<(&persistence::ChapterRecord, DateTime<Utc>)> = completions
        .into_iter()
        .filter_map(|(id, at)| {
            catalog.find(&domain::ChapterRef::Id(id)).map(|chapter| (chapter, at))
        })
        .collect();
    completed.sort_by_key(|(chapter, _)| chapter.order);
    let completed_count = completed.len();
    Ok(Progress {
        user_id: user.id,
        percentage: domain::progress::percentage(completed_count, catalog.ordered.len()),
        completed_chapters: completed
            .into_iter()
            .map(|(chapter, completed_at)| CompletedChapter {
                chapter_id: chapter.id,
                slug: chapter.slug.clone(),
                title: chapter.title.clone(),
                completed_at,
            })
            .collect(),
        completed_count,
        total_chapters: catalog.ordered.len() as u64,
        current_chapter: current_chapter
            .map(|chapter| ChapterSummary::new(&chapter, user.tier, state.settings.access_policy)),
        last_activity,
        streak: StreakSummary {
            current: view.current_streak,
            longest: view.longest_streak,
            checked_in_today: view.checked_in_today,
        },
    })
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
    let user = target(&state, &caller, &user).await?;
    Ok(Json(progress_of(&state, &user, None, None).await?))
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
    let user = target(&state, &caller, &user).await?;
    let update = body.into_inner();
    let (catalog, reference) = find(&state, "chapter_id", &update.chapter_id).await?;
    let chapter =
        catalog.find(&reference).ok_or_else(|| ApiError::NotFound("No such chapter.".into()))?;
    state.settings.require_access(user.tier, chapter.order)?;
    let completed = update.completed.unwrap_or(true);
    let (mut streak, mut stored_state) = (None, None);
    state.db.set_completed(user.id, chapter.id, completed, Utc::now()).await?;
    if completed {
        let pending = state.activity.pending(user.id).and_then(|p| p.current_chapter);
        let current = match pending {
            Some(id) => Some(id),
            None => {
                let stored = state.db.learner_state(user.id).await?;
                stored_state = Some(stored);
                stored.current_chapter_id
            }
        };
        if current == Some(chapter.id) {
            stored_state = None;
            let next = catalog.neighbours(&reference).1.map(|c| c.id);
            state
                .db
                .save_learner_state(user.id, Some(next.or(Some(chapter.id))), Some(Utc::now()))
                .await?;
            state.activity.forget_current_chapter(user.id);
        }
        streak = check_in_quietly(&state, &user).await;
    }
    state.activity.touch(user.id);
    Ok(Json(progress_of(&state, &user, streak, stored_state).await?))
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
    let user = target(&state, &caller, &user).await?;
    let streak = state.db.streak(user.id).await?.map(|s| s.streak).unwrap_or_default();
    Ok(Json(streak_view(&streak, user.timezone)))
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
    let user = target(&state, &caller, &user).await?;
    let (streak, incremented) = check_in(&state, &user).await?;
    state.activity.touch(user.id);
    let view = streak_view(&streak, user.timezone);
    Ok(Json(CheckInResult {
        current_streak: view.current_streak,
        longest_streak: view.longest_streak,
        last_checkin: view.last_checkin,
        timezone: view.timezone,
        checked_in_today: view.checked_in_today,
        incremented,
    }))
}
