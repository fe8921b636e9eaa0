//! Progress (completed chapters, current chapter, last activity) and daily streaks, counted in
//! each learner's own timezone.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{ChapterRef, Streak, Tier, TimeZone};
use persistence::{ChapterRecord, LearnerState, StoredStreak};
use uuid::Uuid;

use crate::auth::{Caller, UserRef};
use crate::core::Core;
use crate::course::find;
use crate::error::AppError;

/// The learner a progress use case is about: who they are, their tier and timezone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Learner {
    pub id: Uuid,
    pub tier: Tier,
    pub timezone: TimeZone,
}

impl From<&Caller> for Learner {
    fn from(caller: &Caller) -> Self {
        Self { id: caller.id, tier: caller.tier, timezone: caller.timezone }
    }
}

/// A streak as of now, in the learner's timezone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreakStatus {
    pub current: u32,
    pub longest: u32,
    /// Local date of the last check-in.
    pub last_checkin: Option<NaiveDate>,
    pub timezone: TimeZone,
    pub checked_in_today: bool,
    /// Freezes earned and not used yet; each covers one missed day at the next check-in.
    pub freezes_banked: u8,
    pub freezes_used: u32,
    /// The current streak's days covered by a freeze, oldest first.
    pub frozen_days: Vec<NaiveDate>,
}

impl StreakStatus {
    pub(crate) fn of(streak: &Streak, zone: TimeZone) -> Self {
        let now = Utc::now();
        Self {
            current: streak.current_at(now, zone.zone()),
            longest: streak.longest,
            last_checkin: streak.last_checkin_day(zone.zone()),
            timezone: zone,
            checked_in_today: streak.checked_in_today(now, zone.zone()),
            freezes_banked: streak.freezes_banked,
            freezes_used: streak.freezes_used,
            frozen_days: streak.frozen_days(zone.zone()),
        }
    }
}

/// A learner's progress through the course.
#[derive(Debug, Clone)]
pub struct ProgressReport {
    pub user_id: Uuid,
    pub tier: Tier,
    /// Completed chapters that exist now, in course order, with when.
    pub completed: Vec<(ChapterRecord, DateTime<Utc>)>,
    pub total_chapters: usize,
    /// 0–100 with one decimal, over the chapters that exist now.
    pub percentage: f64,
    /// The chapter opened last (or the next one after completing it).
    pub current_chapter: Option<ChapterRecord>,
    /// May lag by up to a minute.
    pub last_activity: Option<DateTime<Utc>>,
    pub streak: StreakStatus,
}

/// Progress and streaks.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub(crate) core: &'a Core,
}

/// The learner `user` names, after the self-or-admin check: the caller as the token already
/// told us, or (admins) another user, through the same access cache.
async fn target(core: &Core, caller: &Caller, user: &str) -> Result<Learner, AppError> {
    let id = caller.resolve(UserRef::parse(user)?)?;
    if id == caller.id {
        return Ok(Learner::from(caller));
    }
    let access = core.access.of_named(&core.db, id).await?;
    Ok(Learner { id, tier: access.tier, timezone: access.timezone })
}

/// The learner's stored streak, remembered here once read.
async fn stored_streak(core: &Core, learner: Uuid) -> Result<Option<StoredStreak>, AppError> {
    let stored = core.db.streak(learner).await?;
    if let Some(stored) = stored {
        core.activity.remember_streak(learner, stored);
    }
    Ok(stored)
}

/// Checks the learner in now: a compare-and-swap on the streak's version, retried when another
/// check-in wins the race, so concurrent check-ins on one day add exactly one. A learner
/// already checked in today, as remembered here, costs no database round trip.
async fn check_in(core: &Core, learner: &Learner) -> Result<(Streak, bool), AppError> {
    let zone = learner.timezone.zone();
    let mut stored = match core.activity.remembered_streak(learner.id) {
        Some(remembered) => Some(remembered),
        None => stored_streak(core, learner.id).await?,
    };
    for _ in 0..16 {
        let now = Utc::now();
        let cap = domain::streak::freeze_cap(learner.tier);
        let outcome = stored.map(|s| s.streak).unwrap_or_default().check_in(now, zone, cap);
        if !outcome.incremented {
            return Ok((outcome.streak, false));
        }
        let day = domain::streak::local_day(now, zone);
        if core.db.replace_streak(learner.id, stored, outcome.streak, day).await? {
            let version = stored.map_or(1, |s| s.version + 1);
            core.activity
                .remember_streak(learner.id, StoredStreak { streak: outcome.streak, version });
            core.activity.touch(learner.id);
            return Ok((outcome.streak, true));
        }
        // Another check-in (maybe on another replica) won: start again from what is stored.
        stored = stored_streak(core, learner.id).await?;
    }
    Err(AppError::Unavailable("Too many simultaneous check-ins; try again.".into()))
}

/// Checks a learner in as a side effect of learning (completing a chapter, submitting a
/// quiz). Never fails the use case it rides on; a failure is logged. Returns the streak when
/// the check-in went through.
pub(crate) async fn check_in_quietly(core: &Core, learner: &Learner) -> Option<Streak> {
    match check_in(core, learner).await {
        Ok((streak, _)) => Some(streak),
        Err(error) => {
            log::warn!("automatic check-in of {} failed: {error}", learner.id);
            None
        }
    }
}

/// The learner's progress. `streak` and `stored_state` are what the caller has just read or
/// written, if anything: they are not read again.
async fn progress_of(
    core: &Core,
    user: &Learner,
    streak: Option<Streak>,
    stored_state: Option<LearnerState>,
) -> Result<ProgressReport, AppError> {
    let (completions, catalog, stored_state, streak) = tokio::join!(
        core.db.completions(user.id),
        core.chapters.get(&core.db),
        async {
            match stored_state {
                Some(known) => Ok(known),
                None => core.db.learner_state(user.id).await,
            }
        },
        async {
            match streak {
                Some(known) => Ok(known),
                None => {
                    core.db.streak(user.id).await.map(|s| s.map(|s| s.streak).unwrap_or_default())
                }
            }
        },
    );
    let (completions, catalog, stored_state, streak) =
        (completions?, catalog?, stored_state?, streak?);
    let pending = core.activity.pending(user.id);
    let current_id = core.activity.current_chapter(user.id, stored_state.current_chapter_id);
    let current_chapter = current_id.and_then(|id| catalog.find(&ChapterRef::Id(id)).cloned());
    let last_activity = match (stored_state.last_activity_at, pending.map(|p| p.last_activity_at)) {
        (Some(stored), Some(pending)) => Some(stored.max(pending)),
        (stored, pending) => stored.or(pending),
    };
    // Only chapters that exist now count, so the percentage never passes 100.
    let mut completed: Vec<(ChapterRecord, DateTime<Utc>)> = completions
        .into_iter()
        .filter_map(|(id, at)| catalog.find(&ChapterRef::Id(id)).map(|c| (c.clone(), at)))
        .collect();
    completed.sort_by_key(|(chapter, _)| chapter.order);
    Ok(ProgressReport {
        user_id: user.id,
        tier: user.tier,
        percentage: domain::progress::percentage(completed.len(), catalog.ordered.len()),
        completed,
        total_chapters: catalog.ordered.len(),
        current_chapter,
        last_activity,
        streak: StreakStatus::of(&streak, user.timezone),
    })
}

impl Progress<'_> {
    /// The progress of `user` (`me` or a UUID; admins: anyone).
    pub async fn of(&self, caller: &Caller, user: &str) -> Result<ProgressReport, AppError> {
        let user = target(self.core, caller, user).await?;
        progress_of(self.core, &user, None, None).await
    }

    /// Marks the chapter `chapter` names complete (or, `completed: false`, not complete).
    /// Idempotent. Completing the current chapter moves the pointer to the next one, and
    /// counts as the day's check-in.
    pub async fn set_completed(
        &self,
        caller: &Caller,
        user: &str,
        chapter: &str,
        completed: bool,
    ) -> Result<ProgressReport, AppError> {
        let core = self.core;
        let user = target(core, caller, user).await?;
        let (catalog, reference) = find(core, "chapter_id", chapter).await?;
        let chapter = catalog
            .find(&reference)
            .ok_or_else(|| AppError::NotFound("No such chapter.".into()))?;
        core.require_access(user.tier, chapter.order)?;
        let (mut streak, mut stored_state) = (None, None);
        core.db.set_completed(user.id, chapter.id, completed, Utc::now()).await?;
        if completed {
            let pending = core.activity.pending(user.id).and_then(|p| p.current_chapter);
            let current = match pending {
                Some(id) => Some(id),
                None => {
                    let stored = core.db.learner_state(user.id).await?;
                    stored_state = Some(stored);
                    stored.current_chapter_id
                }
            };
            if current == Some(chapter.id) {
                stored_state = None;
                let next = catalog.neighbours(&reference).1.map(|c| c.id);
                core.db
                    .save_learner_state(user.id, Some(next.or(Some(chapter.id))), Some(Utc::now()))
                    .await?;
                core.activity.forget_current_chapter(user.id);
            }
            streak = check_in_quietly(core, &user).await;
        }
        core.activity.touch(user.id);
        progress_of(core, &user, streak, stored_state).await
    }

    /// The streak of `user`; the current streak reads 0 once a day has been missed.
    pub async fn streak(&self, caller: &Caller, user: &str) -> Result<StreakStatus, AppError> {
        let user = target(self.core, caller, user).await?;
        let streak = self.core.db.streak(user.id).await?.map(|s| s.streak).unwrap_or_default();
        Ok(StreakStatus::of(&streak, user.timezone))
    }

    /// Checks `user` in for their local day; returns the streak and whether this check-in
    /// extended or restarted it (false: already checked in today).
    pub async fn check_in(
        &self,
        caller: &Caller,
        user: &str,
    ) -> Result<(StreakStatus, bool), AppError> {
        let user = target(self.core, caller, user).await?;
        let (streak, incremented) = check_in(self.core, &user).await?;
        self.core.activity.touch(user.id);
        Ok((StreakStatus::of(&streak, user.timezone), incremented))
    }
}
