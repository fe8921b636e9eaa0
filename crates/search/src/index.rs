//! The tantivy index over sections, and querying it.

use std::borrow::Borrow;
use std::ops::Range;
use std::sync::Arc;

use quick_cache::Weighter;
use quick_cache::sync::Cache;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, QueryParser};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, TantivyDocument, Term, doc};
use uuid::Uuid;

use crate::sections::{Section, split_sections};
use crate::snippet::render;
use crate::{IndexedChapter, SearchError};

const STEMMED: &str = "en_stem";
const PLAIN: &str = "default";
/// Boosts: a match in a heading says more than one in a chapter title, which says more than
/// one in running text; a typo-tolerant match ranks below every exact one.
const HEADING_BOOST: f32 = 3.0;
const TITLE_BOOST: f32 = 2.0;
const FUZZY_BOOST: f32 = 0.3;
/// Words at least this long also match with one typo.
const FUZZY_MIN_CHARS: usize = 5;
/// The fragment tantivy picks; rendering adds markers and ellipses within 300 characters.
const FRAGMENT_CHARS: usize = 220;

/// One indexed section with the chapter it belongs to.
#[derive(Debug, Clone)]
struct Entry {
    chapter_id: Uuid,
    chapter_slug: String,
    chapter_title: String,
    chapter_order: u32,
    section: Section,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    entry: Field,
    title: Field,
    heading: Field,
    body: Field,
    body_plain: Field,
}

/// An immutable, searchable index of a course's sections.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    entries: Vec<Entry>,
    fingerprint: String,
    /// Pages already answered, by normalised query, limit and offset. An index never
    /// changes, so its answers never go stale; a rebuild starts with an empty cache.
    results: Cache<ResultKey, Arc<SearchPage>, PageWeight>,
}

type ResultKey = (String, usize, usize);

/// Bytes of cached result pages per index, and how many pages that is about.
const RESULT_CACHE_BYTES: u64 = 8 * 1024 * 1024;
const RESULT_CACHE_ITEMS: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct PageWeight;

impl Weighter<ResultKey, Arc<SearchPage>> for PageWeight {
    fn weight(&self, key: &ResultKey, page: &Arc<SearchPage>) -> u64 {
        let hits: usize = page
            .hits
            .iter()
            .map(|hit| {
                96 + hit.chapter_slug.len()
                    + hit.chapter_title.len()
                    + hit.section.len()
                    + hit.section_anchor.len()
                    + hit.snippet.len()
            })
            .sum();
        (key.0.len() + hits + 64) as u64
    }
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("sections", &self.entries.len())
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// One ranked section.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub chapter_id: Uuid,
    pub chapter_slug: String,
    pub chapter_title: String,
    pub chapter_order: u32,
    pub section: String,
    pub section_anchor: String,
    /// The original text around the best matches, matches in `**`.
    pub snippet: String,
    pub score: f32,
}

/// A page of results and how many sections matched in all.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    pub total: usize,
    pub hits: Vec<Hit>,
}

/// An indexed, unstored text field; `positions` for fields phrases are matched against.
fn text(tokenizer: &str, positions: bool) -> TextOptions {
    let record = if positions {
        IndexRecordOption::WithFreqsAndPositions
    } else {
        IndexRecordOption::WithFreqs
    };
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(record),
    )
}

impl SearchIndex {
    /// Indexes every section of `chapters`, taking them one at a time (a caller may fetch
    /// each body as it goes, so that they are never all in memory at once). `fingerprint`
    /// names the content it was built from, so a caller can tell when a rebuild is due.
    pub fn build<C: Borrow<IndexedChapter>>(
        chapters: impl IntoIterator<Item = C>,
        fingerprint: String,
    ) -> Result<Self, SearchError> {
        let mut schema = Schema::builder();
        let fields = Fields {
            entry: schema.add_u64_field("entry", STORED),
            title: schema.add_text_field("title", text(STEMMED, true)),
            heading: schema.add_text_field("heading", text(STEMMED, true)),
            body: schema.add_text_field("body", text(STEMMED, true)),
            // Only one-typo term matches read it: no phrases, so no positions to keep.
            body_plain: schema.add_text_field("body_plain", text(PLAIN, false)),
        };
        let index = Index::create_in_ram(schema.build());
        // Tantivy's smallest indexing budget: a larger one only raises the start-up peak.
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 15_000_000)?;
        let mut entries = Vec::new();
        for chapter in chapters {
            let chapter = chapter.borrow();
            for section in split_sections(&chapter.title, &chapter.body) {
                writer.add_document(doc!(
                    fields.entry => entries.len() as u64,
                    fields.title => chapter.title.as_str(),
                    fields.heading => section.heading.as_str(),
                    fields.body => section.text.as_str(),
                    fields.body_plain => section.text.as_str(),
                ))?;
                entries.push(Entry {
                    chapter_id: chapter.id,
                    chapter_slug: chapter.slug.clone(),
                    chapter_title: chapter.title.clone(),
                    chapter_order: chapter.order,
                    section,
                });
            }
        }
        writer.commit()?;
        let reader = index.reader()?;
        let results = Cache::with_weighter(RESULT_CACHE_ITEMS, RESULT_CACHE_BYTES, PageWeight);
        Ok(Self { index, reader, fields, entries, fingerprint, results })
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// False for the placeholder that stands in until the first build (empty fingerprint).
    pub fn is_built(&self) -> bool {
        !self.fingerprint.is_empty()
    }

    pub fn section_count(&self) -> usize {
        self.entries.len()
    }

    /// Bytes the index itself holds (postings, positions, term dictionaries), and bytes of
    /// section text kept for snippets.
    pub fn memory_bytes(&self) -> (u64, u64) {
        let index =
            self.reader.searcher().space_usage().map_or(0, |usage| usage.total().get_bytes());
        let text = self.entries.iter().map(|entry| entry.section.text.len() as u64).sum();
        (index, text)
    }

    fn exact_query(&self, text: &str) -> Box<dyn Query> {
        let Fields { title, heading, body, .. } = self.fields;
        let mut parser = QueryParser::for_index(&self.index, vec![title, heading, body]);
        parser.set_field_boost(heading, HEADING_BOOST);
        parser.set_field_boost(title, TITLE_BOOST);
        // Lenient: a stray `:` or unbalanced quote in a learner's question is not an error.
        parser.parse_query_lenient(text).0
    }

    /// The exact query plus one-typo matches of the longer words, boosted below exact ones.
    fn tolerant_query(&self, text: &str, exact: &dyn Query) -> Box<dyn Query> {
        let body_plain = self.fields.body_plain;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, exact.box_clone())];
        let outside_quotes = text.split('"').step_by(2).collect::<Vec<_>>().join(" ");
        for word in outside_quotes.split(|c: char| !c.is_alphanumeric()) {
            if word.chars().count() >= FUZZY_MIN_CHARS && word.chars().all(char::is_alphabetic) {
                let term = Term::from_field_text(body_plain, &word.to_lowercase());
                let fuzzy = FuzzyTermQuery::new(term, 1, true);
                clauses
                    .push((Occur::Should, Box::new(BoostQuery::new(Box::new(fuzzy), FUZZY_BOOST))));
            }
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// Ranked sections for `text`, `limit` from `offset`.
    /// A page of results, from the cache when this index answered the same query before.
    /// The query's case and spacing do not matter (matching ignores them).
    pub fn search(
        &self,
        text: &str,
        limit: usize,
        offset: usize,
    ) -> Result<Arc<SearchPage>, SearchError> {
        let key =
            (text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase(), limit, offset);
        if let Some(page) = self.results.get(&key) {
            return Ok(page);
        }
        let page = Arc::new(self.run_query(text, limit, offset)?);
        self.results.insert(key, Arc::clone(&page));
        Ok(page)
    }

    fn run_query(
        &self,
        text: &str,
        limit: usize,
        offset: usize,
    ) -> Result<SearchPage, SearchError> {
        let searcher = self.reader.searcher();
        let exact = self.exact_query(text);
        let top = || TopDocs::with_limit(limit.max(1)).and_offset(offset).order_by_score();
        let (mut total, mut ranked) = searcher.search(&*exact, &(Count, top()))?;
        // Typo tolerance only when exact matches do not fill the page: it could only add
        // results ranked below them, and it costs the most on common words.
        if total < offset + limit.max(1) {
            (total, ranked) =
                searcher.search(&*self.tolerant_query(text, &*exact), &(Count, top()))?;
        }
        let mut snippets = SnippetGenerator::create(&searcher, &*exact, self.fields.body)?;
        snippets.set_max_num_chars(FRAGMENT_CHARS);
        let mut stems = Vec::new();
        exact.query_terms(&mut |term, _| {
            if term.field() == self.fields.body
                && let Some(stem) = term.value().as_str()
            {
                stems.push(stem.to_owned());
            }
        });
        let mut hits = Vec::with_capacity(ranked.len());
        for (score, address) in ranked {
            let document: TantivyDocument = searcher.doc(address)?;
            let number = document.get_first(self.fields.entry).and_then(|v| v.as_u64());
            let Some(entry) =
                number.and_then(|n| usize::try_from(n).ok()).and_then(|n| self.entries.get(n))
            else {
                continue;
            };
            // Stemming a whole section to find its best fragment was most of a search's cost;
            // only the region where the query's words occur is handed to the generator.
            let window = snippet_window(&entry.section.text, &stems);
            let region = entry.section.text.get(window.clone()).unwrap_or_default();
            let snippet = snippets.snippet(region);
            let fragment = snippet.fragment_range();
            hits.push(Hit {
                chapter_id: entry.chapter_id,
                chapter_slug: entry.chapter_slug.clone(),
                chapter_title: entry.chapter_title.clone(),
                chapter_order: entry.chapter_order,
                section: entry.section.heading.clone(),
                section_anchor: entry.section.anchor.clone(),
                snippet: render(
                    &entry.section.text,
                    fragment.start + window.start..fragment.end + window.start,
                    snippet.highlighted(),
                ),
                score,
            });
        }
        Ok(SearchPage { total, hits })
    }
}

/// Bytes of text around the densest cluster of query words that the snippet generator
/// gets to choose its fragment from: comfortably more than a fragment.
const WINDOW_BEFORE: usize = FRAGMENT_CHARS;
const WINDOW_AFTER: usize = 2 * FRAGMENT_CHARS;

/// The part of `text` where the most distinct `stems` start words, widened to whitespace;
/// all of `text` when none does (the generator then decides, as before). A stem is matched
/// as a word prefix, less its last letter (English stems may end in `i` for a `y`), on ASCII
/// lowercase, which keeps byte offsets.
fn snippet_window(text: &str, stems: &[String]) -> Range<usize> {
    let lower = text.to_ascii_lowercase();
    let mut starts: Vec<(usize, usize)> = Vec::new();
    for (number, stem) in stems.iter().enumerate() {
        let prefix = match stem.char_indices().nth(3) {
            Some(_) => stem.get(..stem.len() - stem.chars().last().map_or(0, char::len_utf8)),
            None => Some(stem.as_str()),
        };
        let Some(prefix) = prefix.filter(|p| !p.is_empty()) else { continue };
        for (at, _) in lower.match_indices(prefix).take(64) {
            let before = lower.get(..at).and_then(|head| head.chars().next_back());
            let word_start = before.is_none_or(|before| !before.is_alphanumeric());
            if word_start {
                starts.push((at, number));
            }
        }
    }
    if starts.is_empty() {
        return 0..text.len();
    }
    starts.sort_unstable();
    let best = starts
        .iter()
        .map(|&(at, _)| {
            let mut seen: Vec<usize> = starts
                .iter()
                .filter(|&&(other, _)| other >= at && other < at + WINDOW_AFTER / 2)
                .map(|&(_, number)| number)
                .collect();
            seen.sort_unstable();
            seen.dedup();
            (seen.len(), std::cmp::Reverse(at))
        })
        .max()
        .map_or(0, |(_, std::cmp::Reverse(at))| at);
    // Whitespace is ASCII, so stopping next to it always lands on a character boundary.
    let is_space = |at: usize| text.as_bytes().get(at).is_some_and(u8::is_ascii_whitespace);
    let mut start = best.saturating_sub(WINDOW_BEFORE);
    while start > 0 && !is_space(start - 1) {
        start -= 1;
    }
    let mut end = (best + WINDOW_AFTER).min(text.len());
    while end < text.len() && !is_space(end) {
        end += 1;
    }
    start..end
}
