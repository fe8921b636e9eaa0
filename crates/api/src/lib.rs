//! The HTTP layer of Course Companion.
//!
//! What lives here: Actix handlers and their request/response DTOs, the JSON error body and
//! the mapping of lower-layer errors to HTTP statuses, authentication (JWT, bcrypt, the
//! caller extractor), ETag handling, the OpenAPI document, rate limits, request ids, access
//! logs and metrics, and [`Application`], which binds a listener and serves.
//! What does not: business rules (crate `domain`), SQL (crate `persistence`), store backends
//! (crate `storage`), configuration files and process start-up (crate `server`).

pub mod activity;
pub mod auth;
mod catalog;
mod client_ip;
mod docs;
mod dto;
mod error;
mod expiring;
mod health_cache;
mod metrics;
pub mod oauth;
mod openapi;
mod rate_limit;
mod request_context;
mod responders;
mod routes;
pub mod search_index;
mod startup;
mod state;

pub use catalog::{ChapterCatalog, QuizCatalog};
pub use client_ip::{InvalidProxy, ProxyHeader, TrustedProxies, UnknownProxyHeader};
pub use error::{ApiError, ErrorBody};
pub use health_cache::HealthCache;
pub use metrics::Metrics;
pub use rate_limit::{RateLimitSettings, RateLimits};
pub use request_context::current_request_id;
pub use startup::{Application, JSON_BODY_LIMIT, ServeOptions};
pub use state::{ApiSettings, AppState};
