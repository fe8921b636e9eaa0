//! Quizzes: listing, serving without answers, rule-based grading with idempotent retries,
//! attempt limits, and attempt history.

use std::collections::HashMap;
use std::sync::Arc;

use domain::{GradedQuestion, QuestionKind, QuestionOutcome, Submitted};
use persistence::{
    AttemptHistory, AttemptOutcome, AttemptRecord, NewAttempt, StoredAnswers, StoredQuiz,
};
use uuid::Uuid;

use crate::answers::{graded_question, ungradable};
use crate::auth::Caller;
use crate::core::Core;
use crate::error::AppError;
use crate::input::check_idempotency_key;
use crate::progress::{Learner, check_in_quietly};
use crate::review::{quiz_card_changes, remember_saved, retry_quiz_cards};

/// A quiz as listed for a caller.
#[derive(Debug, Clone)]
pub struct ListedQuiz {
    pub quiz: Arc<StoredQuiz>,
    /// True when the caller's tier does not open the quiz's chapter.
    pub locked: bool,
}

/// A graded attempt: a new one, or the first one made with a retried submission id.
#[derive(Debug, Clone)]
pub struct Submission {
    pub quiz: Arc<StoredQuiz>,
    pub attempt: AttemptRecord,
    pub grade: domain::Grade,
    /// Whether the key and explanations may be shown (`after_pass` quizzes: only on a pass).
    pub reveals_key: bool,
    /// False when this is the replay of an earlier submission with the same id.
    pub recorded_now: bool,
}

/// Quizzes.
#[derive(Debug, Clone, Copy)]
pub struct Quizzes<'a> {
    pub(crate) core: &'a Core,
}

/// Grades answers (as sent, or as stored for a replay).
fn grade_answers(
    quiz: &StoredQuiz,
    answers: &HashMap<String, Submitted>,
) -> Result<(domain::Grade, StoredAnswers), AppError> {
    let questions: Vec<GradedQuestion> = quiz.questions.iter().map(graded_question).collect();
    let grade = domain::grade(&questions, answers, quiz.pass_mark)
        .map_err(|problems| ungradable(&problems))?;
    let stored = grade
        .outcomes
        .iter()
        .filter_map(|outcome| {
            outcome.selected.as_ref().map(|answer| (outcome.question_id, answer.keys()))
        })
        .collect();
    Ok((grade, stored))
}

fn stored_as_submitted(answers: &StoredAnswers, quiz: &StoredQuiz) -> HashMap<String, Submitted> {
    let kinds: HashMap<Uuid, QuestionKind> =
        quiz.questions.iter().map(|q| (q.id, q.question.kind)).collect();
    answers
        .iter()
        .map(|(id, keys)| {
            let submitted = match (kinds.get(id), keys.as_slice()) {
                (Some(QuestionKind::MultipleChoice), _) | (_, [] | [_, _, ..]) => {
                    Submitted::Many(keys.clone())
                }
                (_, [one]) => Submitted::One(one.clone()),
            };
            (id.to_string(), submitted)
        })
        .collect()
}

impl Quizzes<'_> {
    /// The quiz `id` names, if it exists and the caller's tier opens its chapter.
    pub async fn open(&self, caller: &Caller, id: &str) -> Result<Arc<StoredQuiz>, AppError> {
        let id = domain::parse_id(id)
            .ok_or_else(|| AppError::invalid("quiz_id", "must be a quiz id (UUID)"))?;
        let catalog = self.core.quizzes.get(&self.core.db).await?;
        let quiz = catalog
            .find(id)
            .cloned()
            .ok_or_else(|| AppError::NotFound(format!("No quiz {id}.")))?;
        self.core.require_access(caller.tier, quiz.chapter_order)?;
        Ok(quiz)
    }

    /// Every quiz in course order, and whether the caller's tier opens it.
    pub async fn list(&self, caller: &Caller) -> Result<Vec<ListedQuiz>, AppError> {
        let catalog = self.core.quizzes.get(&self.core.db).await?;
        let policy = self.core.policy;
        Ok(catalog
            .ordered
            .iter()
            .map(|quiz| ListedQuiz {
                quiz: Arc::clone(quiz),
                locked: !policy.decide(caller.tier, quiz.chapter_order).granted,
            })
            .collect())
    }

    /// Grades the answers by rule and stores the attempt (a check-in too). A retry with the
    /// same `submission_id` returns the first attempt when the answers are the same and is a
    /// conflict when they differ.
    pub async fn submit(
        &self,
        caller: &Caller,
        quiz_id: &str,
        answers: HashMap<String, Submitted>,
        submission_id: Option<String>,
    ) -> Result<Submission, AppError> {
        let core = self.core;
        let quiz = self.open(caller, quiz_id).await?;
        check_idempotency_key("submission_id", submission_id.as_deref())?;
        let (grade, stored) = grade_answers(&quiz, &answers)?;
        // A retried submission_id is recognised by the insert itself (its unique index), so a
        // new submission costs one transaction: the attempt and its questions' review cards,
        // computed from the cards remembered here (this learner's turn keeps them current).
        let learner = Learner::from(caller);
        let turn = core.activity.card_writer(caller.id).await;
        let outcomes: Vec<&QuestionOutcome> = grade.outcomes.iter().collect();
        let cards = quiz_card_changes(core, &learner, &outcomes, true).await?;
        let new = NewAttempt {
            user_id: caller.id,
            quiz_id: quiz.id,
            submission_id,
            answers: stored.clone(),
            score: grade.score,
            correct_count: grade.correct_count,
            total: grade.total,
            passed: grade.passed,
        };
        let (outcome, saved) = core.db.record_attempt(&new, quiz.max_attempts, &cards).await?;
        let unsaved = remember_saved(core, caller.id, &cards, &saved);
        drop(turn);
        match outcome {
            AttemptOutcome::Recorded(attempt) => {
                core.activity.touch(caller.id);
                check_in_quietly(core, &learner).await;
                retry_quiz_cards(core, &learner, &grade, unsaved).await;
                let reveals_key = quiz.reveal_answers.shows_key(attempt.passed);
                Ok(Submission { quiz, attempt, grade, reveals_key, recorded_now: true })
            }
            AttemptOutcome::AlreadyRecorded(first) => {
                if first.answers != stored {
                    return Err(AppError::Conflict {
                        code: "conflict",
                        message: "This submission_id was already used with different answers."
                            .into(),
                    });
                }
                let (grade, _) = grade_answers(&quiz, &stored_as_submitted(&first.answers, &quiz))?;
                let reveals_key = quiz.reveal_answers.shows_key(first.passed);
                Ok(Submission { quiz, attempt: first, grade, reveals_key, recorded_now: false })
            }
            AttemptOutcome::LimitReached => Err(AppError::Conflict {
                code: "attempt_limit_reached",
                message: format!(
                    "This quiz allows {} attempt(s).",
                    quiz.max_attempts.unwrap_or_default()
                ),
            }),
        }
    }

    /// The caller's attempts at a quiz, newest first, with the aggregates over all of them.
    pub async fn results(
        &self,
        caller: &Caller,
        quiz_id: &str,
        limit: u32,
        offset: u32,
    ) -> Result<AttemptHistory, AppError> {
        let quiz = self.open(caller, quiz_id).await?;
        Ok(self.core.db.attempt_history(caller.id, quiz.id, limit, offset).await?)
    }
}
