//! `GET /api/v1/search`: ranked passages of the chapters the caller opens, and locked
//! chapters listed by title without anything of their text.

use paperclip::actix::web::{Data, Json, Query};
use paperclip::actix::{Apiv2Schema, api_v2_operation};
use serde::Deserialize;
use serde_json::json;
use validator::Validate;
use views::SearchResults;

use crate::auth::Caller;
use crate::dto::{ANY, VISIBLE, check_line};
use crate::error::ApiError;
use crate::openapi::{Facts, Operation};
use crate::state::AppState;

/// Search parameters.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct SearchParams {
    /// What to look for, 2–200 characters, at least two of them not spaces: words, "quoted
    /// phrases" (words in order) and identifiers (`tool_choice`). Nothing else is syntax:
    /// `body:x`, `[a TO z]`, `AND`, `+x`, `x*` and the like are read as the words in them.
    /// Words after the 24th are ignored, and at most 4 words also match with a typo.
    #[validate(
        length(max = 200, message = "must be at most 200 characters"),
        custom(function = "check_line")
    )]
    pub q: String,
    /// 1–50, default 10.
    #[validate(range(min = 1, max = 50, message = "must be 1 to 50"))]
    pub limit: Option<u32>,
    /// Default 0, at most 1000.
    #[validate(range(max = 1000, message = "must be at most 1000"))]
    pub offset: Option<u32>,
}

/// Search the course
///
/// Ranked sections for a query, with a snippet quoting the original text. Chapters the
/// caller's tier does not open are never searched; those whose title the query names are
/// listed first, with only the chapter and `locked: true`.
#[api_v2_operation(operation_id = "searchCourse", tags(Search))]
pub async fn search_course(
    state: Data<AppState>,
    caller: Caller,
    params: Query<SearchParams>,
) -> Result<Json<SearchResults>, ApiError> {
    params.validate().map_err(|errors| ApiError::from_validation(&errors))?;
    let limit = params.limit.unwrap_or(10) as usize;
    let offset = params.offset.unwrap_or(0) as usize;
    let found = state.app.search().search(&caller, "q", &params.q, limit, offset)?;
    Ok(Json(SearchResults::from(found)))
}

pub(super) fn facts() -> Facts {
    Facts {
        operations: vec![Operation {
            parameters: vec![
                (
                    "q",
                    json!({
                        "description": "What to look for: 2–200 characters, at least two of \
                            them not spaces, no control characters. Words are stemmed; \
                            \"quoted phrases\" must match in order; small typos in words of 5 \
                            letters or more are tolerated.",
                        "schema": { "type": "string", "minLength": 2, "maxLength": 200,
                            "pattern": format!("^{ANY}*{VISIBLE}{ANY}*{VISIBLE}{ANY}*$") },
                        "example": "tool calling errors",
                    }),
                ),
                (
                    "limit",
                    json!({ "description": "Results per page, 1–50 (default 10).",
                        "schema": { "type": "integer", "format": "int32", "minimum": 1,
                            "maximum": 50 } }),
                ),
                (
                    "offset",
                    json!({ "description": "Results to skip, 0–1000 (default 0).",
                        "schema": { "type": "integer", "format": "int32", "minimum": 0,
                            "maximum": 1000 } }),
                ),
            ],
            response_examples: vec![(
                "200",
                json!({ "query": "tool call errors", "total": 2, "results": [
                    { "chapter_id": "1e6ccc08-2b4e-4adb-8181-05959cc17c0d",
                      "chapter_slug": "tool-use-and-function-calling",
                      "chapter_title": "Tool Use and Function Calling",
                      "section": "When a tool fails", "section_anchor": "when-a-tool-fails",
                      "snippet": "…return the **error** to the model as the **tool** result…",
                      "score": 7.42, "locked": false },
                    { "chapter_id": "4a2b9c1d-7e6f-4d3c-9b8a-1f2e3d4c5b6a",
                      "chapter_slug": "production-agents",
                      "chapter_title": "Agents in Production",
                      "section": null, "section_anchor": null, "snippet": null,
                      "score": 5.1, "locked": true },
                ] }),
            )],
            ..Operation::new("searchCourse")
        }],
        bodies: Vec::new(),
    }
}
