//! Spaced review: the learner's queue of due cards and answering one card.
//!
//! Every question a learner answers, in a quiz or here, is a card for them, scheduled by
//! `domain::review` (FSRS in their own days). Cards of chapters the learner's tier does not
//! open are hidden, never deleted, so an upgrade brings them back with their history.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::review::{Answered, Card, Rating, end_of_local_day, rating_for};
use domain::streak::local_day;
use domain::{ChapterRef, Grade, QuestionOutcome, RevealAnswers, Submitted};
use persistence::{
    CardChange, ChapterRecord, NewReview, PersistenceError, ReviewOutcome, ReviewRecord,
    StoredCard, StoredQuestion, StoredQuiz,
};
use uuid::Uuid;

use crate::answers::{graded_question, ungradable};
use crate::auth::Caller;
use crate::catalog::{Catalog, Chapters};
use crate::core::Core;
use crate::error::AppError;
use crate::input::check_idempotency_key;
use crate::progress::{Learner, check_in_quietly};

/// One card in the queue: a question as its quiz shows it, and where it stands.
#[derive(Debug, Clone)]
pub struct ReviewItem {
    pub quiz: Arc<StoredQuiz>,
    /// Index of the question in `quiz.questions`.
    pub question: usize,
    pub chapter: ChapterRecord,
    /// `None` for a new card (a question of a completed chapter never answered).
    pub card: Option<Card>,
    /// Whole local days since the card fell due (0: due today); `None` for a new card.
    pub overdue_days: Option<u32>,
}

impl ReviewItem {
    pub fn question(&self) -> Option<&StoredQuestion> {
        self.quiz.questions.get(self.question)
    }
}

/// The caller's review queue now.
#[derive(Debug, Clone)]
pub struct ReviewQueue {
    /// Due cards, oldest due first, then new cards in course order, up to the limit asked.
    pub items: Vec<ReviewItem>,
    pub due_now: u32,
    /// Cards due later in the learner's local day.
    pub due_later_today: u32,
    /// Questions of completed chapters the learner has never answered.
    pub new_available: u32,
}

/// A graded review.
#[derive(Debug, Clone)]
pub struct ReviewAnswer {
    pub quiz: Arc<StoredQuiz>,
    pub question_id: Uuid,
    pub outcome: QuestionOutcome,
    pub review: ReviewRecord,
    /// Whether the correct answer and explanation may be shown (an `after_pass` quiz: only
    /// once the learner has passed it).
    pub reveals_key: bool,
    /// False when this is the replay of an earlier review with the same `review_id`.
    pub recorded_now: bool,
}

/// Spaced review.
#[derive(Debug, Clone, Copy)]
pub struct Review<'a> {
    pub(crate) core: &'a Core,
}

/// The cards of `learner` counted as of `now`, and the first of them listed.
pub(crate) struct Standing {
    pub due_now: u32,
    /// The first due cards, oldest due first, as many as asked for.
    pub due: Vec<ReviewItem>,
    pub due_later_today: u32,
    pub new_available: u32,
    /// The first new cards, in course order, as many as asked for.
    pub new: Vec<ReviewItem>,
}

/// What a learner's review standing is made from.
#[derive(Clone, Copy)]
pub(crate) struct Record<'a> {
    pub cards: &'a [StoredCard],
    pub quizzes: &'a Catalog,
    pub chapters: &'a Chapters,
    /// The chapters the learner completed.
    pub completed: &'a HashSet<Uuid>,
}

/// Sorts the learner's cards into due now, due later today and new (counting all, listing
/// the first `wanted` due and new ones), skipping cards whose question is gone or whose
/// chapter the learner's tier does not open.
pub(crate) fn standing(
    core: &Core,
    learner: &Learner,
    record: &Record<'_>,
    now: DateTime<Utc>,
    wanted: usize,
) -> Standing {
    let Record { cards, quizzes, chapters, completed } = *record;
    let zone = learner.timezone.zone();
    let end_of_day = end_of_local_day(now, zone);
    let open = |quiz: &StoredQuiz| core.policy.decide(learner.tier, quiz.chapter_order).granted;
    let today = local_day(now, zone);
    let item = |quiz: &Arc<StoredQuiz>, question: usize, card: Option<Card>| {
        chapters.find(&ChapterRef::Id(quiz.chapter_id)).map(|chapter| ReviewItem {
            quiz: Arc::clone(quiz),
            question,
            chapter: chapter.clone(),
            card,
            overdue_days: card.map(|card| {
                let days = (today - local_day(card.due, zone)).num_days().max(0);
                u32::try_from(days).unwrap_or(u32::MAX)
            }),
        })
    };
    let mut due_cards = Vec::new();
    let mut due_later_today = 0;
    let mut answered = HashSet::new();
    for stored in cards {
        answered.insert(stored.question_id);
        let Some((quiz, index, question)) = quizzes.question(stored.question_id) else {
            continue;
        };
        if !open(quiz) {
            continue;
        }
        if stored.card.is_due(now) {
            let order = (stored.card.due, quiz.chapter_order, question.question.position);
            due_cards.push((order, quiz, index, stored.card));
        } else if stored.card.due < end_of_day {
            due_later_today += 1;
        }
    }
    due_cards.sort_by_key(|(order, ..)| *order);
    // Only the listed cards are made into items (a chapter record each); the rest are counted.
    let due = due_cards
        .iter()
        .take(wanted)
        .filter_map(|(_, quiz, index, card)| item(quiz, *index, Some(*card)))
        .collect();
    let mut new = Vec::new();
    let mut new_available = 0;
    for quiz in quizzes.ordered.iter().filter(|quiz| completed.contains(&quiz.chapter_id)) {
        if !open(quiz) {
            continue;
        }
        for (index, question) in quiz.questions.iter().enumerate() {
            if answered.contains(&question.id) {
                continue;
            }
            new_available += 1;
            if new.len() < wanted {
                new.extend(item(quiz, index, None));
            }
        }
    }
    Standing { due_now: count(due_cards.len()), due, due_later_today, new_available, new }
}

/// A count as the documents give it.
pub(crate) fn count(items: usize) -> u32 {
    u32::try_from(items).unwrap_or(u32::MAX)
}

/// The card changes a quiz's graded questions make (wrong: *Again*, so due again at once;
/// right: *Good*), computed from the cards remembered here (`from_memory`) or else read.
pub(crate) async fn quiz_card_changes(
    core: &Core,
    learner: &Learner,
    outcomes: &[&QuestionOutcome],
    from_memory: bool,
) -> Result<Vec<CardChange>, PersistenceError> {
    let mut stored: HashMap<Uuid, StoredCard> = HashMap::new();
    if from_memory {
        stored.extend(outcomes.iter().filter_map(|outcome| {
            let card = core.activity.remembered_card(learner.id, outcome.question_id)?;
            Some((card.question_id, card))
        }));
    }
    let unknown: Vec<Uuid> = outcomes
        .iter()
        .map(|outcome| outcome.question_id)
        .filter(|id| !stored.contains_key(id))
        .collect();
    if !unknown.is_empty() {
        let read = core.db.review_cards_of(learner.id, &unknown).await?;
        stored.extend(read.into_iter().map(|card| (card.question_id, card)));
    }
    let (now, zone) = (Utc::now(), learner.timezone.zone());
    Ok(outcomes
        .iter()
        .map(|outcome| {
            let before = stored.get(&outcome.question_id);
            let rating = if outcome.is_correct { Rating::Good } else { Rating::Again };
            CardChange {
                question_id: outcome.question_id,
                expected_version: before.map(|card| card.version),
                card: core.scheduler.review(
                    before.map(|b| &b.card),
                    rating,
                    Answered::InQuiz,
                    now,
                    zone,
                ),
            }
        })
        .collect())
}

/// Remembers the cards of `changes` that were stored (`saved`); returns the question ids of
/// those that were not (changed meanwhile).
pub(crate) fn remember_saved(
    core: &Core,
    learner: Uuid,
    changes: &[CardChange],
    saved: &[Uuid],
) -> Vec<Uuid> {
    let mut unsaved = Vec::new();
    for change in changes {
        if saved.contains(&change.question_id) {
            let version = change.stored_version();
            let card = StoredCard { question_id: change.question_id, card: change.card, version };
            core.activity.remember_card(learner, card);
        } else {
            unsaved.push(change.question_id);
        }
    }
    unsaved
}

/// Reschedules the cards of the questions in `unsaved` that a submission could not store
/// with its attempt (another change won the race), from what is stored now. Never fails the
/// submission it rides on; a failure is logged.
pub(crate) async fn retry_quiz_cards(
    core: &Core,
    learner: &Learner,
    grade: &Grade,
    mut unsaved: Vec<Uuid>,
) {
    for _ in 0..8 {
        if unsaved.is_empty() {
            return;
        }
        let outcomes: Vec<&QuestionOutcome> =
            grade.outcomes.iter().filter(|o| unsaved.contains(&o.question_id)).collect();
        let saved = match quiz_card_changes(core, learner, &outcomes, false).await {
            Ok(changes) => match core.db.save_cards(learner.id, &changes).await {
                Ok(saved) => remember_saved(core, learner.id, &changes, &saved),
                Err(PersistenceError::Busy) => unsaved,
                Err(error) => {
                    log::warn!("review cards of {} not scheduled: {error}", learner.id);
                    return;
                }
            },
            Err(error) => {
                log::warn!("review cards of {} not scheduled: {error}", learner.id);
                return;
            }
        };
        unsaved = saved;
    }
    log::warn!("review cards of {} not scheduled: too many simultaneous changes", learner.id);
}

impl Review<'_> {
    /// The caller's due cards (oldest due first), then new cards from completed chapters, up
    /// to `limit` (1–50), with the queue's totals.
    pub async fn queue(&self, caller: &Caller, limit: u32) -> Result<ReviewQueue, AppError> {
        if !(1..=50).contains(&limit) {
            return Err(AppError::invalid("limit", "must be 1 to 50"));
        }
        let core = self.core;
        let (cards, quizzes, chapters, completions) = tokio::join!(
            core.db.review_cards(caller.id),
            core.quizzes.get(&core.db),
            core.chapters.get(&core.db),
            core.db.completions(caller.id),
        );
        let (cards, quizzes, chapters, completions) = (cards?, quizzes?, chapters?, completions?);
        let completed: HashSet<Uuid> = completions.into_iter().map(|(id, _)| id).collect();
        let now = Utc::now();
        let learner = Learner::from(caller);
        let record =
            Record { cards: &cards, quizzes: &quizzes, chapters: &chapters, completed: &completed };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let Standing { due_now, due, due_later_today, new_available, new } =
            standing(core, &learner, &record, now, limit);
        let items = due.into_iter().chain(new).take(limit).collect();
        Ok(ReviewQueue { items, due_now, due_later_today, new_available })
    }

    /// Grades the caller's answer to one card by the quizzes' rule, reschedules the card and
    /// counts as the day's check-in. A retry with the same `review_id` returns the first
    /// review when the answer is the same, and is a conflict when it differs.
    pub async fn answer(
        &self,
        caller: &Caller,
        question_id: &str,
        answer: Submitted,
        review_id: Option<String>,
    ) -> Result<ReviewAnswer, AppError> {
        let core = self.core;
        let id = domain::parse_id(question_id)
            .ok_or_else(|| AppError::invalid("question_id", "must be a question id (UUID)"))?;
        check_idempotency_key("review_id", review_id.as_deref())?;
        let quizzes = core.quizzes.get(&core.db).await?;
        let (quiz, _, question) =
            quizzes.question(id).ok_or_else(|| AppError::NotFound(format!("No question {id}.")))?;
        core.require_access(caller.tier, quiz.chapter_order)?;
        let answers = HashMap::from([(id.to_string(), answer)]);
        let grade = domain::grade(&[graded_question(question)], &answers, quiz.pass_mark)
            .map_err(|problems| ungradable(&problems))?;
        let outcome = grade
            .outcomes
            .into_iter()
            .next()
            .filter(|outcome| outcome.selected.is_some())
            .ok_or_else(|| AppError::invalid("answer", "is required"))?;
        let keys = outcome.selected.as_ref().map(domain::Answer::keys).unwrap_or_default();
        let learner = Learner::from(caller);
        let zone = learner.timezone.zone();
        let (review, recorded_now) = 'recorded: {
            let _turn = core.activity.card_writer(caller.id).await;
            for attempt in 0..16 {
                // First from memory (this learner's turn keeps it current on this replica); a
                // stale one fails the compare-and-swap and is read again.
                let remembered =
                    if attempt == 0 { core.activity.remembered_card(caller.id, id) } else { None };
                let before = match remembered {
                    Some(card) => Some(card),
                    None => core.db.review_cards_of(caller.id, &[id]).await?.into_iter().next(),
                };
                let now = Utc::now();
                let card = before.map(|stored| stored.card);
                let rating = rating_for(
                    outcome.is_correct,
                    question.question.kind,
                    card.as_ref(),
                    now,
                    zone,
                );
                let new = NewReview {
                    user_id: caller.id,
                    review_id: review_id.clone(),
                    answer: keys.clone(),
                    correct: outcome.is_correct,
                    change: CardChange {
                        question_id: id,
                        expected_version: before.map(|stored| stored.version),
                        card: core.scheduler.review(
                            card.as_ref(),
                            rating,
                            Answered::InReview,
                            now,
                            zone,
                        ),
                    },
                };
                match core.db.record_review(&new).await {
                    Ok(ReviewOutcome::Recorded(review)) => {
                        remember_saved(core, caller.id, std::slice::from_ref(&new.change), &[id]);
                        break 'recorded (review, true);
                    }
                    Ok(ReviewOutcome::AlreadyRecorded(first)) => {
                        if first.question_id != id || first.answer != keys {
                            return Err(AppError::Conflict {
                                code: "conflict",
                                message: "This review_id was already used with another answer."
                                    .into(),
                            });
                        }
                        break 'recorded (first, false);
                    }
                    Ok(ReviewOutcome::CardChanged) | Err(PersistenceError::Busy) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            return Err(AppError::Unavailable("Too many simultaneous reviews; try again.".into()));
        };
        if recorded_now {
            core.activity.touch(caller.id);
            check_in_quietly(core, &learner).await;
        }
        let reveals_key = match quiz.reveal_answers {
            RevealAnswers::Always => true,
            RevealAnswers::AfterPass => {
                core.db.attempt_history(caller.id, quiz.id, 1, 0).await?.passed_ever
            }
        };
        Ok(ReviewAnswer {
            quiz: Arc::clone(quiz),
            question_id: id,
            outcome,
            review,
            reveals_key,
            recorded_now,
        })
    }
}
