//! Quizzes: listing, serving without answers, rule-based grading, and attempt history.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use app::ListedQuiz;
use domain::Submitted;
use paperclip::actix::web::{Data, Json, Path, Query};
use paperclip::actix::{Apiv2Schema, api_v2_operation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;
use validator::Validate;
use views::{AnswerValue, QuizResults, QuizView, SubmissionResult};

use crate::auth::Caller;
use crate::dto::quiz_id_parameter;
use crate::error::ApiError;
use crate::openapi::{Facts, Operation, RequestBody, created_beside_replayed};
use crate::responders::WithStatus;
use crate::state::AppState;

/// A quiz in the list.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct QuizSummary {
    pub id: Uuid,
    pub chapter_id: Uuid,
    pub title: String,
    pub question_count: usize,
    pub pass_mark: u8,
    /// True when the caller's tier does not open the quiz's chapter.
    pub locked: bool,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct QuizList {
    pub items: Vec<QuizSummary>,
    pub total: usize,
}

/// A submission.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// Question id → answer.
    pub answers: HashMap<String, AnswerValue>,
    /// Optional idempotency key chosen by the client: a retry with the same key returns the
    /// first result instead of storing a second attempt. 1–100 characters, one line.
    pub submission_id: Option<String>,
}

/// Page of results.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct Page {
    /// 1–100, default 20.
    #[validate(range(min = 1, max = 100, message = "must be 1 to 100"))]
    pub limit: Option<u32>,
    /// Default 0; at most 2147483647 (the document's int32).
    #[validate(range(max = 2_147_483_647, message = "must be at most 2147483647"))]
    pub offset: Option<u32>,
}

/// List quizzes
///
/// Every quiz in course order, with its question count, pass mark and whether the caller's
/// tier opens it.
#[api_v2_operation(operation_id = "listQuizzes", tags(Quizzes))]
pub async fn list_quizzes(
    state: Data<AppState>,
    caller: Caller,
) -> Result<Json<QuizList>, ApiError> {
    let items: Vec<QuizSummary> = state
        .app
        .quizzes()
        .list(&caller)
        .await?
        .into_iter()
        .map(|ListedQuiz { quiz, locked }| QuizSummary {
            id: quiz.id,
            chapter_id: quiz.chapter_id,
            title: quiz.title.clone(),
            question_count: quiz.questions.len(),
            pass_mark: quiz.pass_mark,
            locked,
        })
        .collect();
    Ok(Json(QuizList { total: items.len(), items }))
}

/// Get a quiz
///
/// The quiz's questions with their options, never with answers or explanations. A quiz of a
/// locked chapter is 403 upgrade_required.
#[api_v2_operation(operation_id = "getQuiz", tags(Quizzes))]
pub async fn get_quiz(
    state: Data<AppState>,
    caller: Caller,
    quiz_id: Path<String>,
) -> Result<Json<QuizView>, ApiError> {
    let quiz = state.app.quizzes().open(&caller, &quiz_id).await?;
    Ok(Json(QuizView::from(quiz.as_ref())))
}

/// Submit answers
///
/// Grades the answers by rule, stores the attempt and returns the score with per-question
/// feedback (201). A retry with the same submission_id returns the first result (200).
#[api_v2_operation(operation_id = "submitQuiz", tags(Quizzes))]
pub async fn submit_quiz(
    state: Data<AppState>,
    caller: Caller,
    quiz_id: Path<String>,
    body: Json<SubmitRequest>,
) -> Result<WithStatus<SubmissionResult>, ApiError> {
    let request = body.into_inner();
    let answers: HashMap<String, Submitted> =
        request.answers.into_iter().map(|(id, value)| (id, value.into())).collect();
    let submitted =
        state.app.quizzes().submit(&caller, &quiz_id, answers, request.submission_id).await;
    let outcome = match &submitted {
        Ok(submission) if submission.recorded_now => "graded",
        Ok(_) => "replayed",
        Err(_) => "rejected",
    };
    state.metrics.quiz_submission(outcome);
    let submission = submitted?;
    let status = if submission.recorded_now { StatusCode::CREATED } else { StatusCode::OK };
    Ok(WithStatus(status, SubmissionResult::from(&submission)))
}

/// My results for a quiz
///
/// The caller's attempts, newest first (limit/offset), with best and last score, attempt
/// count and whether any attempt passed.
#[api_v2_operation(operation_id = "getQuizResults", tags(Quizzes))]
pub async fn quiz_results(
    state: Data<AppState>,
    caller: Caller,
    quiz_id: Path<String>,
    page: Query<Page>,
) -> Result<Json<QuizResults>, ApiError> {
    page.validate().map_err(|errors| ApiError::from_validation(&errors))?;
    let limit = page.limit.unwrap_or(20);
    let offset = page.offset.unwrap_or(0);
    let history = state.app.quizzes().results(&caller, &quiz_id, limit, offset).await?;
    Ok(Json(QuizResults::from(history)))
}

/// 201 for a new attempt, 200 for a replay of the same submission_id.
fn created_or_replayed(responses: &mut Map<String, Value>) {
    created_beside_replayed(
        responses,
        "Graded and stored.",
        "A retry with a known submission_id: the first result.",
    );
}

pub(super) fn facts() -> Facts {
    let quiz = |id| Operation {
        errors: &[403, 404],
        parameters: vec![quiz_id_parameter()],
        ..Operation::new(id)
    };
    Facts {
        operations: vec![
            Operation::new("listQuizzes"),
            quiz("getQuiz"),
            Operation {
                consequential: true,
                errors: &[403, 404, 409],
                request_example: Some(json!({ "submission_id": "ada-ch1-attempt-1", "answers": {
                    "0b6f1c52-8d3e-4f7a-9c61-2d4e5f6a7b80": "B",
                    "1c7a2d63-9e4f-4a8b-8d72-3e5f6a7b8c91": ["A", "C"],
                    "2d8b3e74-af50-4b9c-9e83-4f6a7b8c9da2": "true" } })),
                response_examples: vec![(
                    "201",
                    json!({
                        "attempt_id": "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "attempt_number": 1,
                        "score": 80, "correct_count": 4, "total": 5, "passed": true,
                        "pass_mark": 70,
                        "results": [
                            { "question_id": "0b6f1c52-8d3e-4f7a-9c61-2d4e5f6a7b80",
                              "selected": "B", "is_correct": true, "correct_answer": "B",
                              "explanation": "An agent decides its next step from what it \
                                observes." },
                            { "question_id": "1c7a2d63-9e4f-4a8b-8d72-3e5f6a7b8c91",
                              "selected": ["A"], "is_correct": false,
                              "correct_answer": ["A", "C"],
                              "explanation": "Both the loop and the tools are required." },
                        ],
                    }),
                )],
                more_responses: Some(created_or_replayed),
                ..quiz("submitQuiz")
            },
            Operation {
                parameters: vec![
                    quiz_id_parameter(),
                    (
                        "limit",
                        json!({ "description": "Attempts per page, 1–100 (default 20).",
                            "schema": { "type": "integer", "format": "int32", "minimum": 1,
                                "maximum": 100 } }),
                    ),
                    (
                        "offset",
                        json!({ "description": "Attempts to skip (default 0).",
                            "schema": { "type": "integer", "format": "int32", "minimum": 0,
                                "maximum": i32::MAX } }),
                    ),
                ],
                ..quiz("getQuizResults")
            },
        ],
        bodies: vec![RequestBody {
            schema: "SubmitRequest",
            fields: vec![
                ("submission_id", json!({ "minLength": 1, "maxLength": 100 })),
                ("answers", json!({ "minProperties": 1 })),
            ],
            free_text: &[],
        }],
    }
}
