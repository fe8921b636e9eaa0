//! DTOs shared by several route modules, and the validators they share.

use std::borrow::Cow;

use domain::TextKind;
use paperclip::actix::Apiv2Schema;
use serde::Serialize;
use serde_json::{Value, json};
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

/// A UUID, as the document states it.
pub(crate) const UUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// A character `domain::check_text` lets into one line, and one of those that is not a space.
pub(crate) const ANY: &str = r"[^\x00-\x1f\x7f-\x9f]";
pub(crate) const VISIBLE: &str = r"[^\s\x00-\x1f\x7f-\x9f]";

/// A slug (`domain::chapter::validate_slug`) or an id (`domain::parse_id`).
pub(crate) fn chapter_ref_schema() -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": 100,
        "pattern": format!("^[a-z0-9]+(-[a-z0-9]+)*$|{UUID_PATTERN}") })
}

/// The `{chapter_ref}` path parameter.
pub(crate) fn chapter_ref_parameter() -> (&'static str, Value) {
    (
        "chapter_ref",
        json!({
            "description": "The chapter's UUID or its slug, e.g. `what-is-an-ai-agent`.",
            "schema": chapter_ref_schema(),
            "example": "what-is-an-ai-agent",
        }),
    )
}

/// The `{quiz_id}` path parameter.
pub(crate) fn quiz_id_parameter() -> (&'static str, Value) {
    (
        "quiz_id",
        json!({
            "description": "The quiz's UUID: `quiz_id` of a chapter, or `id` in listQuizzes.",
            "schema": { "type": "string", "format": "uuid", "pattern": UUID_PATTERN },
        }),
    )
}

/// The `{user}` path parameter.
pub(crate) fn user_parameter() -> (&'static str, Value) {
    (
        "user",
        json!({
            "description": "`me` for the signed-in learner, or a user's UUID (only admins may \
                name another user).",
            "schema": { "type": "string", "pattern": format!("^me$|{UUID_PATTERN}") },
            "example": "me",
        }),
    )
}

/// An email field of a request body.
pub(crate) fn email_field() -> Value {
    json!({ "format": "email", "maxLength": 254, "example": "ada@example.com" })
}

/// A timezone field of a request body: one of the IANA names.
pub(crate) fn timezone_field() -> Value {
    json!({ "allOf": [{ "$ref": "#/components/schemas/TimeZone" }],
        "example": "Europe/Lisbon",
        "description": "An IANA timezone; daily streaks follow the learner's local day." })
}
