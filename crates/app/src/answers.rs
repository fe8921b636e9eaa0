//! How submitted answers meet the grading rule, for quizzes and review alike: a stored
//! question as the rule sees it, and answers it cannot grade as the error naming each one.

use domain::{AnswerProblem, GradedQuestion};
use persistence::StoredQuestion;

use crate::error::AppError;

/// A question as the grading rule sees it.
pub(crate) fn graded_question(stored: &StoredQuestion) -> GradedQuestion {
    GradedQuestion {
        id: stored.id,
        kind: stored.question.kind,
        options: stored.question.options.clone(),
        answer: stored.question.answer.clone(),
    }
}

/// Answers that cannot be graded, as the error that names each one.
pub(crate) fn ungradable(problems: &[AnswerProblem]) -> AppError {
    let mut questions = serde_json::Map::new();
    for problem in problems {
        questions.insert(problem.question.clone(), serde_json::json!(problem.reason));
    }
    AppError::Invalid {
        message: format!("{} answer(s) cannot be graded; nothing was stored.", problems.len()),
        details: serde_json::json!({ "questions": questions }),
    }
}
