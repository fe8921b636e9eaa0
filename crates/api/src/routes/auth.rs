//! Registration, login and the caller's own profile.

use chrono::{DateTime, Utc};
use domain::account;
use paperclip::actix::web::{Data, Json};
use paperclip::actix::{Apiv2Schema, CreatedJson, api_v2_operation};
use persistence::{NewUser, PersistenceError, ProfileChanges, UserRecord};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::auth::Caller;
use crate::dto::{RoleName, TierName, check_line, check_multiline, rule};
use crate::{ApiError, AppState};

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
            email: user.email,
            name: user.name,
            timezone: user.timezone,
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

fn signed_in(state: &AppState, user: UserRecord) -> Result<AuthResponse, ApiError> {
    let issued = state.auth.tokens.issue(user.id)?;
    Ok(AuthResponse {
        access_token: issued.token,
        token_type: "bearer".into(),
        expires_in: issued.expires_in,
        user: user.into(),
    })
}

/// Create an account
///
/// Registers a learner (free tier) and returns a bearer token. A taken email is 409.
#[api_v2_operation(operation_id = "register", tags(Auth))]
pub async fn register(
    state: Data<AppState>,
    body: Json<RegisterRequest>,
) -> Result<CreatedJson<AuthResponse>, ApiError> {
    let created = create_account(&state, body.into_inner()).await?;
    Ok(CreatedJson(signed_in(&state, created)?))
}

/// Validates and stores a new free learner (the API's and the OAuth sign-up page's path).
pub(crate) async fn create_account(
    state: &AppState,
    request: RegisterRequest,
) -> Result<UserRecord, ApiError> {
    request.validate().map_err(|errors| ApiError::from_validation(&errors))?;
    let password_hash = state.auth.passwords.hash(request.password).await?;
    state
        .db
        .create_user(NewUser {
            email: account::normalize_email(&request.email),
            password_hash,
            name: request.name.unwrap_or_default().trim().to_owned(),
            timezone: request.timezone.unwrap_or_else(|| "UTC".into()),
            background: request.background.unwrap_or_default(),
            tier: domain::Tier::Free,
            role: domain::Role::Student,
        })
        .await
        .map_err(|error| match error {
            PersistenceError::Conflict(_) => ApiError::Conflict {
                code: "email_taken",
                message: "An account with this email already exists.".into(),
            },
            other => other.into(),
        })
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
    let user = check_credentials(&state, &request.email, request.password).await?;
    Ok(Json(signed_in(&state, user)?))
}

/// The account these credentials open, with its login recorded; the same answer, in about
/// the same time, for an unknown email and a wrong password. Text no account can have (a
/// control character) is a 422 before any lookup. An email with too many recent attempts that
/// did not succeed is refused (429) before anything is looked up, alike for known and unknown
/// emails.
pub(crate) async fn check_credentials(
    state: &AppState,
    email: &str,
    password: String,
) -> Result<UserRecord, ApiError> {
    for (field, text) in [("email", email), ("password", password.as_str())] {
        domain::check_text(text, domain::TextKind::Line)
            .map_err(|message| ApiError::validation(field, message))?;
    }
    let attempt =
        state.auth.failed_logins.begin(&account::normalize_email(email)).map_err(|wait| {
            state.metrics.login("throttled");
            ApiError::rate_limited(wait)
        })?;
    let user = state.db.find_user_by_email(email).await?;
    let hash = user.as_ref().map(|user| user.password_hash.clone());
    let verified = state.auth.passwords.verify(password, hash).await?;
    let Some(mut user) = user.filter(|_| verified) else {
        state.metrics.login("rejected");
        return Err(ApiError::InvalidCredentials);
    };
    attempt.succeeded();
    state.metrics.login("succeeded");
    let now = Utc::now();
    state.db.record_login(user.id, now).await?;
    user.last_login = Some(now);
    Ok(user)
}

/// Read my profile
///
/// The caller's profile: name, timezone, background, preferences, tier and role.
#[api_v2_operation(operation_id = "getMe", tags(Profile))]
pub async fn get_me(state: Data<AppState>, caller: Caller) -> Result<Json<UserProfile>, ApiError> {
    let user = state
        .db
        .find_user(caller.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("No such user.".into()))?;
    Ok(Json(user.into()))
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
    let changes = ProfileChanges {
        name: request.name.map(|name| name.trim().to_owned()),
        timezone: request.timezone,
        background: request.background,
        preferences: request.preferences.map(|value| value.to_string()),
    };
    let user = state
        .db
        .update_profile(caller.id, changes)
        .await?
        .ok_or_else(|| ApiError::NotFound("No such user.".into()))?;
    // A new timezone applies to the learner's very next check-in on this replica.
    state.auth.access.forget(caller.id);
    Ok(Json(user.into()))
}
