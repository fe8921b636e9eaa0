//! The course as each reader may search it.
//!
//! A reader who opens only the first chapters (a free learner) must not learn anything about
//! the text of the others, not even by probing phrases: whether a locked chapter is listed,
//! where, with what score, and how many results there are would each confirm that its text
//! holds the words. So such a reader's search runs on an index of the chapters they open
//! alone (its ranks, scores and counts come from that text and nothing else), and locked
//! chapters are listed by their titles, which the outline shows anyway: a locked chapter is
//! listed, once and unscored, when the query names a word of its title.

use std::borrow::Borrow;
use std::collections::{BTreeSet, HashMap};

use uuid::Uuid;

use crate::index::{Hit, IndexBuilder, SearchIndex};
use crate::query::{MAX_WORDS, units};
use crate::{IndexedChapter, SearchError};

/// Words that say nothing about a chapter's topic, as the index stems them: a title holding
/// one is not listed for it.
const STOP_WORDS: [&str; 40] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "doe", "for", "from",
    "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "not", "of", "on", "or",
    "the", "this", "to", "was", "what", "when", "where", "which", "who", "whi", "why", "with",
];

/// A chapter a reader does not open, listed by its title alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedChapter {
    pub chapter_id: Uuid,
    pub chapter_slug: String,
    pub chapter_title: String,
    pub chapter_order: u32,
}

/// One result: a passage the reader may read, or a locked chapter.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    Passage(Hit),
    Locked(LockedChapter),
}

/// A page of results and how many there are in all.
#[derive(Debug, Clone, PartialEq)]
pub struct CoursePage {
    pub total: usize,
    pub results: Vec<Found>,
}

/// A chapter past the limited reader's reach, with the words of its title.
#[derive(Debug)]
struct Titled {
    chapter: LockedChapter,
    words: BTreeSet<String>,
}

/// The indexes of one course: every chapter, and the chapters a limited reader opens.
pub struct CourseIndex {
    whole: SearchIndex,
    /// Only the chapters with order ≤ `limited_to`.
    limited: SearchIndex,
    limited_to: u32,
    /// The chapters past `limited_to`, in course order.
    locked: Vec<Titled>,
    /// How many chapter titles hold each title word.
    title_words: HashMap<String, usize>,
    chapters: usize,
}

impl std::fmt::Debug for CourseIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CourseIndex")
            .field("whole", &self.whole)
            .field("limited_to", &self.limited_to)
            .finish_non_exhaustive()
    }
}

impl CourseIndex {
    /// Indexes `chapters` (taken one at a time, as [`SearchIndex::build`] does) for every
    /// reader, and those with order ≤ `limited_to` for a limited reader.
    pub fn build<C: Borrow<IndexedChapter>>(
        chapters: impl IntoIterator<Item = C>,
        limited_to: u32,
        fingerprint: String,
    ) -> Result<Self, SearchError> {
        let mut whole = IndexBuilder::new()?;
        let mut limited = IndexBuilder::new()?;
        let mut titles = Vec::new();
        for chapter in chapters {
            let chapter = chapter.borrow();
            whole.add(chapter)?;
            if chapter.order <= limited_to {
                limited.add(chapter)?;
            }
            titles.push(LockedChapter {
                chapter_id: chapter.id,
                chapter_slug: chapter.slug.clone(),
                chapter_title: chapter.title.clone(),
                chapter_order: chapter.order,
            });
        }
        let whole = whole.finish(fingerprint.clone())?;
        let limited = limited.finish(fingerprint)?;
        let mut title_words: HashMap<String, usize> = HashMap::new();
        let mut locked = Vec::new();
        let chapters = titles.len();
        for chapter in titles {
            let words: BTreeSet<String> = whole.words(&chapter.chapter_title).into_iter().collect();
            for word in &words {
                *title_words.entry(word.clone()).or_default() += 1;
            }
            if chapter.chapter_order > limited_to {
                locked.push(Titled { chapter, words });
            }
        }
        locked.sort_by_key(|titled| titled.chapter.chapter_order);
        Ok(Self { whole, limited, limited_to, locked, title_words, chapters })
    }

    /// The highest chapter order a limited reader opens.
    pub fn limited_to(&self) -> u32 {
        self.limited_to
    }

    pub fn fingerprint(&self) -> &str {
        self.whole.fingerprint()
    }

    /// False for the placeholder that stands in until the first build (empty fingerprint).
    pub fn is_built(&self) -> bool {
        self.whole.is_built()
    }

    pub fn section_count(&self) -> usize {
        self.whole.section_count()
    }

    /// Bytes of both indexes, and of the section text they keep for snippets.
    pub fn memory_bytes(&self) -> (u64, u64) {
        let (whole_index, whole_text) = self.whole.memory_bytes();
        let (limited_index, limited_text) = self.limited.memory_bytes();
        (whole_index + limited_index, whole_text + limited_text)
    }

    /// `limit` results from `offset` for a reader who opens the chapters up to order
    /// `opens_up_to` (`None`: every chapter). A limited reader gets the locked chapters whose
    /// title the query names first, in course order, then the ranked passages of the chapters
    /// they open; `total` counts both.
    pub fn search(
        &self,
        text: &str,
        opens_up_to: Option<u32>,
        limit: usize,
        offset: usize,
    ) -> Result<CoursePage, SearchError> {
        let Some(up_to) = opens_up_to else {
            let page = self.whole.search(text, limit, offset)?;
            let results = page.hits.iter().cloned().map(Found::Passage).collect();
            return Ok(CoursePage { total: page.total, results });
        };
        if up_to != self.limited_to {
            return Err(SearchError::Reach { asked: up_to, built: self.limited_to });
        }
        let locked = self.locked_by_title(text);
        let mut results: Vec<Found> =
            locked.iter().skip(offset).take(limit).map(|c| Found::Locked((*c).clone())).collect();
        let open_limit = limit.saturating_sub(results.len());
        let open_offset = offset.saturating_sub(locked.len());
        // Asked for one at least: the count comes with a page.
        let page = self.limited.search(text, open_limit.max(1), open_offset)?;
        results.extend(page.hits.iter().take(open_limit).cloned().map(Found::Passage));
        Ok(CoursePage { total: locked.len() + page.total, results })
    }

    /// The locked chapters whose title holds a word of the query that says something: not a
    /// stop word, and in fewer than half of the course's titles (not `agent` in a course on
    /// agents).
    fn locked_by_title(&self, text: &str) -> Vec<&LockedChapter> {
        let mut words = BTreeSet::new();
        for unit in units(text) {
            words.extend(self.whole.words(unit.text));
            if words.len() >= MAX_WORDS {
                break;
            }
        }
        words.retain(|word| {
            !STOP_WORDS.contains(&word.as_str())
                && self.title_words.get(word).is_some_and(|titles| titles * 2 < self.chapters)
        });
        self.locked
            .iter()
            .filter(|titled| !titled.words.is_disjoint(&words))
            .map(|titled| &titled.chapter)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter(order: u32, title: &str, body: &str) -> IndexedChapter {
        IndexedChapter {
            id: Uuid::from_u128(u128::from(order)),
            slug: format!("chapter-{order}"),
            title: title.into(),
            order,
            body: body.into(),
        }
    }

    /// Two open chapters and two locked ones (orders 3 and 4) whose text is `locked_text`.
    fn course(locked_text: &str) -> CourseIndex {
        let chapters = [
            chapter(1, "Retries and budgets", "## Budgets\n\nThe retry budget of a call.\n"),
            chapter(2, "Tools", "## Calling a tool\n\nA tool call returns a result.\n"),
            chapter(3, "Memory for agents", &format!("## Stores\n\n{locked_text}\n")),
            chapter(4, "Evaluating agents", &format!("## Datasets\n\n{locked_text}\n")),
        ];
        CourseIndex::build(&chapters, 2, "test".into()).unwrap()
    }

    #[test]
    fn a_limited_readers_results_do_not_depend_on_the_text_of_locked_chapters() {
        let plain = course("Nothing to see here.");
        let secret = course("The secret password is swordfish; retry budget tool call result.");
        for probe in [
            "swordfish",
            "\"secret password\"",
            "the secret password is swordfish",
            "retry budget",
            "tool call result",
            "swordfsh",
        ] {
            for (limit, offset) in [(10, 0), (1, 0), (2, 1)] {
                assert_eq!(
                    plain.search(probe, Some(2), limit, offset).unwrap(),
                    secret.search(probe, Some(2), limit, offset).unwrap(),
                    "{probe} ({limit}, {offset})"
                );
            }
        }
        // The reader who opens everything does find it.
        assert_eq!(secret.search("swordfish", None, 10, 0).unwrap().total, 2);
        assert_eq!(plain.search("swordfish", None, 10, 0).unwrap().total, 0);
    }

    #[test]
    fn a_locked_chapter_is_listed_once_unscored_when_the_query_names_its_title() {
        let index = course("Vector stores keep memories.");
        let page = index.search("how do agents remember with memory", Some(2), 10, 0).unwrap();
        assert_eq!(page.total, 1, "{page:?}");
        match page.results.as_slice() {
            [Found::Locked(chapter)] => assert_eq!(chapter.chapter_slug, "chapter-3"),
            other => panic!("expected one locked chapter, got {other:?}"),
        }
        // `agents` is in half the titles, `for` and `and` are stop words: no listing.
        let page = index.search("agents for and", Some(2), 10, 0).unwrap();
        assert!(page.results.iter().all(|found| matches!(found, Found::Passage(_))), "{page:?}");
    }

    #[test]
    fn locked_chapters_come_first_and_pages_run_on_into_the_passages() {
        let index = course("Anything.");
        let all = index.search("memory evaluating retry tools", Some(2), 10, 0).unwrap();
        let kinds: Vec<bool> =
            all.results.iter().map(|found| matches!(found, Found::Locked(_))).collect();
        assert_eq!(kinds, [true, true, false, false], "{all:?}");
        assert_eq!(all.total, 4);
        // Which chapter each result names (a short page may rank without the typo pass, so
        // scores can differ between page sizes; the order does not).
        let chapters = |results: &[Found]| -> Vec<u32> {
            results
                .iter()
                .map(|found| match found {
                    Found::Locked(chapter) => chapter.chapter_order,
                    Found::Passage(hit) => hit.chapter_order,
                })
                .collect()
        };
        for offset in 0..4 {
            let page = index.search("memory evaluating retry tools", Some(2), 1, offset).unwrap();
            assert_eq!(chapters(&page.results), chapters(&all.results[offset..=offset]));
            assert_eq!(page.total, 4);
        }
    }

    #[test]
    fn a_reader_who_opens_everything_gets_every_chapters_passages() {
        let index = course("Vector stores keep memories.");
        let page = index.search("memories", None, 10, 0).unwrap();
        assert!(matches!(page.results.as_slice(), [Found::Passage(_), Found::Passage(_)]));
        assert!(index.search("memories", Some(5), 10, 0).is_err(), "built for another limit");
    }
}
