//! DTOs shared by several route modules.

use paperclip::actix::Apiv2Schema;
use serde::{Deserialize, Serialize};

/// A learner's plan: free, premium or pro.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Apiv2Schema)]
#[serde(rename_all = "lowercase")]
pub enum TierName {
    Free,
    Premium,
    Pro,
}

impl From<domain::Tier> for TierName {
    fn from(tier: domain::Tier) -> Self {
        match tier {
            domain::Tier::Free => Self::Free,
            domain::Tier::Premium => Self::Premium,
            domain::Tier::Pro => Self::Pro,
        }
    }
}

impl From<TierName> for domain::Tier {
    fn from(tier: TierName) -> Self {
        match tier {
            TierName::Free => Self::Free,
            TierName::Premium => Self::Premium,
            TierName::Pro => Self::Pro,
        }
    }
}

/// What a user may administer: student or admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Apiv2Schema)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    Student,
    Admin,
}

impl From<domain::Role> for RoleName {
    fn from(role: domain::Role) -> Self {
        match role {
            domain::Role::Student => Self::Student,
            domain::Role::Admin => Self::Admin,
        }
    }
}
