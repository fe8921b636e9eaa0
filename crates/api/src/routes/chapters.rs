//! Reading the course: the outline, one chapter verbatim, and its neighbours.

use app::{AppError, ChapterContent, ChapterRecord, RenderedPage};
use bytes::Bytes;
use domain::{AccessPolicy, Difficulty, Tier};
use paperclip::actix::web::{Data, Json, Path};
use paperclip::actix::{Apiv2Schema, api_v2_operation};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::Caller;
use crate::dto::TierName;
use crate::error::ApiError;
use crate::responders::{JsonBytes, Tagged};
use crate::state::AppState;

/// Difficulty label a chapter's author gave it.
#[derive(Debug, Clone, Copy, Serialize, Apiv2Schema)]
#[serde(rename_all = "snake_case")]
pub enum DifficultyLevel {
    Beginner,
    Intermediate,
    Advanced,
}

impl From<Difficulty> for DifficultyLevel {
    fn from(difficulty: Difficulty) -> Self {
        match difficulty {
            Difficulty::Beginner => Self::Beginner,
            Difficulty::Intermediate => Self::Intermediate,
            Difficulty::Advanced => Self::Advanced,
        }
    }
}

/// A chapter's metadata, without its content, and whether the caller may open it.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ChapterSummary {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    /// Position in the course, from 1.
    pub order: u32,
    pub difficulty_level: DifficultyLevel,
    /// Estimated reading time in minutes.
    pub estimated_minutes: u32,
    pub word_count: u32,
    /// True when the caller's tier does not open this chapter.
    pub locked: bool,
    /// The lowest tier that opens this chapter.
    pub required_tier: TierName,
}

impl ChapterSummary {
    /// The summary as seen by a learner of `tier`.
    pub(crate) fn new(chapter: &ChapterRecord, tier: Tier, policy: AccessPolicy) -> Self {
        let access = policy.decide(tier, chapter.order);
        Self {
            id: chapter.id,
            slug: chapter.slug.clone(),
            title: chapter.title.clone(),
            order: chapter.order,
            difficulty_level: chapter.difficulty.into(),
            estimated_minutes: chapter.estimated_minutes,
            word_count: chapter.word_count,
            locked: !access.granted,
            required_tier: access.required_tier.into(),
        }
    }
}

/// The course outline, in order.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ChapterList {
    pub items: Vec<ChapterSummary>,
    pub total: usize,
}

/// One chapter with its markdown exactly as authored.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ChapterDetail {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub order: u32,
    pub difficulty_level: DifficultyLevel,
    pub estimated_minutes: u32,
    pub word_count: u32,
    /// The chapter body in markdown, byte for byte as the author wrote it.
    pub content: String,
    /// SHA-256 of `content`, hex.
    pub content_sha256: String,
    /// The chapter's quiz, if it has one.
    pub quiz_id: Option<Uuid>,
    pub previous_chapter_id: Option<Uuid>,
    pub next_chapter_id: Option<Uuid>,
}

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
            let items: Vec<ChapterSummary> = chapters
                .iter()
                .map(|chapter| ChapterSummary::new(chapter, caller.tier, policy))
                .collect();
            let list = ChapterList { total: items.len(), items };
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
    let chapter = found.chapter;
    RenderedPage::render(&ChapterDetail {
        id: chapter.id,
        slug: chapter.slug.clone(),
        title: chapter.title.clone(),
        order: chapter.order,
        difficulty_level: chapter.difficulty.into(),
        estimated_minutes: chapter.estimated_minutes,
        word_count: chapter.word_count,
        content: found.content,
        content_sha256: chapter.content_sha256.clone(),
        quiz_id: found.quiz_id,
        previous_chapter_id: found.previous.map(|c| c.id),
        next_chapter_id: found.next.map(|c| c.id),
    })
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
