//! The caller of a use case: a verified token's subject with their current tier, role and
//! timezone, and who they may act for.

use domain::{Role, Tier, TimeZone};
use uuid::Uuid;

use crate::error::AppError;

/// Who is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub id: Uuid,
    pub tier: Tier,
    pub role: Role,
    pub timezone: TimeZone,
}

/// A user a request names: `me` or a UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRef {
    Me,
    Id(Uuid),
}

impl UserRef {
    pub fn parse(text: &str) -> Result<Self, AppError> {
        if text == "me" {
            return Ok(Self::Me);
        }
        domain::parse_id(text)
            .map(Self::Id)
            .ok_or_else(|| AppError::invalid("user", "must be a user id (UUID) or `me`"))
    }
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The user a request is about: the caller, or — for admins only — anyone.
    pub fn resolve(&self, user: UserRef) -> Result<Uuid, AppError> {
        match user {
            UserRef::Me => Ok(self.id),
            UserRef::Id(id) if id == self.id || self.is_admin() => Ok(id),
            UserRef::Id(_) => {
                Err(AppError::Forbidden("Only an admin may act on another user.".into()))
            }
        }
    }

    /// Admins only.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden("This needs the admin role.".into()))
        }
    }
}
