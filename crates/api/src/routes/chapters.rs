//! Reading the course: the outline, one chapter verbatim, and its neighbours.

use app::{AppError, ChapterContent, RenderedPage};
use bytes::Bytes;
use paperclip::actix::web::{Data, Json, Path};
use paperclip::actix::{Apiv2Schema, api_v2_operation};
use serde::Serialize;
use serde_json::{Map, Value, json};
use views::{ChapterDetail, ChapterList, ChapterSummary};

use crate::auth::Caller;
use crate::dto::chapter_ref_parameter;
use crate::error::ApiError;
use crate::openapi::{Facts, Operation};
use crate::responders::{JsonBytes, Tagged};
use crate::state::AppState;

/// The chapter before or after another one; `null` at either end of the course.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct NeighbourChapter {
    pub chapter: Option<ChapterSummary>,
}

/// List the course outline
///
/// Every chapter's metadata in course order, without content. Chapters the caller's tier does
/// not open are listed with `locked: true` and the tier that opens them.
#[api_v2_operation(operation_id = "listChapters", tags(Chapters))]
pub async fn list_chapters(
    state: Data<AppState>,
    caller: Caller,
) -> Result<JsonBytes<ChapterList>, ApiError> {
    let course = state.app.course();
    let policy = course.policy();
    let json = course
        .outline(caller.tier, |chapters| {
            let list = ChapterList::new(chapters, caller.tier, policy);
            serde_json::to_vec(&list).map(Bytes::from).map_err(AppError::internal)
        })
        .await?;
    Ok(JsonBytes::new(json))
}

/// Read a chapter
///
/// The chapter named by UUID or slug, with its markdown content verbatim, its quiz id and
/// its neighbours' ids. Carries a strong ETag; send it back in If-None-Match to get 304. A
/// chapter the caller's tier does not open is 403 `upgrade_required`.
#[api_v2_operation(operation_id = "getChapter", tags(Chapters))]
pub async fn get_chapter(
    state: Data<AppState>,
    caller: Caller,
    chapter_ref: Path<String>,
) -> Result<Tagged<ChapterDetail>, ApiError> {
    let page = state.app.course().chapter(&caller, "chapter_ref", &chapter_ref, render).await?;
    Ok(Tagged::new(page))
}

/// A chapter's response: its metadata, its body, its quiz and neighbours.
fn render(found: ChapterContent<'_>) -> Result<RenderedPage, AppError> {
    RenderedPage::render(&ChapterDetail::from(found))
}

/// The summary of the chapter before or (`after`) after the named one.
async fn neighbour(
    state: &AppState,
    caller: &Caller,
    chapter_ref: &str,
    after: bool,
) -> Result<Json<NeighbourChapter>, ApiError> {
    let course = state.app.course();
    let chapter = course.neighbour("chapter_ref", chapter_ref, after).await?;
    Ok(Json(NeighbourChapter {
        chapter: chapter.map(|c| ChapterSummary::new(&c, caller.tier, course.policy())),
    }))
}

/// Next chapter
///
/// Summary of the chapter after the named one, or null for the last chapter.
#[api_v2_operation(operation_id = "getNextChapter", tags(Chapters))]
pub async fn next_chapter(
    state: Data<AppState>,
    caller: Caller,
    chapter_ref: Path<String>,
) -> Result<Json<NeighbourChapter>, ApiError> {
    neighbour(&state, &caller, &chapter_ref, true).await
}

/// Previous chapter
///
/// Summary of the chapter before the named one, or null for the first chapter.
#[api_v2_operation(operation_id = "getPreviousChapter", tags(Chapters))]
pub async fn previous_chapter(
    state: Data<AppState>,
    caller: Caller,
    chapter_ref: Path<String>,
) -> Result<Json<NeighbourChapter>, ApiError> {
    neighbour(&state, &caller, &chapter_ref, false).await
}

/// A conditional read whose ETag still matches.
fn not_modified(responses: &mut Map<String, Value>) {
    responses.insert(
        "304".into(),
        json!({ "description": "Not modified: the If-None-Match ETag still matches." }),
    );
}

pub(super) fn facts() -> Facts {
    let chapter = |id, errors| Operation {
        errors,
        parameters: vec![chapter_ref_parameter()],
        ..Operation::new(id)
    };
    Facts {
        operations: vec![
            Operation::new("listChapters"),
            Operation {
                response_examples: vec![(
                    "200",
                    json!({
                        "id": "c326db3d-2636-4997-a349-65f074977fff",
                        "slug": "what-is-an-ai-agent", "title": "What Is an AI Agent?",
                        "order": 1, "difficulty_level": "beginner", "estimated_minutes": 9,
                        "word_count": 1540,
                        "content": "# What Is an AI Agent?\n\nAn AI agent is a program that …",
                        "content_sha256":
                            "5f0c6e2d8e0d4c5b9a7f4c1e2b3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e",
                        "quiz_id": "8b6f6274-1961-40be-89f4-0e05186859aa",
                        "previous_chapter_id": null,
                        "next_chapter_id": "b26dfe6d-42ac-45e8-ae41-b56b8a235d4c",
                    }),
                )],
                more_responses: Some(not_modified),
                ..chapter("getChapter", &[403, 404])
            },
            chapter("getNextChapter", &[404]),
            chapter("getPreviousChapter", &[404]),
        ],
        bodies: Vec::new(),
    }
}
