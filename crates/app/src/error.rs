//! What a use case can answer instead of its result. Doors map it to their own vocabulary
//! (HTTP statuses, MCP tool errors, CLI messages) in one place each.

use std::time::Duration;

use persistence::PersistenceError;
use storage::StoreError;

/// Every way a use case can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    /// Input that breaks a rule: `details` names the fields (`{"fields": {name: [why]}}`) or
    /// the questions (`{"questions": {id: why}}`) at fault.
    #[error("{message}")]
    Invalid { message: String, details: serde_json::Value },
    /// No credential, or one that does not verify.
    #[error("{0}")]
    Unauthorized(String),
    /// Wrong email or password (the same answer for both).
    #[error("The email or password is wrong.")]
    InvalidCredentials,
    /// Authenticated, but not allowed (another user's data, an admin action).
    #[error("{0}")]
    Forbidden(String),
    /// The learner's tier does not open this resource.
    #[error("This needs the {required_tier} tier.")]
    UpgradeRequired { required_tier: domain::Tier, upgrade_url: String },
    /// A unique value is taken or a limit is reached, e.g. `email_taken`.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// Too many attempts; allowed again after `retry_after`.
    #[error("Too many requests; retry in {} s.", retry_after_secs(*.retry_after))]
    RateLimited { retry_after: Duration },
    /// A dependency (database, content store, hashing queue) cannot answer now; retry.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or a corrupt stored value: logged by the door, never shown.
    #[error("{0}")]
    Internal(String),
}

/// Whole seconds to wait: rounded up, so a client that waits that long is let in, and never
/// 0, which clients read as "retry at once".
pub fn retry_after_secs(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

impl AppError {
    /// One field breaks a rule.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Invalid { details: serde_json::json!({ "fields": { field: [message] } }), message }
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::Internal(message.to_string())
    }
}

impl From<PersistenceError> for AppError {
    fn from(error: PersistenceError) -> Self {
        match error {
            PersistenceError::Unavailable(cause) => {
                log::warn!("database unavailable: {cause}");
                Self::Unavailable("The database is unavailable; try again shortly.".into())
            }
            PersistenceError::Busy => {
                Self::Unavailable("The database is busy; try again shortly.".into())
            }
            // A backstop: the doors refuse such values first.
            PersistenceError::InvalidValue(cause) => {
                log::warn!("database refused a value: {cause}");
                Self::invalid("request", "contains a value that cannot be stored")
            }
            other => Self::internal(other),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) => {
                log::warn!("content store unavailable: {cause}");
                Self::Unavailable("The content store is unavailable; try again shortly.".into())
            }
            // A chapter row whose body is missing, or a bad store config: our fault.
            other => Self::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1_000)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1_001)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(5_999)), 6);
    }

    #[test]
    fn a_value_the_database_cannot_store_is_invalid_input_not_an_outage() {
        let error = AppError::from(PersistenceError::InvalidValue("22021: NUL".into()));
        assert!(matches!(error, AppError::Invalid { .. }), "{error:?}");
    }
}
