//! What signing up and signing in share between the API routes and the OAuth pages: the
//! sign-up request, its parsing into the application's `NewAccount`, and the sign-in metric.

use app::{AppError, NewAccount};
use domain::{Email, Password, TimeZone};
use paperclip::actix::Apiv2Schema;
use serde::Deserialize;
use serde_json::json;
use validator::{Validate, ValidationError};

use crate::dto::{ANY, check_line, check_multiline, email_field, rule, timezone_field};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::openapi::RequestBody;

fn check_email(email: &str) -> Result<(), ValidationError> {
    Email::parse(email).map(|_| ()).map_err(|message| rule("email", message))
}

fn check_password(password: &str) -> Result<(), ValidationError> {
    Password::parse(password.to_owned()).map(|_| ()).map_err(|message| rule("password", message))
}

pub(crate) fn check_timezone(timezone: &str) -> Result<(), ValidationError> {
    TimeZone::parse(timezone).map(|_| ()).map_err(|message| rule("timezone", message))
}

/// A new account.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[validate(custom(function = "check_email"))]
    pub email: String,
    /// 8–72 bytes with at least one letter and one digit.
    #[validate(custom(function = "check_password"))]
    pub password: String,
    #[validate(
        length(max = 100, message = "must be at most 100 characters"),
        custom(function = "check_line")
    )]
    pub name: Option<String>,
    /// IANA timezone for daily streaks, e.g. `Europe/Lisbon`; default `UTC`.
    #[validate(custom(function = "check_timezone"))]
    pub timezone: Option<String>,
    /// Free text the tutor reads to personalise, e.g. "backend developer, new to ML".
    #[validate(
        length(max = 500, message = "must be at most 500 characters"),
        custom(function = "check_multiline")
    )]
    pub background: Option<String>,
}

/// The account a sign-up request asks for, its values parsed (the API's and the OAuth
/// sign-up page's path): a free learner.
pub(crate) fn new_account(request: RegisterRequest) -> Result<NewAccount, ApiError> {
    request.validate().map_err(|errors| ApiError::from_validation(&errors))?;
    let invalid = |field: &'static str| move |problem: String| ApiError::validation(field, problem);
    let mut account = NewAccount::learner(
        Email::parse(&request.email).map_err(invalid("email"))?,
        Password::parse(request.password).map_err(invalid("password"))?,
    );
    account.name = request.name.unwrap_or_default();
    account.background = request.background.unwrap_or_default();
    if let Some(zone) = request.timezone {
        account.timezone = TimeZone::parse(&zone).map_err(invalid("timezone"))?;
    }
    Ok(account)
}

/// Counts a password sign-in's outcome.
pub(crate) fn count_login<T>(metrics: &Metrics, result: &Result<T, AppError>) {
    match result {
        Ok(_) => metrics.login("succeeded"),
        Err(AppError::RateLimited { .. }) => metrics.login("throttled"),
        Err(AppError::InvalidCredentials) => metrics.login("rejected"),
        Err(_) => {}
    }
}

/// The sign-up body's limits, for the OpenAPI document.
pub(crate) fn request_body() -> RequestBody {
    let password = json!({ "minLength": 8, "maxLength": 72,
        // `[^\W\d_]`: a letter in any script, as Rust's `char::is_alphabetic` and Python's
        // `re` read it.
        "pattern": format!(r"^(?=.*[^\W\d_])(?=.*[0-9]){ANY}*$"), "example": "correct horse 1",
        "description": "8–72 bytes with at least one letter and one digit." });
    RequestBody {
        schema: "RegisterRequest",
        fields: vec![
            ("email", email_field()),
            ("password", password),
            ("name", json!({ "maxLength": 100 })),
            ("timezone", timezone_field()),
            ("background", json!({ "maxLength": 500 })),
        ],
        free_text: &["background"],
    }
}
