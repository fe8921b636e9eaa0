//! Course search: ranked passages with honest snippets.
//!
//! What lives here: reading a query by a whitelist (words, quoted phrases, identifiers) within
//! fixed bounds, splitting chapters into sections at their headings, the in-memory tantivy
//! index over them (English stemming, title and heading boosts, quoted phrases, typo
//! tolerance for longer words), term-at-a-time ranking of plain queries with tantivy's BM25,
//! snippets that quote the original text, a second index for readers who open only the first
//! chapters ([`CourseIndex`]), and [`CourseSearch`], which swaps in a rebuilt index
//! atomically. What does not: where chapters come from (the caller hands in their text), which
//! chapters a reader opens (the caller says).

mod course;
mod index;
mod query;
mod rank;
mod sections;
mod snippet;

use std::sync::{Arc, RwLock};

pub use course::{CourseIndex, CoursePage, Found, LockedChapter};
pub use index::{Hit, SearchIndex, SearchPage};
pub use sections::{Section, split_sections};
use uuid::Uuid;

/// A chapter to index: its identity, course order and markdown body.
#[derive(Debug, Clone)]
pub struct IndexedChapter {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub order: u32,
    pub body: String,
}

/// What can go wrong while building or querying an index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("the index was built for readers who open chapters up to {built}, not {asked}")]
    Reach { asked: u32, built: u32 },
}

/// The live index, replaced whole by a rebuild so that searches never see a half-built one.
#[derive(Clone)]
pub struct CourseSearch {
    current: Arc<RwLock<Arc<CourseIndex>>>,
}

impl std::fmt::Debug for CourseSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CourseSearch").field("fingerprint", &self.current().fingerprint()).finish()
    }
}

impl CourseSearch {
    pub fn new(index: CourseIndex) -> Self {
        Self { current: Arc::new(RwLock::new(Arc::new(index))) }
    }

    /// The index searches use now; a rebuild never blocks it.
    pub fn current(&self) -> Arc<CourseIndex> {
        Arc::clone(&self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Swaps in a newly built index.
    pub fn replace(&self, index: CourseIndex) {
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(index);
    }
}
