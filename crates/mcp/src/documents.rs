//! The course's documents as both doors serve them: the outline and a chapter, rendered into
//! the application's shared cache of rendered documents.

use app::{App, AppError, Caller, RenderedPage};
use serde::Deserialize;
use serde_json::Value;

use views::{ChapterDetail, ChapterList};

/// The outline document (the REST door's `GET /chapters` body), from the shared cache.
pub(crate) async fn outline_document(app: &App, caller: &Caller) -> Result<Value, AppError> {
    let course = app.course();
    let policy = course.policy();
    let json = course
        .outline(caller.tier, |chapters| {
            let list = ChapterList::new(chapters, caller.tier, policy);
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
        .chapter(caller, field, text, |found| RenderedPage::render(&ChapterDetail::from(found)))
        .await
}

/// The part of a chapter document a resource serves.
#[derive(Debug, Deserialize)]
pub(crate) struct ChapterDocument {
    pub content: String,
}
