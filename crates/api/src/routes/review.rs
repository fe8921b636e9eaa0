//! Spaced review (the due cards, answering one) and the one recommendation of what to do next.

use actix_web::http::StatusCode;
use paperclip::actix::web::{Data, Json, Path, Query};
use paperclip::actix::{Apiv2Schema, api_v2_operation};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use validator::Validate;
use views::{AnswerValue, NextStep, ReviewQueue, ReviewResult};

use crate::auth::Caller;
use crate::dto::UUID_PATTERN;
use crate::error::ApiError;
use crate::openapi::{Facts, Operation, RequestBody, created_beside_replayed};
use crate::responders::WithStatus;
use crate::state::AppState;

/// How many cards.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct QueueSize {
    /// 1–50, default 10.
    #[validate(range(min = 1, max = 50, message = "must be 1 to 50"))]
    pub limit: Option<u32>,
}

/// An answer to one review card.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// The answer, as for a quiz question.
    pub answer: AnswerValue,
    /// Optional idempotency key chosen by the client: a retry with the same key returns the
    /// first result instead of reviewing the card twice. 1–100 characters, one line.
    pub review_id: Option<String>,
}

/// My review cards
///
/// The caller's due review cards, oldest due first, then new cards (questions of completed
/// chapters never answered), up to `limit`, with the queue's totals. Questions come as a quiz
/// shows them, never with answers. Cards of chapters the caller's tier does not open are
/// hidden.
#[api_v2_operation(operation_id = "getReviewQueue", tags(Review))]
pub async fn review_queue(
    state: Data<AppState>,
    caller: Caller,
    size: Query<QueueSize>,
) -> Result<Json<ReviewQueue>, ApiError> {
    size.validate().map_err(|errors| ApiError::from_validation(&errors))?;
    let queue = state.app.review().queue(&caller, size.limit.unwrap_or(10)).await?;
    Ok(Json(ReviewQueue::from(queue)))
}

/// Answer a review card
///
/// Grades the answer by the quizzes' rule and reschedules the card (FSRS): wrong → due again
/// at once, right → due on a later day. Counts as the day's check-in. 201 for a new review,
/// 200 for a retry with a known review_id.
#[api_v2_operation(operation_id = "answerReview", tags(Review))]
pub async fn answer_review(
    state: Data<AppState>,
    caller: Caller,
    question_id: Path<String>,
    body: Json<ReviewRequest>,
) -> Result<WithStatus<ReviewResult>, ApiError> {
    let request = body.into_inner();
    let review = state.app.review();
    let answered =
        review.answer(&caller, &question_id, request.answer.into(), request.review_id).await?;
    let status = if answered.recorded_now { StatusCode::CREATED } else { StatusCode::OK };
    Ok(WithStatus(status, ReviewResult::from(&answered)))
}

/// What next?
///
/// One deterministic recommendation for the caller: an action code, its target, the rule
/// that matched and the numbers behind it. Rule, first match wins: `review` when cards are
/// due; `retake_quiz` for the most recently attempted quiz whose last attempt failed (never
/// passed, still open, attempts left); `continue_chapter` when the current chapter is open and
/// not completed; `start_chapter` for the first open chapter not completed; `upgrade` when
/// only locked chapters remain; else `done`.
#[api_v2_operation(operation_id = "getNextStep", tags(Review))]
pub async fn next_step(state: Data<AppState>, caller: Caller) -> Result<Json<NextStep>, ApiError> {
    Ok(Json(NextStep::from(state.app.plan().next(&caller).await?)))
}

/// 201 for a new review, 200 for a replay of the same review_id.
fn created_or_replayed(responses: &mut Map<String, Value>) {
    created_beside_replayed(
        responses,
        "Graded, and the card rescheduled.",
        "A retry with a known review_id: the first result.",
    );
}

const QUESTION_ID: &str = "0b6f1c52-8d3e-4f7a-9c61-2d4e5f6a7b80";

pub(super) fn facts() -> Facts {
    let chapter = json!({ "id": "5f0c7a2e-1b3d-4c5e-8f9a-0b1c2d3e4f5a",
        "slug": "what-is-an-agent", "title": "What Is an Agent?", "order": 1 });
    Facts {
        operations: vec![
            Operation {
                parameters: vec![(
                    "limit",
                    json!({ "description": "Cards to return, 1–50 (default 10).",
                        "schema": { "type": "integer", "format": "int32", "minimum": 1,
                            "maximum": 50 } }),
                )],
                response_examples: vec![(
                    "200",
                    json!({
                        "items": [{
                            "question": { "id": QUESTION_ID, "order": 1, "kind": "single_choice",
                                "text": "What makes a program an agent?",
                                "options": [
                                    { "key": "A", "text": "It runs on a GPU." },
                                    { "key": "B", "text": "It decides its next step from what \
                                        it observes." } ] },
                            "quiz_id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                            "chapter": chapter,
                            "state": "relearning", "due_at": "2026-12-01T09:12:00Z",
                            "overdue_days": 1, "reps": 2, "lapses": 1 }],
                        "due_now": 1, "due_later_today": 0, "new_available": 4,
                    }),
                )],
                ..Operation::new("getReviewQueue")
            },
            Operation {
                consequential: true,
                errors: &[403, 404, 409],
                parameters: vec![(
                    "question_id",
                    json!({ "description": "The card's question id: `question.id` in \
                        getReviewQueue (or a question of getQuiz).",
                        "schema": { "type": "string", "format": "uuid",
                            "pattern": UUID_PATTERN } }),
                )],
                request_example: Some(json!({ "answer": "B", "review_id": "ada-review-42" })),
                response_examples: vec![(
                    "201",
                    json!({ "question_id": QUESTION_ID, "review_id": "ada-review-42",
                        "selected": "B", "is_correct": true, "rating": "good",
                        "correct_answer": "B",
                        "explanation": "An agent decides its next step from what it observes.",
                        "next_due_at": "2026-12-05T05:00:00Z" }),
                )],
                more_responses: Some(created_or_replayed),
                ..Operation::new("answerReview")
            },
            Operation {
                response_examples: vec![(
                    "200",
                    json!({ "action": "retake_quiz", "reason": "quiz_failed",
                        "chapter": chapter, "quiz_id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                        "required_tier": null,
                        "numbers": { "due_now": 0, "due_later_today": 0, "new_available": 0,
                            "current_streak": 4, "checked_in_today": false,
                            "streak_at_risk": true, "freezes_banked": 0,
                            "completed_chapters": 0, "total_chapters": 12,
                            "current_chapter": chapter,
                            "last_failed_quiz": { "quiz_id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                                "chapter_id": "5f0c7a2e-1b3d-4c5e-8f9a-0b1c2d3e4f5a",
                                "title": "What Is an Agent? — check", "attempts": 1,
                                "last_score": 40, "pass_mark": 70, "max_attempts": null,
                                "passed_ever": false } } }),
                )],
                ..Operation::new("getNextStep")
            },
        ],
        bodies: vec![RequestBody {
            schema: "ReviewRequest",
            fields: vec![("review_id", json!({ "minLength": 1, "maxLength": 100 }))],
            free_text: &[],
        }],
    }
}
