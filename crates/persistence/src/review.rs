//! Review cards (one per learner and question, with its FSRS state) and review answers.
//!
//! A card changes only through a compare-and-swap on its version, so two reviews of one card
//! at once cannot both apply to the same state; the loser reads the card again and retries.

use chrono::{DateTime, Utc};
use domain::review::{Answered, Card, CardState, Rating};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use crate::entity::{review, review_card};
use crate::{Database, PersistenceError};

/// A learner's card with the version its next change must match.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredCard {
    pub question_id: Uuid,
    pub card: Card,
    pub version: i32,
}

/// A card to store if it is still at `expected_version` (`None`: no card yet).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CardChange {
    pub question_id: Uuid,
    pub expected_version: Option<i32>,
    pub card: Card,
}

impl CardChange {
    /// The version the card has once this change is stored.
    pub fn stored_version(&self) -> i32 {
        self.expected_version.map_or(1, |version| version + 1)
    }
}

/// One answered review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRecord {
    pub id: Uuid,
    pub question_id: Uuid,
    pub review_id: Option<String>,
    /// Normalised answer keys (`["B"]`, `["A","C"]`, `["true"]`).
    pub answer: Vec<String>,
    pub correct: bool,
    pub rating: Rating,
    pub reviewed_at: DateTime<Utc>,
    pub next_due: DateTime<Utc>,
}

/// A review to store with the card change it makes.
#[derive(Debug, Clone)]
pub struct NewReview {
    pub user_id: Uuid,
    pub review_id: Option<String>,
    pub answer: Vec<String>,
    pub correct: bool,
    pub change: CardChange,
}

/// What happened to a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewOutcome {
    /// Stored, and the card changed.
    Recorded(ReviewRecord),
    /// A review with this `review_id` exists already (returned as it is); nothing changed.
    AlreadyRecorded(ReviewRecord),
    /// The card changed meanwhile; nothing stored: read it again and retry.
    CardChanged,
}

fn corrupt(what: impl std::fmt::Display) -> PersistenceError {
    PersistenceError::Corrupt(what.to_string())
}

fn count(value: u32) -> Result<i32, PersistenceError> {
    i32::try_from(value).map_err(corrupt)
}

impl TryFrom<review_card::Model> for StoredCard {
    type Error = PersistenceError;

    fn try_from(row: review_card::Model) -> Result<Self, Self::Error> {
        let number = |value: i32| u32::try_from(value).map_err(corrupt);
        Ok(Self {
            question_id: row.question_id,
            card: Card {
                due: row.due,
                stability: row.stability,
                difficulty: row.difficulty,
                interval_days: number(row.interval_days)?,
                reps: number(row.reps)?,
                lapses: number(row.lapses)?,
                state: CardState::from_code(row.state)
                    .ok_or_else(|| corrupt(format!("card state {}", row.state)))?,
                last_review: row.last_review,
                last_rating: Rating::from_code(row.last_rating)
                    .ok_or_else(|| corrupt(format!("card rating {}", row.last_rating)))?,
                last_answered: if row.last_in_review {
                    Answered::InReview
                } else {
                    Answered::InQuiz
                },
            },
            version: row.version,
        })
    }
}

impl TryFrom<review::Model> for ReviewRecord {
    type Error = PersistenceError;

    fn try_from(row: review::Model) -> Result<Self, Self::Error> {
        Ok(Self {
            answer: serde_json::from_str(&row.answer).map_err(corrupt)?,
            rating: Rating::from_code(row.rating)
                .ok_or_else(|| corrupt(format!("review rating {}", row.rating)))?,
            id: row.id,
            question_id: row.question_id,
            review_id: row.review_id,
            correct: row.correct,
            reviewed_at: row.reviewed_at,
            next_due: row.next_due,
        })
    }
}

/// A card's columns besides its key, in the order `save_cards_on` writes them.
const CARD_COLUMNS: [review_card::Column; 11] = [
    review_card::Column::Due,
    review_card::Column::Stability,
    review_card::Column::Difficulty,
    review_card::Column::IntervalDays,
    review_card::Column::Reps,
    review_card::Column::Lapses,
    review_card::Column::State,
    review_card::Column::LastReview,
    review_card::Column::LastRating,
    review_card::Column::LastInReview,
    review_card::Column::Version,
];

/// Stores each change whose card is still at its expected version, in one statement (an upsert
/// whose update is conditional on the version); returns the question ids of those stored.
pub(crate) async fn save_cards_on(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    changes: &[CardChange],
) -> Result<Vec<Uuid>, PersistenceError> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let mut insert = Query::insert();
    insert.into_table(review_card::Entity).columns(
        [review_card::Column::UserId, review_card::Column::QuestionId]
            .into_iter()
            .chain(CARD_COLUMNS),
    );
    for change @ CardChange { question_id, card, .. } in changes {
        insert
            .values([
                user_id.into(),
                (*question_id).into(),
                card.due.into(),
                card.stability.into(),
                card.difficulty.into(),
                count(card.interval_days)?.into(),
                count(card.reps)?.into(),
                count(card.lapses)?.into(),
                card.state.code().into(),
                card.last_review.into(),
                card.last_rating.code().into(),
                (card.last_answered == Answered::InReview).into(),
                change.stored_version().into(),
            ])
            .map_err(|e| corrupt(e.to_string()))?;
    }
    // A new card (version 1) never overwrites one that exists meanwhile; a changed one only
    // the version it was computed from.
    let stored_version = Expr::col((review_card::Entity, review_card::Column::Version));
    let wanted_version = Expr::col((Alias::new("excluded"), review_card::Column::Version));
    insert
        .on_conflict(
            OnConflict::columns([review_card::Column::UserId, review_card::Column::QuestionId])
                .update_columns(CARD_COLUMNS)
                .action_and_where(stored_version.add(1).eq(wanted_version))
                .to_owned(),
        )
        .returning_col(review_card::Column::QuestionId);
    conn.query_all(&insert)
        .await?
        .iter()
        .map(|row| row.try_get::<Uuid>("", "question_id").map_err(PersistenceError::from))
        .collect()
}

impl Database {
    /// Every card of a learner (at most one per question of the course).
    pub async fn review_cards(&self, user_id: Uuid) -> Result<Vec<StoredCard>, PersistenceError> {
        review_card::Entity::find()
            .filter(review_card::Column::UserId.eq(user_id))
            .all(&self.conn)
            .await?
            .into_iter()
            .map(StoredCard::try_from)
            .collect()
    }

    /// The learner's cards for these questions (those that exist).
    pub async fn review_cards_of(
        &self,
        user_id: Uuid,
        question_ids: &[Uuid],
    ) -> Result<Vec<StoredCard>, PersistenceError> {
        review_card::Entity::find()
            .filter(review_card::Column::UserId.eq(user_id))
            .filter(review_card::Column::QuestionId.is_in(question_ids.iter().copied()))
            .all(&self.conn)
            .await?
            .into_iter()
            .map(StoredCard::try_from)
            .collect()
    }

    /// Stores each change whose card is still at its expected version, in one statement;
    /// returns the question ids of those stored. The others were changed meanwhile: read them
    /// again and retry.
    pub async fn save_cards(
        &self,
        user_id: Uuid,
        changes: &[CardChange],
    ) -> Result<Vec<Uuid>, PersistenceError> {
        save_cards_on(&self.conn, user_id, changes).await
    }

    /// The learner's review made with this `review_id`, if any.
    pub async fn find_review(
        &self,
        user_id: Uuid,
        review_id: &str,
    ) -> Result<Option<ReviewRecord>, PersistenceError> {
        review::Entity::find()
            .filter(review::Column::UserId.eq(user_id))
            .filter(review::Column::ReviewId.eq(review_id))
            .one(&self.conn)
            .await?
            .map(ReviewRecord::try_from)
            .transpose()
    }

    /// Stores a review and its card change in one transaction. A `review_id` seen before
    /// returns the review that used it, and changes nothing.
    pub async fn record_review(&self, new: &NewReview) -> Result<ReviewOutcome, PersistenceError> {
        let record = ReviewRecord {
            id: Uuid::new_v4(),
            question_id: new.change.question_id,
            review_id: new.review_id.clone(),
            answer: new.answer.clone(),
            correct: new.correct,
            rating: new.change.card.last_rating,
            reviewed_at: new.change.card.last_review,
            next_due: new.change.card.due,
        };
        let txn = self.conn.begin().await?;
        let inserted = review::Entity::insert(review::ActiveModel {
            id: Set(record.id),
            user_id: Set(new.user_id),
            question_id: Set(record.question_id),
            review_id: Set(record.review_id.clone()),
            answer: Set(serde_json::to_string(&record.answer).map_err(corrupt)?),
            correct: Set(record.correct),
            rating: Set(record.rating.code()),
            reviewed_at: Set(record.reviewed_at),
            next_due: Set(record.next_due),
        })
        .exec(&txn)
        .await
        .map_err(PersistenceError::from);
        match inserted {
            Ok(_) => {}
            Err(PersistenceError::Conflict(_)) if new.review_id.is_some() => {
                txn.rollback().await?;
                let first = match &new.review_id {
                    Some(review_id) => self.find_review(new.user_id, review_id).await?,
                    None => None,
                };
                // Gone again between the two statements (its user deleted): a plain conflict.
                return first
                    .map(ReviewOutcome::AlreadyRecorded)
                    .ok_or_else(|| PersistenceError::Conflict("review_id".into()));
            }
            Err(other) => return Err(other),
        }
        if save_cards_on(&txn, new.user_id, std::slice::from_ref(&new.change)).await?.is_empty() {
            txn.rollback().await?;
            return Ok(ReviewOutcome::CardChanged);
        }
        txn.commit().await?;
        Ok(ReviewOutcome::Recorded(record))
    }
}
