//! Searching the course, and keeping the in-memory index in step with it: built at start-up,
//! rebuilt when the chapters change (an import here, or one made by another process or
//! replica), and swapped in whole so that searches never wait on a rebuild.

use domain::AccessPolicy;
use persistence::{ChapterRecord, Database};
use search::{CourseIndex, CourseSearch, Found, Hit, IndexedChapter, LockedChapter};
use sha2::{Digest, Sha256};
use storage::{ContentKey, ContentStore};

use crate::auth::Caller;
use crate::core::Core;
use crate::error::AppError;

/// One result: a passage the caller may read, or a chapter their tier does not open, named
/// by title only.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchItem {
    Passage(Hit),
    Locked(LockedChapter),
}

/// A page of results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// The query as searched (trimmed).
    pub query: String,
    /// Results in all pages.
    pub total: usize,
    pub results: Vec<SearchItem>,
}

/// Search.
#[derive(Debug, Clone, Copy)]
pub struct Search<'a> {
    pub(crate) core: &'a Core,
}

impl Search<'_> {
    /// Ranked passages of the chapters the caller opens for `query` (one line, 2–200
    /// characters once trimmed), and the locked chapters whose title it names, first, by title
    /// only; `field` names the query in errors, as the door calls it.
    pub fn search(
        &self,
        caller: &Caller,
        field: &str,
        query: &str,
        limit: usize,
        offset: usize,
    ) -> Result<SearchResults, AppError> {
        domain::check_text(query, domain::TextKind::Line)
            .map_err(|problem| AppError::invalid(field, problem))?;
        let query = query.trim();
        if !(2..=200).contains(&query.chars().count()) {
            return Err(AppError::invalid(field, "must be 2 to 200 characters once trimmed"));
        }
        if !(1..=50).contains(&limit) {
            return Err(AppError::invalid("limit", "must be 1 to 50"));
        }
        let index = self.core.search.current();
        if !index.is_built() {
            return Err(AppError::Unavailable(
                "The search index is being built; try again in a few seconds.".into(),
            ));
        }
        let policy = self.core.policy;
        let page = index
            .search(query, policy.opens_up_to(caller.tier), limit, offset)
            .map_err(AppError::internal)?;
        let results = page
            .results
            .into_iter()
            .map(|found| match found {
                // The index searched only the chapters the caller opens; checked again all
                // the same, since a passage of a locked chapter must never leave the server.
                Found::Passage(hit) if policy.decide(caller.tier, hit.chapter_order).granted => {
                    SearchItem::Passage(hit)
                }
                Found::Passage(hit) => SearchItem::Locked(LockedChapter {
                    chapter_id: hit.chapter_id,
                    chapter_slug: hit.chapter_slug,
                    chapter_title: hit.chapter_title,
                    chapter_order: hit.chapter_order,
                }),
                Found::Locked(chapter) => SearchItem::Locked(chapter),
            })
            .collect();
        Ok(SearchResults { query: query.to_owned(), total: page.total, results })
    }

    /// Rebuilds the index if the chapters changed since it was built; returns whether it did.
    pub async fn refresh(&self) -> Result<bool, AppError> {
        refresh(&self.core.db, &self.core.store, &self.core.search).await
    }
}

/// Names the content an index is built from: ids, orders, titles and body hashes.
fn fingerprint(chapters: &[ChapterRecord]) -> String {
    let mut hasher = Sha256::new();
    for chapter in chapters {
        hasher.update(chapter.id.as_bytes());
        hasher.update(chapter.order.to_be_bytes());
        hasher.update(chapter.title.as_bytes());
        hasher.update(chapter.content_sha256.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// A chapter with its body, as the index takes it.
async fn indexed_chapter(
    store: &ContentStore,
    chapter: ChapterRecord,
) -> Result<IndexedChapter, AppError> {
    let key = ContentKey::parse(&chapter.content_key)
        .ok_or_else(|| AppError::internal(format!("chapter {}: bad content key", chapter.id)))?;
    let body = store.get_passing(&key).await?;
    Ok(IndexedChapter {
        id: chapter.id,
        slug: chapter.slug,
        title: chapter.title,
        order: chapter.order,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// An index of nothing, to start from; it and its rebuilds keep a second index of the
/// chapters a free learner opens under `policy`.
pub(crate) fn empty(policy: AccessPolicy) -> Result<CourseSearch, AppError> {
    let index = CourseIndex::build(&[] as &[IndexedChapter], policy.free_chapters, String::new())
        .map_err(AppError::internal)?;
    Ok(CourseSearch::new(index))
}

async fn refresh(
    db: &Database,
    store: &ContentStore,
    search: &CourseSearch,
) -> Result<bool, AppError> {
    let chapters = db.list_chapters().await?;
    let fingerprint = fingerprint(&chapters);
    if search.current().fingerprint() == fingerprint {
        return Ok(false);
    }
    // Each body is fetched as the index takes it, so they are never all in memory at once.
    let runtime = tokio::runtime::Handle::current();
    let store = store.clone();
    let limited_to = search.current().limited_to();
    let build = move || {
        let mut failure = None;
        let bodies = chapters.into_iter().map_while(|chapter| {
            match runtime.block_on(indexed_chapter(&store, chapter)) {
                Ok(indexed) => Some(indexed),
                Err(error) => {
                    failure = Some(error);
                    None
                }
            }
        });
        let index = CourseIndex::build(bodies, limited_to, fingerprint);
        match failure {
            Some(error) => Err(error),
            None => index.map_err(AppError::internal),
        }
    };
    let index = tokio::task::spawn_blocking(build).await.map_err(AppError::internal)??;
    search.replace(index);
    Ok(true)
}
