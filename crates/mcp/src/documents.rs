//! The course's documents as both doors serve them: the outline and a chapter, rendered into
//! the application's shared cache of rendered documents.

use app::{App, AppError, Caller, RenderedPage};
use serde::Deserialize;
use serde_json::Value;

use crate::views::{ChapterDetail, ChapterList, ChapterSummary};

/// The outline document (the REST door's `GET /chapters` body), from the shared cache.
pub(crate) async fn outline_document(app: &App, caller: &Caller) -> Result<Value, AppError> {
    let course = app.course();
    let policy = course.policy();
    let json = course
        .outline(caller.tier, |chapters| {
            let items: Vec<ChapterSummary> = chapters
                .iter()
                .map(|chapter| ChapterSummary::new(chapter, caller.tier, policy))
                .collect();
            let list = ChapterList { total: items.len(), items };
            serde_json::to_vec(&list).map(Into::into).map_err(AppError::internal)
        })
        .await?;
    serde_json::from_slice(&json).map_err(AppError::internal)
}

/// The chapter `text` names as its document (the REST door's `GET /chapters/{ref}` body),
/// from the shared cache; `field` names the argument in errors.
pub(crate) async fn chapter_page(
    app: &App,
    caller: &Caller,
    field: &str,
    text: &str,
) -> Result<RenderedPage, AppError> {
    app.course()
        .chapter(caller, field, text, |found| {
            let chapter = found.chapter;
            RenderedPage::render(&ChapterDetail {
                id: chapter.id,
                slug: chapter.slug.clone(),
                title: chapter.title.clone(),
                order: chapter.order,
                difficulty_level: chapter.difficulty.as_str().to_owned(),
                estimated_minutes: chapter.estimated_minutes,
                word_count: chapter.word_count,
                content: found.content,
                content_sha256: chapter.content_sha256.clone(),
                quiz_id: found.quiz_id,
                previous_chapter_id: found.previous.map(|c| c.id),
                next_chapter_id: found.next.map(|c| c.id),
            })
        })
        .await
}

/// The part of a chapter document a resource serves.
#[derive(Debug, Deserialize)]
pub(crate) struct ChapterDocument {
    pub content: String,
}
