//! "What should this learner do now?": one deterministic recommendation, codes and numbers
//! only (no text is generated; the agent explains it).
//!
//! The rule, first match wins:
//! 1. `review` (`cards_due`): review cards are due now.
//! 2. `retake_quiz` (`quiz_failed`): the quiz attempted most recently whose last attempt failed,
//!    never passed, still open to the learner's tier and with attempts left.
//! 3. `continue_chapter` (`chapter_in_progress`): the current chapter (the one opened last) is
//!    open to the tier and not completed.
//! 4. `start_chapter` (`next_in_course`): the first chapter in course order that the tier
//!    opens and the learner has not completed.
//! 5. `upgrade` (`locked_chapters_remain`): every open chapter is completed and locked ones
//!    remain; the target names the tier that opens the first of them.
//! 6. `done` (`course_complete`): every chapter is completed and nothing is due.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;
use domain::{ChapterRef, Tier};
use persistence::{ChapterRecord, QuizStanding, StoredQuiz};
use uuid::Uuid;

use crate::auth::Caller;
use crate::core::Core;
use crate::error::AppError;
use crate::progress::{Learner, StreakStatus};
use crate::review::{Record, Standing, count, standing};

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextAction {
    Review,
    RetakeQuiz,
    ContinueChapter,
    StartChapter,
    Upgrade,
    Done,
}

/// Why: which rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextReason {
    CardsDue,
    QuizFailed,
    ChapterInProgress,
    NextInCourse,
    LockedChaptersRemain,
    CourseComplete,
}

impl NextAction {
    pub fn reason(self) -> NextReason {
        match self {
            Self::Review => NextReason::CardsDue,
            Self::RetakeQuiz => NextReason::QuizFailed,
            Self::ContinueChapter => NextReason::ChapterInProgress,
            Self::StartChapter => NextReason::NextInCourse,
            Self::Upgrade => NextReason::LockedChaptersRemain,
            Self::Done => NextReason::CourseComplete,
        }
    }
}

/// A failed quiz and where the learner stands on it.
#[derive(Debug, Clone)]
pub struct FailedQuiz {
    pub quiz: Arc<StoredQuiz>,
    pub standing: QuizStanding,
}

/// The recommendation and the numbers behind it.
#[derive(Debug, Clone)]
pub struct Recommendation {
    pub action: NextAction,
    /// The chapter to read, or the chapter of the quiz to retake.
    pub chapter: Option<ChapterRecord>,
    /// The quiz to retake.
    pub quiz: Option<Arc<StoredQuiz>>,
    /// For `upgrade`: the tier that opens the next locked chapter.
    pub required_tier: Option<Tier>,
    pub due_now: u32,
    pub due_later_today: u32,
    pub new_available: u32,
    pub streak: StreakStatus,
    /// A streak is running and the learner has not checked in today: any learning today
    /// keeps it.
    pub streak_at_risk: bool,
    pub completed_chapters: u32,
    pub total_chapters: u32,
    pub current_chapter: Option<ChapterRecord>,
    /// The most recently attempted quiz whose last attempt failed, if any.
    pub last_failed_quiz: Option<FailedQuiz>,
}

/// The recommendation service.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    pub(crate) core: &'a Core,
}

impl Plan<'_> {
    /// One recommendation for the caller, by the rule in this module's documentation.
    pub async fn next(&self, caller: &Caller) -> Result<Recommendation, AppError> {
        let core = self.core;
        let (cards, quizzes, chapters, completions, standings, state, streak) = tokio::join!(
            core.db.review_cards(caller.id),
            core.quizzes.get(&core.db),
            core.chapters.get(&core.db),
            core.db.completions(caller.id),
            core.db.quiz_standings(caller.id),
            core.db.learner_state(caller.id),
            core.db.streak(caller.id),
        );
        let (cards, quizzes, chapters, completions, standings, state, streak) =
            (cards?, quizzes?, chapters?, completions?, standings?, state?, streak?);
        let now = Utc::now();
        let learner = Learner::from(caller);
        let completed: HashSet<Uuid> = completions.into_iter().map(|(id, _)| id).collect();
        let record =
            Record { cards: &cards, quizzes: &quizzes, chapters: &chapters, completed: &completed };
        let Standing { due_now, due_later_today, new_available, .. } =
            standing(core, &learner, &record, now, 0);
        let opens = |order: u32| core.policy.decide(caller.tier, order).granted;
        let streak =
            StreakStatus::of(&streak.map(|s| s.streak).unwrap_or_default(), caller.timezone);
        let current_id = core.activity.current_chapter(caller.id, state.current_chapter_id);
        let current_chapter = current_id.and_then(|id| chapters.find(&ChapterRef::Id(id))).cloned();
        let last_failed_quiz =
            standings.iter().filter(|standing| !standing.last_passed).find_map(|standing| {
                quizzes
                    .find(standing.quiz_id)
                    .map(|quiz| FailedQuiz { quiz: Arc::clone(quiz), standing: *standing })
            });
        let retake = last_failed_quiz.as_ref().filter(|failed| {
            !failed.standing.passed_ever
                && opens(failed.quiz.chapter_order)
                && failed.quiz.max_attempts.is_none_or(|max| failed.standing.attempts < max)
        });
        let chapter_of =
            |quiz: &StoredQuiz| chapters.find(&ChapterRef::Id(quiz.chapter_id)).cloned();
        let in_progress = current_chapter
            .as_ref()
            .filter(|chapter| opens(chapter.order) && !completed.contains(&chapter.id));
        let unread = |open: bool| {
            chapters
                .ordered
                .iter()
                .find(|chapter| opens(chapter.order) == open && !completed.contains(&chapter.id))
        };
        let (action, chapter, quiz, required_tier) = if due_now > 0 {
            (NextAction::Review, None, None, None)
        } else if let Some(failed) = retake {
            (NextAction::RetakeQuiz, chapter_of(&failed.quiz), Some(Arc::clone(&failed.quiz)), None)
        } else if let Some(chapter) = in_progress {
            (NextAction::ContinueChapter, Some(chapter.clone()), None, None)
        } else if let Some(chapter) = unread(true) {
            (NextAction::StartChapter, Some(chapter.clone()), None, None)
        } else if let Some(locked) = unread(false) {
            let tier = core.policy.decide(caller.tier, locked.order).required_tier;
            (NextAction::Upgrade, Some(locked.clone()), None, Some(tier))
        } else {
            (NextAction::Done, None, None, None)
        };
        let completed_chapters =
            chapters.ordered.iter().filter(|chapter| completed.contains(&chapter.id)).count();
        Ok(Recommendation {
            action,
            chapter,
            quiz,
            required_tier,
            due_now,
            due_later_today,
            new_available,
            streak_at_risk: streak.current > 0 && !streak.checked_in_today,
            streak,
            completed_chapters: count(completed_chapters),
            total_chapters: count(chapters.ordered.len()),
            current_chapter,
            last_failed_quiz,
        })
    }
}
