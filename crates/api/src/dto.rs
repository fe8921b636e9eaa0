//! DTOs shared by several route modules, and the validators they share.

use std::borrow::Cow;

use domain::TextKind;
use paperclip::actix::Apiv2Schema;
use serde::{Deserialize, Serialize};
use validator::ValidationError;

/// A failed rule in validator's terms, with the domain's message.
pub(crate) fn rule(code: &'static str, message: String) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Owned(message))
}

/// One line of text: no control characters (`domain::check_text`).
pub(crate) fn check_line(text: &str) -> Result<(), ValidationError> {
    domain::check_text(text, TextKind::Line).map_err(|message| rule("text", message))
}

/// Free text: no control characters but tab and line breaks.
pub(crate) fn check_multiline(text: &str) -> Result<(), ValidationError> {
    domain::check_text(text, TextKind::Multiline).map_err(|message| rule("text", message))
}

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
