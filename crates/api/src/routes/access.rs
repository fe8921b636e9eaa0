//! Freemium access: may a user open a resource, what tier they have, and admin upgrades.

use chrono::{DateTime, Utc};
use paperclip::actix::web::{Data, Json, Path};
use paperclip::actix::{Apiv2Schema, api_v2_operation};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;
use views::{AccessCheckResponse, TierName};

use crate::auth::Caller;
use crate::dto::{UUID_PATTERN, user_parameter};
use crate::error::ApiError;
use crate::openapi::{Facts, Operation, RequestBody};
use crate::state::AppState;

/// A resource to check, for the caller or (admins only) another user.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct AccessCheckRequest {
    /// `chapter-N` (N = chapter order), `chapter:<id or slug>` or `quiz:<id>`.
    pub resource: String,
    /// Admins only: check for this user instead of the caller.
    pub user_id: Option<Uuid>,
}

/// A user's tier.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct UserTier {
    pub user_id: Uuid,
    pub tier: TierName,
}

/// Set a user's tier (admins only).
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct UpgradeRequest {
    pub user_id: Uuid,
    pub new_tier: TierName,
    /// Why, for the audit trail: at most 500 characters.
    pub reason: Option<String>,
}

/// An applied tier change.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct UpgradeResponse {
    pub user_id: Uuid,
    pub previous_tier: TierName,
    pub tier: TierName,
    pub changed_at: DateTime<Utc>,
}

/// Check access to a resource
///
/// Whether the caller (or, for admins, another user) may open a chapter or quiz, and which
/// tier would open it.
#[api_v2_operation(operation_id = "checkAccess", tags(Access))]
pub async fn check_access(
    state: Data<AppState>,
    caller: Caller,
    body: Json<AccessCheckRequest>,
) -> Result<Json<AccessCheckResponse>, ApiError> {
    let request = body.into_inner();
    let check = state.app.access().check(&caller, &request.resource, request.user_id).await?;
    Ok(Json(AccessCheckResponse::from(check)))
}

/// Read a user's tier
///
/// The tier of the caller (`me`) or, for admins, of any user.
#[api_v2_operation(operation_id = "getUserTier", tags(Access))]
pub async fn get_user_tier(
    state: Data<AppState>,
    caller: Caller,
    user: Path<String>,
) -> Result<Json<UserTier>, ApiError> {
    let (user, tier) = state.app.access().tier(&caller, &user).await?;
    Ok(Json(UserTier { user_id: user, tier: tier.into() }))
}

/// Change a user's tier (admin)
///
/// Sets a user's tier (upgrade or downgrade) and records who did it and why. Takes effect on
/// the user's next request.
#[api_v2_operation(operation_id = "upgradeTier", tags(Access))]
pub async fn upgrade_tier(
    state: Data<AppState>,
    caller: Caller,
    body: Json<UpgradeRequest>,
) -> Result<Json<UpgradeResponse>, ApiError> {
    let request = body.into_inner();
    let change = state
        .app
        .access()
        .change_tier(&caller, request.user_id, request.new_tier.into(), request.reason)
        .await?;
    Ok(Json(UpgradeResponse {
        user_id: change.user_id,
        previous_tier: change.previous_tier.into(),
        tier: change.tier.into(),
        changed_at: change.changed_at,
    }))
}

pub(super) fn facts() -> Facts {
    let id = UUID_PATTERN.trim_start_matches('^').trim_end_matches('$');
    let slug = "(?=[a-z0-9-]{1,100}$)[a-z0-9]+(-[a-z0-9]+)*";
    let resource = json!({ "pattern":
        format!("^chapter-[1-9][0-9]{{0,8}}$|^chapter:{slug}$|^chapter:{id}$|^quiz:{id}$") });
    let user_id = json!({ "pattern": UUID_PATTERN });
    Facts {
        operations: vec![
            Operation {
                errors: &[403, 404],
                request_example: Some(json!({ "resource": "chapter-4" })),
                ..Operation::new("checkAccess")
            },
            Operation {
                errors: &[403, 404],
                parameters: vec![user_parameter()],
                ..Operation::new("getUserTier")
            },
            Operation {
                consequential: true,
                errors: &[403, 404],
                request_example: Some(json!({ "user_id": "6f1d2c3b-4a59-4e8f-9a7b-1c2d3e4f5a6b",
                    "new_tier": "premium", "reason": "annual plan purchased" })),
                ..Operation::new("upgradeTier")
            },
        ],
        bodies: vec![
            RequestBody {
                schema: "UpgradeRequest",
                fields: vec![("reason", json!({ "maxLength": 500 })), ("user_id", user_id.clone())],
                free_text: &["reason"],
            },
            RequestBody {
                schema: "AccessCheckRequest",
                fields: vec![("resource", resource), ("user_id", user_id)],
                free_text: &[],
            },
        ],
    }
}
