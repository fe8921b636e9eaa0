//! Reading the course: the outline, one chapter verbatim (rendered once per catalog), and a
//! chapter's neighbours.

use std::sync::Arc;

use bytes::Bytes;
use domain::{AccessPolicy, ChapterRef, Tier};
use persistence::ChapterRecord;
use storage::ContentKey;
use uuid::Uuid;

use crate::auth::Caller;
use crate::catalog::{Chapters, RenderedPage};
use crate::core::Core;
use crate::error::AppError;

/// A chapter with its body and its place in the course, for a door to render.
#[derive(Debug)]
pub struct ChapterContent<'a> {
    pub chapter: &'a ChapterRecord,
    /// The markdown, byte for byte as authored.
    pub content: String,
    pub quiz_id: Option<Uuid>,
    pub previous: Option<&'a ChapterRecord>,
    pub next: Option<&'a ChapterRecord>,
}

/// The course, read.
#[derive(Debug, Clone, Copy)]
pub struct Course<'a> {
    pub(crate) core: &'a Core,
}

/// The chapter `text` names (a UUID or a slug), from the in-memory catalog; `field` is where
/// the caller sent it (what an `Invalid` names).
pub(crate) async fn find(
    core: &Core,
    field: &str,
    text: &str,
) -> Result<(Arc<Chapters>, ChapterRef), AppError> {
    let reference: ChapterRef = text
        .parse()
        .map_err(|error: domain::InvalidChapterRef| AppError::invalid(field, error.to_string()))?;
    let catalog = core.chapters.get(&core.db).await?;
    if catalog.find(&reference).is_none() {
        return Err(AppError::NotFound(format!("No chapter `{text}`.")));
    }
    Ok((catalog, reference))
}

impl Course<'_> {
    /// Which chapters each tier opens.
    pub fn policy(&self) -> AccessPolicy {
        self.core.policy
    }

    /// The outline as a learner of `tier` sees it, serialised by `render` once per catalog
    /// and tier.
    pub async fn outline(
        &self,
        tier: Tier,
        render: impl FnOnce(&[ChapterRecord]) -> Result<Bytes, AppError>,
    ) -> Result<Bytes, AppError> {
        let catalog = self.core.chapters.get(&self.core.db).await?;
        catalog.outline_json(tier, || render(&catalog.ordered))
    }

    /// The chapter `text` names, if the caller's tier opens it, rendered by `render` on
    /// first read; opening it makes it the caller's current chapter.
    pub async fn chapter(
        &self,
        caller: &Caller,
        field: &str,
        text: &str,
        render: impl FnOnce(ChapterContent<'_>) -> Result<RenderedPage, AppError>,
    ) -> Result<RenderedPage, AppError> {
        let core = self.core;
        let (catalog, reference) = find(core, field, text).await?;
        let not_found = || AppError::NotFound(format!("No chapter `{text}`."));
        let chapter = catalog.find(&reference).ok_or_else(not_found)?;
        core.require_access(caller.tier, chapter.order)?;
        // Noted in memory only: the read never waits on this write.
        core.activity.opened_chapter(caller.id, chapter.id);
        let page = catalog
            .page(&reference, || async {
                let key = ContentKey::parse(&chapter.content_key).ok_or_else(|| {
                    AppError::internal(format!("chapter {}: bad content key", chapter.id))
                })?;
                let body = core.store.get(&key).await?;
                let content = String::from_utf8(body.to_vec()).map_err(|_| {
                    AppError::internal(format!("chapter {}: body is not UTF-8", chapter.id))
                })?;
                let (previous, next) = catalog.neighbours(&ChapterRef::Id(chapter.id));
                render(ChapterContent {
                    chapter,
                    content,
                    quiz_id: catalog.quiz_of(chapter.id),
                    previous,
                    next,
                })
            })
            .await?;
        page.ok_or_else(not_found)
    }

    /// The chapter before or (`after`) after the one `text` names; `None` at either end.
    pub async fn neighbour(
        &self,
        field: &str,
        text: &str,
        after: bool,
    ) -> Result<Option<ChapterRecord>, AppError> {
        let (catalog, reference) = find(self.core, field, text).await?;
        let (previous, next) = catalog.neighbours(&reference);
        Ok(if after { next } else { previous }.cloned())
    }
}
