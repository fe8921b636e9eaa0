//! The HTTP layer of Course Companion.
//!
//! What lives here: Actix handlers and their request/response DTOs, the JSON error body and
//! the mapping of lower-layer errors to HTTP statuses, authentication (JWT, bcrypt, the
//! caller extractor), ETag handling, the OpenAPI document, and [`Application`], which binds a
//! listener and serves.
//! What does not: business rules (crate `domain`), SQL (crate `persistence`), store backends
//! (crate `storage`), configuration files and process start-up (crate `server`).

pub mod activity;
pub mod auth;
mod catalog;
mod dto;
mod error;
mod expiring;
mod openapi;
mod responders;
mod routes;
pub mod search_index;
mod startup;
mod state;

pub use catalog::{ChapterCatalog, QuizCatalog};
pub use error::{ApiError, ErrorBody};
pub use startup::Application;
pub use state::{ApiSettings, AppState};
