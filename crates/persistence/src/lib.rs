//! Persistence of Course Companion: SeaORM entities and the repository methods on [`Database`].
//!
//! What lives here: connecting (SQLite or PostgreSQL), running migrations, queries and
//! transactions, and mapping database failures to [`PersistenceError`] (outages become
//! `Unavailable`, constraint violations become `Conflict`). Knows domain types.
//! What does not: HTTP, the content store, reading files.

mod chapters;
mod course_sync;
mod database;
pub mod entity;
mod error;
mod oauth;
mod progress;
mod quizzes;
mod review;
mod users;

pub use chapters::ChapterRecord;
pub use course_sync::{StoredBody, SyncReport};
pub use database::{Database, PoolOptions, PoolUsage};
pub use error::PersistenceError;
pub use oauth::{ClientRecord, CodeRecord, CodeRedemption, Grant, NewCode, Rotation};
pub use progress::{LearnerState, StoredStreak};
pub use quizzes::{
    AttemptHistory, AttemptOutcome, AttemptRecord, NewAttempt, QuizStanding, StoredAnswers,
    StoredQuestion, StoredQuiz,
};
pub use review::{CardChange, NewReview, ReviewOutcome, ReviewRecord, StoredCard};
pub use users::{NewUser, ProfileChanges, TierChange, UserAccess, UserRecord};
