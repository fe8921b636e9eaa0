//! The HTTP door of Course Companion.
//!
//! What lives here: Actix routes (each calls one `app` service method), their request and
//! response DTOs, the JSON error body and the one mapping of `AppError` to HTTP statuses, the
//! `Caller` extractor, ETags, rate limits per address and learner, request ids, access logs
//! and metrics, the OAuth pages and protocol responses, the OpenAPI document, and
//! [`Application`], which binds a listener and serves.
//! What does not: use cases and their rules (crate `app`), pure rules (crate `domain`),
//! configuration files and process start-up (crate `server`).

pub mod auth;
mod bearer;
mod client_ip;
mod docs;
mod dto;
mod error;
mod metrics;
mod oauth;
mod openapi;
mod rate_limit;
mod request_context;
mod request_id;
mod responders;
mod routes;
mod sign_up;
mod startup;
mod state;

pub use client_ip::{InvalidProxy, ProxyHeader, TrustedProxies, UnknownProxyHeader};
pub use error::{ApiError, ErrorBody};
pub use metrics::Metrics;
pub use rate_limit::{RateLimitSettings, RateLimits};
pub use request_id::current_request_id;
pub use startup::{Application, JSON_BODY_LIMIT, OtherDoors, ServeOptions};
pub use state::{ApiSettings, AppState};
