//! Registration, login and the caller's own profile.

use app::{AppError, NewAccount, ProfileUpdate, SignedIn, UserRecord};
use chrono::{DateTime, Utc};
use domain::{Email, Password, TimeZone, account};
use paperclip::actix::web::{Data, Json};
use paperclip::actix::{Apiv2Schema, CreatedJson, api_v2_operation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::auth::Caller;
use crate::dto::{RoleName, TierName, check_line, check_multiline, rule};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::state::AppState;

fn check_email(email: &str) -> Result<(), ValidationError> {
    account::validate_email(email).map_err(|message| rule("email", message))
}

fn check_password(password: &str) -> Result<(), ValidationError> {
    account::validate_password(password).map_err(|message| rule("password", message))
}

fn check_timezone(timezone: &str) -> Result<(), ValidationError> {
    account::parse_timezone(timezone).map(|_| ()).map_err(|message| rule("timezone", message))
}

fn check_preferences(preferences: &serde_json::Value) -> Result<(), ValidationError> {
    if !preferences.is_object() {
        return Err(rule("preferences", "must be a JSON object".into()));
    }
    if preferences.to_string().len() > account::PREFERENCES_MAX_BYTES {
        return Err(rule(
            "preferences",
            format!("must be at most {} bytes", account::PREFERENCES_MAX_BYTES),
        ));
    }
    Ok(())
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

/// Email and password.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Profile fields to change; omitted fields stay as they are. Tier and role cannot be
/// changed here.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfileRequest {
    #[validate(
        length(max = 100, message = "must be at most 100 characters"),
        custom(function = "check_line")
    )]
    pub name: Option<String>,
    #[validate(custom(function = "check_timezone"))]
    pub timezone: Option<String>,
    #[validate(
        length(max = 500, message = "must be at most 500 characters"),
        custom(function = "check_multiline")
    )]
    pub background: Option<String>,
    /// A JSON object of at most 4 KiB.
    #[validate(custom(function = "check_preferences"))]
    pub preferences: Option<serde_json::Value>,
}

/// A user's profile. Never includes the password hash.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct UserProfile {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub timezone: String,
    pub background: String,
    /// A JSON object.
    pub preferences: serde_json::Value,
    pub tier: TierName,
    pub role: RoleName,
    pub created_at: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
}

impl From<UserRecord> for UserProfile {
    fn from(user: UserRecord) -> Self {
        Self {
            id: user.id,
            preferences: serde_json::from_str(&user.preferences)
                .unwrap_or_else(|_| serde_json::json!({})),
            email: user.email.to_string(),
            name: user.name,
            timezone: user.timezone.name().to_owned(),
            background: user.background,
            tier: user.tier.into(),
            role: user.role.into(),
            created_at: user.created_at,
            last_login: user.last_login,
        }
    }
}

/// A signed-in session: the bearer token and who it belongs to.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct AuthResponse {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
    pub user: UserProfile,
}

fn signed_in(signed: SignedIn) -> AuthResponse {
    AuthResponse {
        access_token: signed.token.token,
        token_type: "bearer".into(),
        expires_in: signed.token.expires_in,
        user: signed.user.into(),
    }
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

/// Create an account
///
/// Registers a learner (free tier) and returns a bearer token. A taken email is 409.
#[api_v2_operation(operation_id = "register", tags(Auth))]
pub async fn register(
    state: Data<AppState>,
    body: Json<RegisterRequest>,
) -> Result<CreatedJson<AuthResponse>, ApiError> {
    let account = new_account(body.into_inner())?;
    Ok(CreatedJson(signed_in(state.app.accounts().register(account).await?)))
}

/// Sign in
///
/// Exchanges email and password for a bearer token. A wrong email or password is 401.
#[api_v2_operation(operation_id = "login", tags(Auth))]
pub async fn login(
    state: Data<AppState>,
    body: Json<LoginRequest>,
) -> Result<Json<AuthResponse>, ApiError> {
    let request = body.into_inner();
    let result = state.app.accounts().login(&request.email, request.password).await;
    count_login(&state.metrics, &result);
    Ok(Json(signed_in(result?)))
}

/// Read my profile
///
/// The caller's profile: name, timezone, background, preferences, tier and role.
#[api_v2_operation(operation_id = "getMe", tags(Profile))]
pub async fn get_me(state: Data<AppState>, caller: Caller) -> Result<Json<UserProfile>, ApiError> {
    Ok(Json(state.app.accounts().profile(&caller).await?.into()))
}

/// Update my profile
///
/// Changes name, timezone, background or preferences. Tier and role cannot be changed here.
#[api_v2_operation(operation_id = "updateMe", tags(Profile))]
pub async fn update_me(
    state: Data<AppState>,
    caller: Caller,
    body: Json<UpdateProfileRequest>,
) -> Result<Json<UserProfile>, ApiError> {
    let request = body.into_inner();
    request.validate().map_err(|errors| ApiError::from_validation(&errors))?;
    let timezone = request
        .timezone
        .map(|zone| TimeZone::parse(&zone))
        .transpose()
        .map_err(|problem| ApiError::validation("timezone", problem))?;
    let update = ProfileUpdate {
        name: request.name,
        timezone,
        background: request.background,
        preferences: request.preferences,
    };
    Ok(Json(state.app.accounts().update_profile(&caller, update).await?.into()))
}
