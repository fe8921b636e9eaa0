//! Registration, login and the caller's own profile.

use app::{ProfileUpdate, SignedIn, UserRecord};
use chrono::{DateTime, Utc};
use domain::{TimeZone, account};
use paperclip::actix::web::{Data, Json};
use paperclip::actix::{Apiv2Schema, CreatedJson, api_v2_operation};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;
use validator::{Validate, ValidationError};
use views::TierName;

use crate::auth::Caller;
use crate::dto::{RoleName, check_line, check_multiline, email_field, rule, timezone_field};
use crate::error::ApiError;
use crate::openapi::{Facts, Operation, RequestBody};
use crate::sign_up::{self, RegisterRequest, check_timezone, count_login, new_account};
use crate::state::AppState;

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

pub(super) fn facts() -> Facts {
    let name = json!({ "maxLength": 100 });
    Facts {
        operations: vec![
            Operation {
                consequential: true,
                errors: &[409],
                request_example: Some(json!({ "email": "ada@example.com",
                    "password": "correct horse 1", "name": "Ada", "timezone": "Europe/Lisbon",
                    "background": "backend developer, new to ML" })),
                ..Operation::new("register")
            },
            Operation {
                errors: &[401],
                request_example: Some(
                    json!({ "email": "ada@example.com", "password": "correct horse 1" }),
                ),
                ..Operation::new("login")
            },
            Operation::new("getMe"),
            Operation {
                consequential: true,
                request_example: Some(json!({ "name": "Ada", "timezone": "Europe/Lisbon",
                    "background": "backend developer, new to ML" })),
                ..Operation::new("updateMe")
            },
        ],
        bodies: vec![
            sign_up::request_body(),
            RequestBody {
                schema: "LoginRequest",
                fields: vec![
                    ("email", email_field()),
                    ("password", json!({ "minLength": 1, "maxLength": 1024 })),
                ],
                free_text: &[],
            },
            RequestBody {
                schema: "UpdateProfileRequest",
                fields: vec![
                    ("name", name),
                    ("timezone", timezone_field()),
                    ("background", json!({ "maxLength": 500 })),
                ],
                free_text: &["background"],
            },
        ],
    }
}
