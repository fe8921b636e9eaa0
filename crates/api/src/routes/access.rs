//! Freemium access: may a user open a resource, what tier they have, and admin upgrades.

use chrono::{DateTime, Utc};
use domain::{AccessPolicy, Resource, Tier};
use paperclip::actix::web::{Data, Json, Path};
use paperclip::actix::{Apiv2Schema, api_v2_operation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Caller, UserRef};
use crate::dto::{TierName, check_multiline};
use crate::{ApiError, AppState};

/// A resource to check, for the caller or (admins only) another user.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct AccessCheckRequest {
    /// `chapter-N` (N = chapter order), `chapter:<id or slug>` or `quiz:<id>`.
    pub resource: String,
    /// Admins only: check for this user instead of the caller.
    pub user_id: Option<Uuid>,
}

/// Whether the user may open the resource, and what would open it.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct AccessCheckResponse {
    pub access_granted: bool,
    /// The user's tier.
    pub tier: TierName,
    /// The lowest tier that opens the resource.
    pub required_tier: TierName,
    /// For a human.
    pub reason: String,
    /// Where to upgrade; present when access is refused.
    pub upgrade_url: Option<String>,
}

/// A user's tier.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct UserTier {
    pub user_id: Uuid,
    pub tier: TierName,
}

/// Set a user's tier (admins only).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct UpgradeRequest {
    pub user_id: Uuid,
    pub new_tier: TierName,
    /// Why, for the audit trail.
    #[validate(
        length(max = 500, message = "must be at most 500 characters"),
        custom(function = "check_multiline")
    )]
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

/// The tier of `user`: the caller's own from the request, anyone else's from the cache.
async fn tier_of(state: &AppState, caller: &Caller, user: Uuid) -> Result<Tier, ApiError> {
    if user == caller.id {
        return Ok(caller.tier);
    }
    Ok(state.auth.access.of_named(&state.db, user).await?.tier)
}

/// The order of the chapter a resource belongs to, from the in-memory catalogs.
async fn chapter_order(state: &AppState, resource: &Resource) -> Result<u32, ApiError> {
    let order = match resource {
        Resource::ChapterOrder(order) => {
            let chapters = state.chapters.get(&state.db).await?;
            chapters.ordered.iter().find(|c| c.order == *order).map(|c| c.order)
        }
        Resource::Chapter(reference) => {
            state.chapters.get(&state.db).await?.find(reference).map(|c| c.order)
        }
        Resource::Quiz(id) => {
            state.quizzes.get(&state.db).await?.find(*id).map(|q| q.chapter_order)
        }
    };
    order.ok_or_else(|| ApiError::NotFound("No such resource.".into()))
}

fn reason(policy: AccessPolicy, tier: Tier, granted: bool) -> String {
    match (tier, granted) {
        (Tier::Free, true) => {
            format!("The free tier opens chapters 1 to {}.", policy.free_chapters)
        }
        (Tier::Free, false) => {
            format!(
                "The free tier opens chapters 1 to {} only; premium opens every chapter.",
                policy.free_chapters
            )
        }
        (_, _) => format!("The {tier} tier opens every chapter."),
    }
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
    let resource: Resource = request
        .resource
        .parse()
        .map_err(|message: String| ApiError::validation("resource", message))?;
    let user = caller.resolve(request.user_id.map_or(UserRef::Me, UserRef::Id))?;
    let tier = tier_of(&state, &caller, user).await?;
    let policy = state.settings.access_policy;
    let decision = policy.decide(tier, chapter_order(&state, &resource).await?);
    Ok(Json(AccessCheckResponse {
        access_granted: decision.granted,
        tier: tier.into(),
        required_tier: decision.required_tier.into(),
        reason: reason(policy, tier, decision.granted),
        upgrade_url: (!decision.granted).then(|| state.settings.upgrade_url.clone()),
    }))
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
    let user = caller.resolve(UserRef::parse(&user)?)?;
    let tier = tier_of(&state, &caller, user).await?;
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
    caller.require_admin()?;
    let request = body.into_inner();
    request.validate().map_err(|errors| ApiError::from_validation(&errors))?;
    let change = state
        .db
        .change_tier(request.user_id, request.new_tier.into(), Some(caller.id), request.reason)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No user {}.", request.user_id)))?;
    state.auth.access.forget(request.user_id);
    Ok(Json(UpgradeResponse {
        user_id: change.user_id,
        previous_tier: change.previous_tier.into(),
        tier: change.tier.into(),
        changed_at: change.changed_at,
    }))
}
