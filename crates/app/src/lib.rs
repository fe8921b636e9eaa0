//! The application layer of Course Companion: every use case, once, for every door.
//!
//! What lives here: one service per concern ([`Accounts`], [`Course`], [`Quizzes`],
//! [`Progress`], [`Review`], [`Plan`], [`Search`], [`Access`], [`Authorization`], [`Health`]), each use case a
//! method on it; the caches they need (catalogs, access and revocation caches, deferred
//! activity, the search index) and their background jobs; [`App::build`], which assembles
//! all of it from [`AppSettings`]; and [`AppError`], what a use case answers instead of its
//! result.
//! What does not: HTTP, MCP or CLI concerns (status codes, request ids, DTOs, pages, rate
//! limits per address — the doors), SQL (crate `persistence`), store backends (crate
//! `storage`), ranking (crate `search`), pure rules (crate `domain`).

mod access;
mod accounts;
mod activity;
mod answers;
mod application;
mod auth;
mod authorization;
mod catalog;
mod client_documents;
mod core;
mod course;
mod error;
mod expiring;
mod health;
mod input;
mod oauth_protocol;
mod plan;
mod probe_cache;
mod progress;
mod quizzes;
mod review;
mod search;
mod settings;

pub use access::{Access, AccessCheck};
pub use accounts::{Accounts, NewAccount, ProfileUpdate, SignedIn};
pub use activity::Activity;
pub use application::{App, BackgroundJobs, BuildError};
pub use auth::{Caller, IssuedToken, Subject, Tokens, UserRef};
pub use authorization::{
    Authorization, AuthorizationRequest, ClientAuthMethod, ClientMetadata, NewClient, NextStep,
    OAuthError, Refusal, RegisteredClient, TokenRequest, Tokens as OAuthTokens, ValidRequest,
    random_secret,
};
pub use catalog::RenderedPage;
pub use course::{ChapterContent, Course};
pub use error::{AppError, retry_after_secs};
pub use health::{Health, Readings};
pub use plan::{FailedQuiz, NextAction, NextReason, Plan, Recommendation};
pub use probe_cache::Probe;
pub use progress::{Progress, ProgressReport, StreakStatus};
pub use quizzes::{ListedQuiz, Quizzes, Submission};
pub use review::{Review, ReviewAnswer, ReviewItem, ReviewQueue};
pub use search::{Search, SearchItem, SearchResults};
pub use settings::{AppSettings, AuthSettings, DatabaseSettings, OAuthSettings, StorageSettings};

// The records and values use cases return and take, named here so that doors need no
// dependency on the crates that define them.
pub use ::search::{Hit, LockedChapter};
pub use domain::ChapterSource;
pub use importer::{ImportError, ImportProgress, Silent, read_package};
pub use persistence::{
    AttemptHistory, AttemptRecord, ChapterRecord, ClientRecord, PoolOptions, StoredQuestion,
    StoredQuiz, SyncReport, TierChange, UserRecord,
};
pub use storage::{ContentBackend, S3Settings};
