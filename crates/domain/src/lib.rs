//! Pure rules of Course Companion.
//!
//! What lives here: the course package model (manifest, chapters with front matter, quizzes),
//! its validation with `file:line` diagnostics, content hashing, chapter references, and the
//! account and freemium rules (tiers, roles, passwords, timezones), quiz grading, spaced review
//! scheduling (FSRS in the learner's own days), daily streaks and progress math,
//! and what text a request may carry.
//! What does not: any I/O, async, HTTP (actix) or database (sea-orm) code. The crates above
//! read files, talk to stores and databases, and hand plain values to these functions.

pub mod access;
pub mod account;
pub mod chapter;
pub mod grading;
pub mod oauth;
pub mod package;
pub mod progress;
pub mod quiz;
pub mod review;
pub mod source;
pub mod streak;
pub mod text;

pub use access::{AccessDecision, AccessPolicy, Resource, Role, Tier};
pub use account::{Email, Password, TimeZone};
pub use chapter::{
    ChapterRef, ChapterSource, ContentHash, Difficulty, InvalidChapterRef, parse_id,
};
pub use grading::{AnswerProblem, Grade, GradedQuestion, QuestionOutcome, Submitted, grade};
pub use package::{CourseManifest, CoursePackage};
pub use quiz::{Answer, Question, QuestionKind, QuizSource, RevealAnswers};
pub use source::{PackageError, SourceFile};
pub use streak::{CheckIn, Streak};
pub use text::{TextKind, check_text};
