//! Quizzes as stored (for the in-memory catalog) and learners' attempts.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use domain::{Answer, Question, QuestionKind, RevealAnswers};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use crate::entity::{attempt, chapter, question, quiz};
use crate::review::{CardChange, save_cards_on};
use crate::{Database, PersistenceError};

/// A question with its stored id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredQuestion {
    pub id: Uuid,
    pub question: Question,
}

/// A quiz with everything needed to serve and grade it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredQuiz {
    pub id: Uuid,
    pub chapter_id: Uuid,
    /// Decides which tiers open the quiz.
    pub chapter_order: u32,
    pub title: String,
    pub pass_mark: u8,
    pub reveal_answers: RevealAnswers,
    pub max_attempts: Option<u32>,
    /// In order.
    pub questions: Vec<StoredQuestion>,
}

/// Answers as stored: question id → normalised keys (`["B"]`, `["A","C"]`, `["true"]`).
pub type StoredAnswers = BTreeMap<Uuid, Vec<String>>;

/// One graded attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub quiz_id: Uuid,
    pub submission_id: Option<String>,
    pub answers: StoredAnswers,
    pub score: u8,
    pub correct_count: u32,
    pub total: u32,
    pub passed: bool,
    pub attempt_number: u32,
    pub completed_at: DateTime<Utc>,
}

/// A graded submission to store.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub user_id: Uuid,
    pub quiz_id: Uuid,
    pub submission_id: Option<String>,
    pub answers: StoredAnswers,
    pub score: u8,
    pub correct_count: u32,
    pub total: u32,
    pub passed: bool,
}

/// A page of a learner's attempts at a quiz and figures over all of their attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptHistory {
    /// Newest first.
    pub page: Vec<AttemptRecord>,
    pub attempt_count: u32,
    pub best_score: Option<u8>,
    pub last_score: Option<u8>,
    pub passed_ever: bool,
}

/// The aggregate row behind [`AttemptHistory`].
#[derive(Debug, Default, FromQueryResult)]
struct AttemptFigures {
    attempts: i64,
    best: Option<i32>,
    /// 1 when an attempt passed, 0 when none did, null without attempts.
    passed: Option<i32>,
    last: Option<i32>,
}

/// What happened to a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Stored as a new attempt.
    Recorded(AttemptRecord),
    /// An attempt with this `submission_id` already exists (returned as it is).
    AlreadyRecorded(AttemptRecord),
    /// `max_attempts` attempts exist already; nothing stored.
    LimitReached,
}

fn corrupt(what: impl std::fmt::Display) -> PersistenceError {
    PersistenceError::Corrupt(what.to_string())
}

impl TryFrom<attempt::Model> for AttemptRecord {
    type Error = PersistenceError;

    fn try_from(row: attempt::Model) -> Result<Self, Self::Error> {
        let number = |value: i32, what: &str| {
            u32::try_from(value)
                .map_err(|_| corrupt(format!("attempt {}: negative {what}", row.id)))
        };
        Ok(Self {
            answers: serde_json::from_str(&row.answers).map_err(corrupt)?,
            score: u8::try_from(row.score).map_err(corrupt)?,
            correct_count: number(row.correct_count, "correct count")?,
            total: number(row.total, "total")?,
            attempt_number: number(row.attempt_number, "attempt number")?,
            id: row.id,
            user_id: row.user_id,
            quiz_id: row.quiz_id,
            submission_id: row.submission_id,
            passed: row.passed,
            completed_at: row.completed_at,
        })
    }
}

fn stored_question(row: question::Model) -> Result<StoredQuestion, PersistenceError> {
    let kind = QuestionKind::parse(&row.kind)
        .ok_or_else(|| corrupt(format!("question {}: kind", row.id)))?;
    let keys: Vec<String> = serde_json::from_str(&row.answer).map_err(corrupt)?;
    let answer = Answer::from_keys(kind, &keys)
        .ok_or_else(|| corrupt(format!("question {}: answer", row.id)))?;
    Ok(StoredQuestion {
        id: row.id,
        question: Question {
            position: u32::try_from(row.position).map_err(corrupt)?,
            kind,
            text: row.text,
            options: serde_json::from_str(&row.options).map_err(corrupt)?,
            answer,
            explanation: row.explanation,
        },
    })
}

impl Database {
    /// Every quiz with its questions and its chapter's order, in chapter order: three queries
    /// whatever the number of quizzes.
    pub async fn load_quizzes(&self) -> Result<Vec<StoredQuiz>, PersistenceError> {
        let orders: HashMap<Uuid, i32> = chapter::Entity::find()
            .all(&self.conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c.order))
            .collect();
        let mut questions: HashMap<Uuid, Vec<StoredQuestion>> = HashMap::new();
        for row in question::Entity::find()
            .order_by_asc(question::Column::Position)
            .all(&self.conn)
            .await?
        {
            let quiz_id = row.quiz_id;
            questions.entry(quiz_id).or_default().push(stored_question(row)?);
        }
        let mut quizzes = Vec::new();
        for row in quiz::Entity::find().all(&self.conn).await? {
            let Some(order) = orders.get(&row.chapter_id) else { continue };
            quizzes.push(StoredQuiz {
                chapter_order: u32::try_from(*order).map_err(corrupt)?,
                pass_mark: u8::try_from(row.pass_mark).map_err(corrupt)?,
                reveal_answers: RevealAnswers::parse(&row.reveal_answers)
                    .ok_or_else(|| corrupt(format!("quiz {}: reveal_answers", row.id)))?,
                max_attempts: row.max_attempts.map(u32::try_from).transpose().map_err(corrupt)?,
                questions: questions.remove(&row.id).unwrap_or_default(),
                id: row.id,
                chapter_id: row.chapter_id,
                title: row.title,
            });
        }
        quizzes.sort_by_key(|quiz| quiz.chapter_order);
        Ok(quizzes)
    }

    pub async fn find_attempt_by_submission(
        &self,
        user_id: Uuid,
        quiz_id: Uuid,
        submission_id: &str,
    ) -> Result<Option<AttemptRecord>, PersistenceError> {
        attempt::Entity::find()
            .filter(attempt::Column::UserId.eq(user_id))
            .filter(attempt::Column::QuizId.eq(quiz_id))
            .filter(attempt::Column::SubmissionId.eq(submission_id))
            .one(&self.conn)
            .await?
            .map(AttemptRecord::try_from)
            .transpose()
    }

    /// A page of a learner's attempts at a quiz, newest first, with figures over all of them:
    /// two queries (`LIMIT`/`OFFSET`, and one aggregate row) however many attempts there are.
    pub async fn attempt_history(
        &self,
        user_id: Uuid,
        quiz_id: Uuid,
        limit: u32,
        offset: u32,
    ) -> Result<AttemptHistory, PersistenceError> {
        let mine = |select: &mut SelectStatement| {
            select
                .from(attempt::Entity)
                .and_where(attempt::Column::UserId.eq(user_id))
                .and_where(attempt::Column::QuizId.eq(quiz_id));
        };
        let mut last = Query::select();
        last.column(attempt::Column::Score)
            .order_by(attempt::Column::AttemptNumber, Order::Desc)
            .limit(1);
        mine(&mut last);
        let mut figures = Query::select();
        figures
            .expr_as(Expr::col(attempt::Column::Id).count(), "attempts")
            .expr_as(Expr::col(attempt::Column::Score).max(), "best")
            // MAX over a boolean is not portable (PostgreSQL has BOOL_OR, SQLite integers).
            .expr_as(
                Func::max(Expr::case(Expr::col(attempt::Column::Passed).eq(true), 1).finally(0)),
                "passed",
            )
            .expr_as(Expr::SubQuery(None, Box::new(last.into())), "last");
        mine(&mut figures);
        let figures = match self.conn.query_one(&figures).await? {
            Some(row) => AttemptFigures::from_query_result(&row, "")?,
            None => AttemptFigures::default(),
        };
        let page = attempt::Entity::find()
            .filter(attempt::Column::UserId.eq(user_id))
            .filter(attempt::Column::QuizId.eq(quiz_id))
            .order_by_desc(attempt::Column::AttemptNumber)
            .limit(u64::from(limit))
            .offset(u64::from(offset))
            .all(&self.conn)
            .await?
            .into_iter()
            .map(AttemptRecord::try_from)
            .collect::<Result<_, _>>()?;
        let score = |value: Option<i32>| value.map(u8::try_from).transpose().map_err(corrupt);
        Ok(AttemptHistory {
            page,
            attempt_count: u32::try_from(figures.attempts).map_err(corrupt)?,
            best_score: score(figures.best)?,
            last_score: score(figures.last)?,
            passed_ever: figures.passed == Some(1),
        })
    }

    /// Stores a graded attempt as the learner's next attempt number, in one statement
    /// (`INSERT … SELECT MAX(attempt_number) + 1 … HAVING COUNT(*) < max`), so that the
    /// limit holds and numbers stay unique under concurrency, with its questions' review
    /// `cards` in the same transaction (returned: the question ids of the cards stored; one
    /// changed meanwhile is not). A `submission_id` seen before returns the attempt that used
    /// it, and stores no card.
    pub async fn record_attempt(
        &self,
        new: &NewAttempt,
        max_attempts: Option<u32>,
        cards: &[CardChange],
    ) -> Result<(AttemptOutcome, Vec<Uuid>), PersistenceError> {
        let answers = serde_json::to_string(&new.answers).map_err(corrupt)?;
        // Two racing submissions may compute the same number; the loser tries again.
        for _ in 0..8 {
            let id = Uuid::new_v4();
            let completed_at = Utc::now();
            let mut select = Query::select();
            select
                .expr(Expr::val(id))
                .expr(Expr::val(new.user_id))
                .expr(Expr::val(new.quiz_id))
                .expr(Expr::val(new.submission_id.clone()))
                .expr(Expr::val(answers.clone()))
                .expr(Expr::val(i32::from(new.score)))
                .expr(Expr::val(i64::from(new.correct_count)))
                .expr(Expr::val(i64::from(new.total)))
                .expr(Expr::val(new.passed))
                .expr(
                    Func::coalesce([Expr::col(attempt::Column::AttemptNumber).max(), Expr::val(0)])
                        .add(1),
                )
                .expr(Expr::val(completed_at))
                .from(attempt::Entity)
                .and_where(attempt::Column::UserId.eq(new.user_id))
                .and_where(attempt::Column::QuizId.eq(new.quiz_id));
            if let Some(max) = max_attempts {
                select.and_having(Expr::col(attempt::Column::Id).count().lt(i64::from(max)));
            }
            let insert = Query::insert()
                .into_table(attempt::Entity)
                .columns([
                    attempt::Column::Id,
                    attempt::Column::UserId,
                    attempt::Column::QuizId,
                    attempt::Column::SubmissionId,
                    attempt::Column::Answers,
                    attempt::Column::Score,
                    attempt::Column::CorrectCount,
                    attempt::Column::Total,
                    attempt::Column::Passed,
                    attempt::Column::AttemptNumber,
                    attempt::Column::CompletedAt,
                ])
                .select_from(select)
                .map_err(|e| corrupt(e.to_string()))?
                .returning_all()
                .to_owned();
            // The stored row comes back, or no row when the limit is reached; the cards go in
            // the same transaction, so a submission costs one commit.
            let txn = self.conn.begin().await?;
            let inserted = txn.query_one(&insert).await.map_err(PersistenceError::from);
            let retried = match inserted {
                Ok(Some(row)) => {
                    let attempt = attempt::Model::from_query_result(&row, "")?.try_into()?;
                    let saved = save_cards_on(&txn, new.user_id, cards).await?;
                    txn.commit().await?;
                    return Ok((AttemptOutcome::Recorded(attempt), saved));
                }
                Ok(None) => false,
                Err(PersistenceError::Conflict(_) | PersistenceError::Busy) => true,
                Err(other) => return Err(other),
            };
            txn.rollback().await?;
            // Not stored: a retry of a stored submission is answered with its first attempt,
            // whether the limit or the submission's unique index stopped it.
            if let Some(submission) = &new.submission_id
                && let Some(first) =
                    self.find_attempt_by_submission(new.user_id, new.quiz_id, submission).await?
            {
                return Ok((AttemptOutcome::AlreadyRecorded(first), Vec::new()));
            }
            if !retried {
                return Ok((AttemptOutcome::LimitReached, Vec::new()));
            }
        }
        Err(PersistenceError::Busy)
    }
}

/// Where a learner stands on one quiz, over all their attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuizStanding {
    pub quiz_id: Uuid,
    pub attempts: u32,
    pub passed_ever: bool,
    pub last_score: u8,
    pub last_passed: bool,
    pub last_at: DateTime<Utc>,
}

impl Database {
    /// The learner's standing on every quiz they attempted, latest attempt first: one query
    /// over their attempts' scores (not their answers).
    pub async fn quiz_standings(
        &self,
        user_id: Uuid,
    ) -> Result<Vec<QuizStanding>, PersistenceError> {
        let rows: Vec<(Uuid, i32, bool, DateTime<Utc>)> = attempt::Entity::find()
            .select_only()
            .columns([
                attempt::Column::QuizId,
                attempt::Column::Score,
                attempt::Column::Passed,
                attempt::Column::CompletedAt,
            ])
            .filter(attempt::Column::UserId.eq(user_id))
            .order_by_asc(attempt::Column::CompletedAt)
            .order_by_asc(attempt::Column::AttemptNumber)
            .into_tuple()
            .all(&self.conn)
            .await?;
        let mut standings: HashMap<Uuid, QuizStanding> = HashMap::new();
        for (quiz_id, score, passed, at) in rows {
            let score = u8::try_from(score).map_err(corrupt)?;
            let standing = standings.entry(quiz_id).or_insert(QuizStanding {
                quiz_id,
                attempts: 0,
                passed_ever: false,
                last_score: score,
                last_passed: passed,
                last_at: at,
            });
            standing.attempts += 1;
            standing.passed_ever |= passed;
            standing.last_score = score;
            standing.last_passed = passed;
            standing.last_at = at;
        }
        let mut standings: Vec<QuizStanding> = standings.into_values().collect();
        standings.sort_by_key(|standing| std::cmp::Reverse(standing.last_at));
        Ok(standings)
    }
}
