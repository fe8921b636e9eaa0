//! In-memory catalogs of what only changes on import: chapter metadata (with each chapter's
//! neighbours and quiz) and quiz definitions. Serving a chapter or a quiz, and grading, then
//! touch no database; a re-import shows within the TTL.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use domain::{ChapterRef, Tier};
use persistence::{ChapterRecord, Database, StoredQuestion, StoredQuiz};
use uuid::Uuid;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::expiring::Expiring;

/// How long a loaded quiz catalog is used.
pub const CATALOG_TTL: Duration = Duration::from_secs(30);
/// How long a loaded chapter catalog is used: a re-import shows in reads within this time.
pub const CHAPTERS_TTL: Duration = Duration::from_secs(5);

/// A response serialised once and served many times, with its entity tag (the first 16
/// bytes of its SHA-256, hex).
#[derive(Debug, Clone)]
pub struct RenderedPage {
    pub json: Bytes,
    pub etag: String,
}

impl RenderedPage {
    pub fn render<T: Serialize>(value: &T) -> Result<Self, AppError> {
        let json = serde_json::to_vec(value).map_err(AppError::internal)?;
        let digest = Sha256::digest(&json);
        Ok(Self {
            json: Bytes::from(json),
            etag: hex::encode(digest.get(..16).unwrap_or_default()),
        })
    }
}

/// Every quiz, by id and in course order.
#[derive(Debug, Default)]
pub struct Catalog {
    pub ordered: Vec<Arc<StoredQuiz>>,
    by_id: HashMap<Uuid, Arc<StoredQuiz>>,
    /// Question id → its quiz and its index in the quiz's questions.
    by_question: HashMap<Uuid, (Arc<StoredQuiz>, usize)>,
}

impl Catalog {
    fn new(quizzes: Vec<StoredQuiz>) -> Self {
        let ordered: Vec<Arc<StoredQuiz>> = quizzes.into_iter().map(Arc::new).collect();
        let by_id = ordered.iter().map(|quiz| (quiz.id, Arc::clone(quiz))).collect();
        let by_question = ordered
            .iter()
            .flat_map(|quiz| {
                quiz.questions.iter().enumerate().map(|(i, q)| (q.id, (Arc::clone(quiz), i)))
            })
            .collect();
        Self { ordered, by_id, by_question }
    }

    pub fn find(&self, id: Uuid) -> Option<&Arc<StoredQuiz>> {
        self.by_id.get(&id)
    }

    /// The quiz that asks the question `id`, the question's index in it, and the question.
    pub fn question(&self, id: Uuid) -> Option<(&Arc<StoredQuiz>, usize, &StoredQuestion)> {
        self.by_question.get(&id).and_then(|(quiz, index)| {
            quiz.questions.get(*index).map(|question| (quiz, *index, question))
        })
    }
}

/// Shared by all workers.
#[derive(Debug, Clone)]
pub struct QuizCatalog {
    loaded: Arc<Expiring<Catalog>>,
}

impl Default for QuizCatalog {
    fn default() -> Self {
        Self { loaded: Arc::new(Expiring::new(CATALOG_TTL)) }
    }
}

impl QuizCatalog {
    pub async fn get(&self, db: &Database) -> Result<Arc<Catalog>, AppError> {
        self.loaded.get(|_| async { Ok(Arc::new(Catalog::new(db.load_quizzes().await?))) }).await
    }
}

/// Every chapter in course order, findable by id or slug, with its quiz.
#[derive(Debug, Default)]
pub struct Chapters {
    pub ordered: Vec<ChapterRecord>,
    by_id: HashMap<Uuid, usize>,
    by_slug: HashMap<String, usize>,
    quiz_of: HashMap<Uuid, Uuid>,
    /// The outline's JSON per tier, serialised on first use.
    outlines: [OnceLock<Bytes>; 3],
    /// Each chapter's response (same order as `ordered`), serialised on first read: serving
    /// a chapter is then a lookup, not 30 KB of JSON escaping and hashing per request.
    pages: Vec<OnceLock<RenderedPage>>,
}

impl Chapters {
    fn new(ordered: Vec<ChapterRecord>, quiz_of: HashMap<Uuid, Uuid>) -> Self {
        let by_id = ordered.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        let by_slug = ordered.iter().enumerate().map(|(i, c)| (c.slug.clone(), i)).collect();
        let pages = ordered.iter().map(|_| OnceLock::new()).collect();
        Self { ordered, by_id, by_slug, quiz_of, outlines: Default::default(), pages }
    }

    /// Whether this catalog holds exactly these chapters and quizzes.
    fn holds(&self, chapters: &[ChapterRecord], quiz_of: &HashMap<Uuid, Uuid>) -> bool {
        self.ordered == chapters && self.quiz_of == *quiz_of
    }

    fn position(&self, reference: &ChapterRef) -> Option<usize> {
        match reference {
            ChapterRef::Id(id) => self.by_id.get(id).copied(),
            ChapterRef::Slug(slug) => self.by_slug.get(slug).copied(),
        }
    }

    pub fn find(&self, reference: &ChapterRef) -> Option<&ChapterRecord> {
        self.position(reference).and_then(|i| self.ordered.get(i))
    }

    /// The chapters before and after the one at `reference`.
    pub fn neighbours(
        &self,
        reference: &ChapterRef,
    ) -> (Option<&ChapterRecord>, Option<&ChapterRecord>) {
        let Some(i) = self.position(reference) else { return (None, None) };
        (i.checked_sub(1).and_then(|p| self.ordered.get(p)), self.ordered.get(i + 1))
    }

    pub fn quiz_of(&self, chapter: Uuid) -> Option<Uuid> {
        self.quiz_of.get(&chapter).copied()
    }

    /// The response for the chapter at `reference`, rendered with `render` on first use.
    pub async fn page<F, Fut>(
        &self,
        reference: &ChapterRef,
        render: F,
    ) -> Result<Option<RenderedPage>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<RenderedPage, AppError>>,
    {
        let Some(i) = self.position(reference) else { return Ok(None) };
        let Some(slot) = self.pages.get(i) else { return Ok(None) };
        if let Some(page) = slot.get() {
            return Ok(Some(page.clone()));
        }
        let page = render().await?;
        Ok(Some(slot.get_or_init(|| page).clone()))
    }

    /// The outline JSON as a learner of `tier` sees it, built once per catalog.
    pub fn outline_json(
        &self,
        tier: Tier,
        build: impl FnOnce() -> Result<Bytes, AppError>,
    ) -> Result<Bytes, AppError> {
        let slot = match tier {
            Tier::Free => &self.outlines[0],
            Tier::Premium => &self.outlines[1],
            Tier::Pro => &self.outlines[2],
        };
        if let Some(json) = slot.get() {
            return Ok(json.clone());
        }
        let json = build()?;
        Ok(slot.get_or_init(|| json).clone())
    }
}

/// Shared by all workers.
#[derive(Debug, Clone)]
pub struct ChapterCatalog {
    loaded: Arc<Expiring<Chapters>>,
}

impl Default for ChapterCatalog {
    fn default() -> Self {
        Self { loaded: Arc::new(Expiring::new(CHAPTERS_TTL)) }
    }
}

impl ChapterCatalog {
    pub async fn get(&self, db: &Database) -> Result<Arc<Chapters>, AppError> {
        self.loaded
            .get(|previous| async move {
                let (chapters, quizzes) = tokio::join!(db.list_chapters(), db.list_quiz_chapters());
                let (chapters, quizzes) = (chapters?, quizzes?);
                let quiz_of = quizzes.into_iter().map(|(quiz, chapter)| (chapter, quiz)).collect();
                // Unchanged: keep the catalog, and with it the rendered pages and outlines.
                match previous {
                    Some(previous) if previous.holds(&chapters, &quiz_of) => Ok(previous),
                    _ => Ok(Arc::new(Chapters::new(chapters, quiz_of))),
                }
            })
            .await
    }
}
