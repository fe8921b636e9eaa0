//! Freemium access: may a user open a resource, what tier they have, and tier changes (by an
//! admin through a door, or by an operator through the CLI).

use domain::{AccessPolicy, Resource, TextKind, Tier};
use persistence::TierChange;
use uuid::Uuid;

use crate::auth::{Caller, UserRef};
use crate::core::Core;
use crate::error::AppError;
use crate::input::check_field;

/// Whether a user may open a resource, and what would open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessCheck {
    pub granted: bool,
    /// The user's tier.
    pub tier: Tier,
    /// The lowest tier that opens the resource.
    pub required_tier: Tier,
    /// For a human.
    pub reason: String,
    /// Where to upgrade; present when access is refused.
    pub upgrade_url: Option<String>,
}

/// Access and tiers.
#[derive(Debug, Clone, Copy)]
pub struct Access<'a> {
    pub(crate) core: &'a Core,
}

/// The tier of `user`: the caller's own from the request, anyone else's from the cache.
async fn tier_of(core: &Core, caller: &Caller, user: Uuid) -> Result<Tier, AppError> {
    if user == caller.id {
        return Ok(caller.tier);
    }
    Ok(core.access.of_named(&core.db, user).await?.tier)
}

/// The order of the chapter a resource belongs to, from the in-memory catalogs.
async fn chapter_order(core: &Core, resource: &Resource) -> Result<u32, AppError> {
    let order = match resource {
        Resource::ChapterOrder(order) => {
            let chapters = core.chapters.get(&core.db).await?;
            chapters.ordered.iter().find(|c| c.order == *order).map(|c| c.order)
        }
        Resource::Chapter(reference) => {
            core.chapters.get(&core.db).await?.find(reference).map(|c| c.order)
        }
        Resource::Quiz(id) => core.quizzes.get(&core.db).await?.find(*id).map(|q| q.chapter_order),
    };
    order.ok_or_else(|| AppError::NotFound("No such resource.".into()))
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

/// Why a tier changed, for the audit trail.
fn check_reason(reason: Option<&str>) -> Result<(), AppError> {
    reason.map_or(Ok(()), |reason| {
        check_field(
            "reason",
            reason,
            0..=500,
            "must be at most 500 characters",
            TextKind::Multiline,
        )
    })
}

impl Access<'_> {
    /// Whether the caller (or, for admins, `user`) may open `resource` (`chapter-N`,
    /// `chapter:<id or slug>` or `quiz:<id>`).
    pub async fn check(
        &self,
        caller: &Caller,
        resource: &str,
        user: Option<Uuid>,
    ) -> Result<AccessCheck, AppError> {
        let resource: Resource =
            resource.parse().map_err(|message: String| AppError::invalid("resource", message))?;
        let user = caller.resolve(user.map_or(UserRef::Me, UserRef::Id))?;
        let tier = tier_of(self.core, caller, user).await?;
        let policy = self.core.policy;
        let decision = policy.decide(tier, chapter_order(self.core, &resource).await?);
        Ok(AccessCheck {
            granted: decision.granted,
            tier,
            required_tier: decision.required_tier,
            reason: reason(policy, tier, decision.granted),
            upgrade_url: (!decision.granted).then(|| self.core.upgrade_url.clone()),
        })
    }

    /// The tier of the caller (`me`) or, for admins, of any user.
    pub async fn tier(&self, caller: &Caller, user: &str) -> Result<(Uuid, Tier), AppError> {
        let user = caller.resolve(UserRef::parse(user)?)?;
        Ok((user, tier_of(self.core, caller, user).await?))
    }

    /// Sets a user's tier (admins only), audited with who and why; applies on the user's
    /// next request here, and within the access cache's lifetime elsewhere.
    pub async fn change_tier(
        &self,
        caller: &Caller,
        user: Uuid,
        tier: Tier,
        reason: Option<String>,
    ) -> Result<TierChange, AppError> {
        caller.require_admin()?;
        check_reason(reason.as_deref())?;
        self.apply(user, tier, Some(caller.id), reason).await
    }

    /// `companion user set-tier`: an operator's change, audited without an admin.
    pub async fn set_tier_by_email(
        &self,
        email: &str,
        tier: Tier,
        reason: Option<String>,
    ) -> Result<TierChange, AppError> {
        check_reason(reason.as_deref())?;
        let missing = || AppError::NotFound(format!("no account has the email {email}"));
        let user = self.core.db.find_user_by_email(email).await?.ok_or_else(missing)?;
        self.apply(user.id, tier, None, reason).await.map_err(|error| match error {
            AppError::NotFound(_) => missing(),
            other => other,
        })
    }

    async fn apply(
        &self,
        user: Uuid,
        tier: Tier,
        by: Option<Uuid>,
        reason: Option<String>,
    ) -> Result<TierChange, AppError> {
        let change = self
            .core
            .db
            .change_tier(user, tier, by, reason)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("No user {user}.")))?;
        self.core.access.forget(user);
        Ok(change)
    }
}
