use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use app::AppError;
use paperclip::actix::Apiv2Schema;
use paperclip::v2::schema::Apiv2Errors;
use serde::Serialize;

use crate::request_id::current_request_id;

/// The one error body of the API: `{"error", "message", "details"?}`.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ErrorBody {
    /// Machine-readable snake_case code, e.g. `not_found`.
    pub error: String,
    /// For a human.
    pub message: String,
    /// Extra context: failing fields of a 422, the request id of a 500.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// Every way a request can fail, and the status it maps to.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    BadRequest { message: String },
    #[error("{message}")]
    Validation { message: String, details: serde_json::Value },
    /// No token, or one that does not verify.
    #[error("{0}")]
    Unauthorized(String),
    /// Wrong email or password (the same answer for both).
    #[error("The email or password is wrong.")]
    InvalidCredentials,
    /// Authenticated, but not allowed (another user's data, an admin route).
    #[error("{0}")]
    Forbidden(String),
    /// The caller's tier does not open this resource.
    #[error("This needs the {required_tier} tier.")]
    UpgradeRequired { required_tier: domain::Tier, upgrade_url: String },
    /// A unique value is taken, e.g. `email_taken`.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The body is larger than the route accepts.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Too many requests from this learner or address; retry after that many seconds.
    #[error("Too many requests; retry in {retry_after_secs} s.")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency (database, content store) is down; clients may retry.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or a corrupt stored value. The message is logged, never sent; `id` is the
    /// request id, in the log line and the response.
    #[error("internal error {id}: {message}")]
    Internal { id: String, message: String },
}

impl ApiError {
    /// 429 with the wait until the limit lets the client in again.
    pub fn rate_limited(wait: Duration) -> Self {
        Self::RateLimited { retry_after_secs: app::retry_after_secs(wait) }
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        let id = current_request_id()
            .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), |id| id.to_string());
        let message = message.to_string();
        log::error!("request {id} failed: {message}");
        Self::Internal { id, message }
    }

    /// A 422 from validator's report; field names are the JSON names (our DTO fields are not
    /// renamed, so validator's Rust names and serde's names agree).
    pub fn from_validation(errors: &validator::ValidationErrors) -> Self {
        let mut fields = serde_json::Map::new();
        for (field, problems) in errors.field_errors() {
            let messages: Vec<String> = problems
                .iter()
                .map(|problem| {
                    problem
                        .message
                        .as_deref()
                        .map_or_else(|| problem.code.to_string(), str::to_owned)
                })
                .collect();
            fields.insert(field.to_string(), serde_json::json!(messages));
        }
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        let message = format!("Invalid field(s): {}.", names.join(", "));
        Self::Validation { message, details: serde_json::json!({ "fields": fields }) }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Validation { details: serde_json::json!({ "fields": { field: [message] } }), message }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::BadRequest { .. } => "bad_request",
            Self::Validation { .. } => "validation_failed",
            Self::Unauthorized(_) => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden(_) => "forbidden",
            Self::UpgradeRequired { .. } => "upgrade_required",
            Self::Conflict { code, .. } => code,
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "service_unavailable",
            Self::Internal { .. } => "internal_error",
        }
    }

    pub fn body(&self) -> ErrorBody {
        let (message, details) = match self {
            Self::Validation { message, details } => (message.clone(), Some(details.clone())),
            Self::UpgradeRequired { required_tier, upgrade_url } => (
                self.to_string(),
                Some(serde_json::json!({
                    "required_tier": required_tier.as_str(),
                    "upgrade_url": upgrade_url,
                })),
            ),
            Self::RateLimited { retry_after_secs } => (
                self.to_string(),
                Some(serde_json::json!({ "retry_after_secs": retry_after_secs })),
            ),
            Self::Internal { id, .. } => (
                "Something went wrong on our side; quote the request id when reporting it."
                    .to_owned(),
                Some(serde_json::json!({ "request_id": id })),
            ),
            other => (other.to_string(), None),
        };
        ErrorBody { error: self.code().to_owned(), message, details }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::UpgradeRequired { .. } => StatusCode::FORBIDDEN,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::Unavailable(_) => {
                response.insert_header(("Retry-After", "5"));
            }
            Self::RateLimited { retry_after_secs } => {
                response.insert_header(("Retry-After", retry_after_secs.to_string()));
            }
            Self::Unauthorized(_) | Self::InvalidCredentials => {
                response.insert_header(("WWW-Authenticate", "Bearer"));
            }
            _ => {}
        }
        response.json(self.body())
    }
}

// The OpenAPI issue declares per-operation error codes; until then errors are undocumented.
impl Apiv2Errors for ApiError {}

/// The one place a use case's answer becomes an HTTP answer.
impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotFound(message) => Self::NotFound(message),
            AppError::Invalid { message, details } => Self::Validation { message, details },
            AppError::Unauthorized(message) => Self::Unauthorized(message),
            AppError::InvalidCredentials => Self::InvalidCredentials,
            AppError::Forbidden(message) => Self::Forbidden(message),
            AppError::UpgradeRequired { required_tier, upgrade_url } => {
                Self::UpgradeRequired { required_tier, upgrade_url }
            }
            AppError::Conflict { code, message } => Self::Conflict { code, message },
            AppError::RateLimited { retry_after } => Self::rate_limited(retry_after),
            AppError::Unavailable(message) => Self::Unavailable(message),
            AppError::Internal(message) => Self::internal(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_the_database_cannot_store_is_a_422_not_a_503() {
        let error =
            ApiError::from(AppError::invalid("request", "contains a value that cannot be stored"));
        assert_eq!(error.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error.body().error, "validation_failed");
    }
}
