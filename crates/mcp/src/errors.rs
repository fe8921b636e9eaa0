//! `AppError` → a tool result with `isError: true`, carrying the same error code, message and
//! details as the REST door's error body, so an assistant reads one vocabulary at both doors.

use app::AppError;
use rmcp::model::CallToolResult;
use serde_json::{Value, json};

/// The REST error body's code for an application error.
fn code(error: &AppError) -> &'static str {
    match error {
        AppError::NotFound(_) => "not_found",
        AppError::Invalid { .. } => "validation_failed",
        AppError::Unauthorized(_) => "unauthorized",
        AppError::InvalidCredentials => "invalid_credentials",
        AppError::Forbidden(_) => "forbidden",
        AppError::UpgradeRequired { .. } => "upgrade_required",
        AppError::Conflict { code, .. } => code,
        AppError::RateLimited { .. } => "rate_limited",
        AppError::Unavailable(_) => "service_unavailable",
        AppError::Internal(_) => "internal_error",
    }
}

/// The error as a tool result: `{error, message, details?}` as structured content.
pub(crate) fn tool_error(error: AppError) -> CallToolResult {
    let details: Option<Value> = match &error {
        AppError::Invalid { details, .. } => Some(details.clone()),
        AppError::UpgradeRequired { required_tier, upgrade_url } => Some(json!({
            "required_tier": required_tier.as_str(),
            "upgrade_url": upgrade_url,
        })),
        AppError::RateLimited { retry_after } => {
            Some(json!({ "retry_after_secs": app::retry_after_secs(*retry_after) }))
        }
        _ => None,
    };
    let message = match &error {
        AppError::Internal(cause) => {
            log::error!("MCP tool failed: {cause}");
            "Something went wrong on our side; try again.".to_owned()
        }
        other => other.to_string(),
    };
    let mut body = serde_json::Map::new();
    body.insert("error".into(), json!(code(&error)));
    body.insert("message".into(), json!(message));
    if let Some(details) = details {
        body.insert("details".into(), details);
    }
    CallToolResult::structured_error(Value::Object(body))
}
