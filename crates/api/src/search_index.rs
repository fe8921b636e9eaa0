//! Keeping the in-memory search index in step with the course: built at start-up, rebuilt
//! when the chapters change (an import here, or one made by another process or replica),
//! and swapped in whole so that searches never wait on a rebuild.

use domain::AccessPolicy;
use persistence::{ChapterRecord, Database};
use search::{CourseIndex, CourseSearch, IndexedChapter};
use sha2::{Digest, Sha256};
use storage::{ContentKey, ContentStore};

use crate::ApiError;

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
) -> Result<IndexedChapter, ApiError> {
    let key = ContentKey::parse(&chapter.content_key)
        .ok_or_else(|| ApiError::internal(format!("chapter {}: bad content key", chapter.id)))?;
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
pub fn empty(policy: AccessPolicy) -> Result<CourseSearch, ApiError> {
    let index = CourseIndex::build(&[] as &[IndexedChapter], policy.free_chapters, String::new())
        .map_err(ApiError::internal)?;
    Ok(CourseSearch::new(index))
}

/// Rebuilds the index if the chapters changed since it was built; returns whether it did.
pub async fn refresh(
    db: &Database,
    store: &ContentStore,
    search: &CourseSearch,
) -> Result<bool, ApiError> {
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
            None => index.map_err(ApiError::internal),
        }
    };
    let index = tokio::task::spawn_blocking(build).await.map_err(ApiError::internal)??;
    search.replace(index);
    Ok(true)
}
