//! Checks of free-text input that a use case makes itself, in the same words as the doors'
//! request validation, because it must come after a check the door cannot make (an admin's
//! role, a quiz's tier).

use std::ops::RangeInclusive;

use domain::TextKind;

use crate::error::AppError;

/// `text` is `chars` characters long (else `length_message`) and holds no control character
/// `kind` refuses; both problems are reported together, as a door's validation does.
pub(crate) fn check_field(
    field: &str,
    text: &str,
    chars: RangeInclusive<usize>,
    length_message: &str,
    kind: TextKind,
) -> Result<(), AppError> {
    let mut problems = Vec::new();
    if !chars.contains(&text.chars().count()) {
        problems.push(length_message.to_owned());
    }
    if let Err(problem) = domain::check_text(text, kind) {
        problems.push(problem);
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(AppError::Invalid {
        message: format!("Invalid field(s): {field}."),
        details: serde_json::json!({ "fields": { field: problems } }),
    })
}

/// A client's idempotency key (`submission_id`, `review_id`).
pub(crate) fn check_idempotency_key(field: &str, id: Option<&str>) -> Result<(), AppError> {
    id.map_or(Ok(()), |id| {
        check_field(field, id, 1..=100, "must be 1 to 100 characters", TextKind::Line)
    })
}
