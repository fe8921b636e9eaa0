//! The tantivy index over sections, and querying it.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::sync::Arc;

use quick_cache::Weighter;
use quick_cache::sync::Cache;
use tantivy::collector::{Count, TopDocs};
use tantivy::indexer::NoMergePolicy;
use tantivy::postings::{BlockSegmentPostings, Postings, SegmentPostings};
use tantivy::query::{
    BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, DocSet, Index, IndexReader, Searcher, SegmentReader, TantivyDocument, TantivyError,
    Term, doc,
};
use uuid::Uuid;

use crate::query::{MAX_TYPO_WORDS, MAX_WORDS, units};
use crate::rank::{LengthNorms, top_sections};
use crate::sections::{Section, split_sections};
use crate::snippet::{Found, WordStarts, snippet};
use crate::{IndexedChapter, SearchError};

const STEMMED: &str = "en_stem";
/// The field holding a section's number in [`SearchIndex::entries`].
const ENTRY: &str = "entry";
const PLAIN: &str = "default";
/// Boosts: a match in a heading says more than one in a chapter title, which says more than
/// one in running text; a typo-tolerant match ranks below every exact one.
const HEADING_BOOST: f32 = 3.0;
const TITLE_BOOST: f32 = 2.0;
const FUZZY_BOOST: f32 = 0.3;
/// Words at least this long also match with one typo.
const FUZZY_MIN_CHARS: usize = 5;

/// One indexed section with the chapter it belongs to.
#[derive(Debug, Clone)]
struct Entry {
    chapter_id: Uuid,
    chapter_slug: String,
    chapter_title: String,
    chapter_order: u32,
    section: Section,
    /// Finds the words the index's positions name in the section's text, for snippets.
    words: WordStarts,
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
    reader: IndexReader,
    fields: Fields,
    /// The title, heading and body fields' tokenizer: lower case, English stems.
    stemmer: TextAnalyzer,
    dense: DenseTerms,
    /// BM25 length norms of the title, heading and body fields, for [`top_sections`].
    norms: Vec<LengthNorms>,
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

/// The page of sections `query` ranks highest. Counted apart (see [`DenseTerms`]): counting
/// walks every match, while ranking alone may skip sections that cannot reach the page
/// (block-max WAND).
fn rank(
    searcher: &Searcher,
    query: &dyn Query,
    limit: usize,
    offset: usize,
) -> Result<Vec<(f32, DocAddress)>, SearchError> {
    let top = TopDocs::with_limit(limit.max(1)).and_offset(offset).order_by_score();
    Ok(searcher.search(query, &top)?)
}

/// The learner's query, and its terms when it is a plain union of them.
struct ExactQuery {
    query: Box<dyn Query>,
    terms: Option<Vec<Term>>,
}

/// Which sections hold each frequent term, one bit per section. Counting a plain query's
/// matches ORs these instead of walking long posting lists (`the` is in every section, and a
/// chapter's own terms in hundreds).
#[derive(Default)]
struct DenseTerms {
    /// One bit per section of the index's one segment.
    bits: HashMap<Term, Vec<u64>>,
}

/// A term is kept as bits when it occurs in at least this fraction of sections: its bits then
/// take no more room than its postings as plain 32-bit section numbers would.
const DENSE_FRACTION: u32 = 32;

impl DenseTerms {
    fn build(searcher: &Searcher, fields: &[Field]) -> Result<Self, SearchError> {
        let [segment] = searcher.segment_readers() else { return Ok(Self::default()) };
        let words = bit_words(segment);
        let threshold = (segment.max_doc() / DENSE_FRACTION).max(1);
        let mut bits = HashMap::new();
        for &field in fields {
            let inverted = segment.inverted_index(field)?;
            let mut terms = inverted.terms().stream().map_err(TantivyError::from)?;
            while terms.advance() {
                let Ok(text) = std::str::from_utf8(terms.key()) else { continue };
                if terms.value().doc_freq < threshold {
                    continue;
                }
                let mut postings = inverted
                    .read_block_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)
                    .map_err(TantivyError::from)?;
                let mut set = vec![0; words];
                set_bits(&mut set, &mut postings);
                bits.insert(Term::from_field_text(field, text), set);
            }
        }
        Ok(Self { bits })
    }

    /// How many sections hold any of `terms`; `None` when the index is not the one segment
    /// these bits describe.
    fn count_any(&self, searcher: &Searcher, terms: &[Term]) -> Result<Option<usize>, SearchError> {
        let [segment] = searcher.segment_readers() else { return Ok(None) };
        let mut union = vec![0u64; bit_words(segment)];
        for term in terms {
            if let Some(bits) = self.bits.get(term) {
                union.iter_mut().zip(bits).for_each(|(into, from)| *into |= from);
            } else if let Some(mut postings) = segment
                .inverted_index(term.field())?
                .read_block_postings(term, IndexRecordOption::Basic)
                .map_err(TantivyError::from)?
            {
                set_bits(&mut union, &mut postings);
            }
        }
        Ok(Some(union.iter().map(|word| word.count_ones() as usize).sum()))
    }

    fn bytes(&self) -> u64 {
        self.bits.values().map(|bits| (bits.len() * 8) as u64).sum()
    }
}

/// `u64`s of a bit set with one bit per section of `segment`.
fn bit_words(segment: &SegmentReader) -> usize {
    (segment.max_doc() as usize).div_ceil(64)
}

/// Sets the bit of every section in `postings`.
fn set_bits(bits: &mut [u64], postings: &mut BlockSegmentPostings) {
    while !postings.docs().is_empty() {
        for &section in postings.docs() {
            if let Some(word) = bits.get_mut(section as usize / 64) {
                *word |= 1 << (section % 64);
            }
        }
        postings.advance();
    }
}

impl Fields {
    fn boost(&self, field: Field) -> f32 {
        if field == self.heading {
            HEADING_BOOST
        } else if field == self.title {
            TITLE_BOOST
        } else {
            1.0
        }
    }
}

/// `query` with its score multiplied by `boost`; a boosted term query still ranks by
/// block-max WAND (tantivy folds the boost into the term's weight).
fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if boost == 1.0 { query } else { Box::new(BoostQuery::new(query, boost)) }
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

/// A [`SearchIndex`] being written, one chapter at a time.
pub(crate) struct IndexBuilder {
    index: Index,
    writer: tantivy::IndexWriter<TantivyDocument>,
    fields: Fields,
    entries: Vec<Entry>,
}

impl IndexBuilder {
    pub(crate) fn new() -> Result<Self, SearchError> {
        let mut schema = Schema::builder();
        let fields = Fields {
            // A column rather than a stored document: reading it skips the document store.
            entry: schema.add_u64_field(ENTRY, FAST),
            title: schema.add_text_field("title", text(STEMMED, true)),
            heading: schema.add_text_field("heading", text(STEMMED, true)),
            body: schema.add_text_field("body", text(STEMMED, true)),
            // Only one-typo term matches read it: no phrases, so no positions to keep.
            body_plain: schema.add_text_field("body_plain", text(PLAIN, false)),
        };
        let index = Index::create_in_ram(schema.build());
        // Tantivy's smallest indexing budget: a larger one only raises the start-up peak.
        let writer = index.writer_with_num_threads::<TantivyDocument>(1, 15_000_000)?;
        // One merge of everything at the end (below), not a merge policy's in the background.
        writer.set_merge_policy(Box::new(NoMergePolicy));
        Ok(Self { index, writer, fields, entries: Vec::new() })
    }

    /// Indexes every section of `chapter`.
    pub(crate) fn add(&mut self, chapter: &IndexedChapter) -> Result<(), SearchError> {
        let fields = self.fields;
        for section in split_sections(&chapter.title, &chapter.body) {
            self.writer.add_document(doc!(
                fields.entry => self.entries.len() as u64,
                fields.title => chapter.title.as_str(),
                fields.heading => section.heading.as_str(),
                fields.body => section.text.as_str(),
                fields.body_plain => section.text.as_str(),
            ))?;
            self.entries.push(Entry {
                chapter_id: chapter.id,
                chapter_slug: chapter.slug.clone(),
                chapter_title: chapter.title.clone(),
                chapter_order: chapter.order,
                words: WordStarts::of(&section.text),
                section,
            });
        }
        Ok(())
    }

    pub(crate) fn finish(self, fingerprint: String) -> Result<SearchIndex, SearchError> {
        let Self { index, mut writer, fields, entries } = self;
        writer.commit()?;
        // The small indexing budget leaves several segments; a query pays for each (term
        // lookups, scorers, block-max WAND), so they are merged into one.
        let segments = index.searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
        }
        writer.wait_merging_threads()?;
        let reader = index.reader()?;
        let stemmer = index.tokenizer_for_field(fields.body)?;
        let dense =
            DenseTerms::build(&reader.searcher(), &[fields.title, fields.heading, fields.body])?;
        let mut norms = Vec::new();
        for field in [fields.title, fields.heading, fields.body] {
            norms.extend(LengthNorms::of(&reader.searcher(), field)?);
        }
        let results = Cache::with_weighter(RESULT_CACHE_ITEMS, RESULT_CACHE_BYTES, PageWeight);
        Ok(SearchIndex { reader, fields, stemmer, dense, norms, entries, fingerprint, results })
    }
}

impl SearchIndex {
    /// Indexes every section of `chapters`, taking them one at a time (a caller may fetch
    /// each body as it goes, so that they are never all in memory at once). `fingerprint`
    /// names the content it was built from, so a caller can tell when a rebuild is due.
    pub fn build<C: Borrow<IndexedChapter>>(
        chapters: impl IntoIterator<Item = C>,
        fingerprint: String,
    ) -> Result<Self, SearchError> {
        let mut builder = IndexBuilder::new()?;
        for chapter in chapters {
            builder.add(chapter.borrow())?;
        }
        builder.finish(fingerprint)
    }

    /// The words the index makes of `text` (lower case, English stems), in order.
    pub(crate) fn words(&self, text: &str) -> Vec<String> {
        let mut analyzer = self.stemmer.clone();
        let mut stream = analyzer.token_stream(text);
        let mut words = Vec::new();
        while let Some(token) = stream.next() {
            words.push(token.text.clone());
        }
        words
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
            self.reader.searcher().space_usage().map_or(0, |usage| usage.total().get_bytes())
                + self.dense.bytes();
        let text = self
            .entries
            .iter()
            .map(|entry| (entry.section.text.len() + entry.words.bytes()) as u64)
            .sum();
        (index, text)
    }

    /// The learner's query (read by [`units`], at most [`MAX_WORDS`] words) as one union
    /// over title, heading and body, each match boosted by its field: a term per word, a
    /// phrase per quoted text or identifier of several words. A plain bag of words is ranked
    /// term at a time by [`top_sections`]; with phrases, tantivy ranks it.
    fn exact_query(&self, text: &str) -> ExactQuery {
        let Fields { title, heading, body, .. } = self.fields;
        let mut analyzer = self.stemmer.clone();
        let mut left = MAX_WORDS;
        let mut terms: Vec<Term> = Vec::new();
        let mut phrases: Vec<Vec<(usize, String)>> = Vec::new();
        for unit in units(text) {
            let mut words = Vec::new();
            let mut stream = analyzer.token_stream(unit.text);
            while words.len() < left
                && let Some(token) = stream.next()
            {
                words.push((token.position, token.text.clone()));
            }
            left -= words.len();
            match words.as_slice() {
                [] => {}
                [(_, word)] => {
                    // A repeated word counts once.
                    for field in [title, heading, body] {
                        let term = Term::from_field_text(field, word);
                        if !terms.contains(&term) {
                            terms.push(term);
                        }
                    }
                }
                _ => phrases.push(words),
            }
            if left == 0 {
                break;
            }
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|term| {
                let query = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
                (Occur::Should, boosted(Box::new(query), self.fields.boost(term.field())))
            })
            .collect();
        let plain = phrases.is_empty();
        for words in phrases {
            for field in [title, heading, body] {
                let terms = words
                    .iter()
                    .map(|(position, word)| (*position, Term::from_field_text(field, word)))
                    .collect();
                let phrase = PhraseQuery::new_with_offset(terms);
                clauses.push((Occur::Should, boosted(Box::new(phrase), self.fields.boost(field))));
            }
        }
        ExactQuery { query: Box::new(BooleanQuery::new(clauses)), terms: plain.then_some(terms) }
    }

    /// The exact query plus one-typo matches of at most [`MAX_TYPO_WORDS`] of the longer
    /// words outside quotes, boosted below exact ones. Words the index does not hold as they
    /// are written (likely the typos) are chosen first.
    fn tolerant_query(
        &self,
        searcher: &Searcher,
        text: &str,
        exact: &dyn Query,
    ) -> Result<Box<dyn Query>, SearchError> {
        let body_plain = self.fields.body_plain;
        let mut words: Vec<String> = Vec::new();
        for unit in units(text).into_iter().filter(|unit| !unit.quoted) {
            for word in unit.text.split(|c: char| !c.is_alphanumeric()) {
                let word = word.to_lowercase();
                if word.chars().count() >= FUZZY_MIN_CHARS
                    && word.chars().all(char::is_alphabetic)
                    && !words.contains(&word)
                {
                    words.push(word);
                }
            }
        }
        let mut candidates = Vec::with_capacity(words.len());
        for word in words {
            let term = Term::from_field_text(body_plain, &word);
            let known = searcher.doc_freq(&term)? > 0;
            candidates.push((known, term));
        }
        // Stable: in query order within the unknown words, then within the known ones.
        candidates.sort_by_key(|(known, _)| *known);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, exact.box_clone())];
        for (_, term) in candidates.into_iter().take(MAX_TYPO_WORDS) {
            let fuzzy = FuzzyTermQuery::new(term, 1, true);
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(fuzzy), FUZZY_BOOST))));
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    /// The page of sections the exact query ranks highest: term at a time when it is a plain
    /// union of `terms` (see [`top_sections`]), else by tantivy's scorers.
    fn rank_exact(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        terms: Option<&[Term]>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<(f32, DocAddress)>, SearchError> {
        if let Some(terms) = terms {
            let boost = |field| self.fields.boost(field);
            if let Some(ranked) = top_sections(searcher, &self.norms, terms, boost, limit, offset)?
            {
                return Ok(ranked);
            }
        }
        rank(searcher, query, limit, offset)
    }

    /// How many sections match `query`: from [`DenseTerms`] when it is a plain union of
    /// `terms`, else by walking its matches.
    fn count(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        terms: Option<&[Term]>,
    ) -> Result<usize, SearchError> {
        if let Some(terms) = terms
            && let Some(total) = self.dense.count_any(searcher, terms)?
        {
            return Ok(total);
        }
        Ok(searcher.search(query, &Count)?)
    }

    /// The query's words to mark in snippets (body terms), each with its weight: rarer words
    /// weigh more, `1 / (1 + sections with it)`. Single words found in most sections (`the`,
    /// `how`) are left unmarked when the query has rarer ones: marking them says nothing, and
    /// they would crowd out the words that matter. Words of a phrase or an identifier
    /// (`tool_choice`) are always marked.
    fn highlighted_words(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
    ) -> Result<Vec<(Term, f32)>, SearchError> {
        let mut terms: Vec<(Term, bool)> = Vec::new();
        query.query_terms(&mut |term, in_phrase| {
            if term.field() != self.fields.body {
                return;
            }
            match terms.iter_mut().find(|(known, _)| known == term) {
                Some((_, known_in_phrase)) => *known_in_phrase |= in_phrase,
                None => terms.push((term.clone(), in_phrase)),
            }
        });
        let sections = searcher.num_docs();
        let mut words = Vec::with_capacity(terms.len());
        for (term, in_phrase) in terms {
            let found_in = searcher.doc_freq(&term)?;
            let weight = 1.0 / (1.0 + found_in as f32);
            words.push((term, weight, !in_phrase && found_in > sections / 2));
        }
        if words.iter().any(|(_, _, common)| !common) {
            words.retain(|(_, _, common)| !common);
        }
        Ok(words.into_iter().map(|(term, weight, _)| (term, weight)).collect())
    }

    /// Where each of `words` occurs in each of the `ranked` sections, as (word position,
    /// word number) in position order: read from the index's positions, so that the text is
    /// neither scanned nor stemmed again.
    fn word_positions(
        searcher: &Searcher,
        ranked: &[(f32, DocAddress)],
        words: &[(Term, f32)],
    ) -> Result<Vec<Vec<Found>>, SearchError> {
        let mut found = vec![Vec::new(); ranked.len()];
        // Postings are read forwards only, so sections are visited in index order.
        let mut order: Vec<usize> = (0..ranked.len()).collect();
        order.sort_by_key(|&hit| ranked.get(hit).map(|(_, address)| *address));
        let mut positions = Vec::new();
        for (number, (term, _)) in words.iter().enumerate() {
            // The term's postings in the segment last opened (`None` inside: not there).
            let mut opened: Option<(u32, Option<SegmentPostings>)> = None;
            for &hit in &order {
                let Some((_, address)) = ranked.get(hit) else { continue };
                if opened.as_ref().is_none_or(|(segment, _)| *segment != address.segment_ord) {
                    let reader = searcher.segment_reader(address.segment_ord);
                    let postings = reader
                        .inverted_index(term.field())?
                        .read_postings(term, IndexRecordOption::WithFreqsAndPositions)
                        .map_err(TantivyError::from)?;
                    opened = Some((address.segment_ord, postings));
                }
                let Some((_, Some(postings))) = opened.as_mut() else { continue };
                if postings.doc() < address.doc_id {
                    postings.seek(address.doc_id);
                }
                if postings.doc() == address.doc_id
                    && let Some(found) = found.get_mut(hit)
                {
                    postings.positions(&mut positions);
                    found.extend(positions.iter().map(|&position| (position, number)));
                }
            }
        }
        for found in &mut found {
            found.sort_unstable();
        }
        Ok(found)
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
        let ExactQuery { query: exact, terms } = self.exact_query(text);
        let mut ranked = self.rank_exact(&searcher, &*exact, terms.as_deref(), limit, offset)?;
        let mut total = self.count(&searcher, &*exact, terms.as_deref())?;
        // Typo tolerance only when exact matches do not fill the page: it could only add
        // results ranked below them, and it costs the most on common words.
        if total < offset + limit.max(1) {
            let tolerant = self.tolerant_query(&searcher, text, &*exact)?;
            total = searcher.search(&*tolerant, &Count)?;
            ranked = rank(&searcher, &*tolerant, limit, offset)?;
        }
        let words = self.highlighted_words(&searcher, &*exact)?;
        let weights: Vec<f32> = words.iter().map(|(_, weight)| *weight).collect();
        let positions = Self::word_positions(&searcher, &ranked, &words)?;
        let numbers = searcher
            .segment_readers()
            .iter()
            .map(|segment| segment.fast_fields().u64(ENTRY))
            .collect::<Result<Vec<_>, _>>()?;
        let mut hits = Vec::with_capacity(ranked.len());
        for ((score, address), positions) in ranked.into_iter().zip(positions) {
            let number = numbers
                .get(address.segment_ord as usize)
                .and_then(|numbers| numbers.first(address.doc_id));
            let Some(entry) =
                number.and_then(|n| usize::try_from(n).ok()).and_then(|n| self.entries.get(n))
            else {
                continue;
            };
            hits.push(Hit {
                chapter_id: entry.chapter_id,
                chapter_slug: entry.chapter_slug.clone(),
                chapter_title: entry.chapter_title.clone(),
                chapter_order: entry.chapter_order,
                section: entry.section.heading.clone(),
                section_anchor: entry.section.anchor.clone(),
                snippet: snippet(&entry.section.text, &entry.words, &positions, &weights),
                score,
            });
        }
        Ok(SearchPage { total, hits })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3 chapters about retries, budgets and tools, and 66 filler chapters.
    fn index() -> SearchIndex {
        let chapter = |order: u32, title: &str, body: &str| IndexedChapter {
            id: Uuid::new_v4(),
            slug: format!("chapter-{order}"),
            title: title.into(),
            order,
            body: body.into(),
        };
        let chapters = [
            chapter(
                1,
                "Retries",
                "## Budgets\n\nHow the retry budget works.\n\n## Backoff\n\nWait, then retry the call; the budget shrinks.\n",
            ),
            chapter(
                2,
                "Budgets and costs",
                "## Token budget\n\nThe budget of a call is its tokens.\n\n## Retry storms\n\nRetries of retries.\n",
            ),
            chapter(
                3,
                "Tools",
                "## Calling a tool\n\nA tool call returns a result; the model reads the result.\n",
            ),
        ];
        // Filler chapters make the rare words (`filler7`) that are counted from their postings
        // rather than from dense bits.
        let filler = (4..70).map(|order| {
            chapter(order, "Filler", &format!("## Part\n\nfiller{order} words here.\n"))
        });
        SearchIndex::build(chapters.into_iter().chain(filler), "test".into()).unwrap()
    }

    #[test]
    fn plain_words_make_one_term_per_distinct_word_and_field() {
        let index = index();
        for (text, words) in
            [("retry budget", 2), ("How DOES the Budgets work", 5), ("the the budget", 2)]
        {
            let terms = index.exact_query(text).terms.unwrap();
            assert_eq!(terms.len(), words * 3, "{text}");
        }
    }

    /// Counts and ranks `text` term at a time (and from dense bits) and as tantivy ranks a
    /// union per word of its fields' terms (the shape tantivy's own query parser makes), and
    /// asserts that both agree.
    fn assert_ranked_as_tantivy_ranks(
        index: &SearchIndex,
        text: &str,
        limit: usize,
        offset: usize,
    ) {
        let searcher = index.reader.searcher();
        let flat = index.exact_query(text);
        let terms = flat.terms.as_deref().unwrap();
        // Terms come per word, one per field.
        let words = terms
            .chunks(3)
            .map(|fields| {
                let clauses = fields
                    .iter()
                    .map(|term| {
                        let query = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
                        (Occur::Should, boosted(Box::new(query), index.fields.boost(term.field())))
                    })
                    .collect();
                (Occur::Should, Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
            })
            .collect();
        let nested = BooleanQuery::new(words);
        let flat_total = index.count(&searcher, &*flat.query, Some(terms)).unwrap();
        let tantivy_total = searcher.search(&nested, &Count).unwrap();
        assert_eq!(flat_total, tantivy_total, "{text}");
        let flat_top =
            index.rank_exact(&searcher, &*flat.query, Some(terms), limit, offset).unwrap();
        let tantivy_top = rank(&searcher, &nested, limit, offset).unwrap();
        assert_eq!(flat_top.len(), tantivy_top.len(), "{text}");
        for ((flat_score, flat_doc), (tantivy_score, tantivy_doc)) in
            flat_top.iter().zip(&tantivy_top)
        {
            assert_eq!(flat_doc, tantivy_doc, "{text} (limit {limit}, offset {offset})");
            assert!(
                (flat_score - tantivy_score).abs() < 1e-4,
                "{text}: {flat_score} vs {tantivy_score}"
            );
        }
    }

    #[test]
    fn term_at_a_time_counts_and_ranks_as_tantivy_does() {
        let index = index();
        for text in [
            "retry budget",
            "the budget of the call",
            "tool result retries",
            "filler7 budget",
            "filler7 filler8 words",
        ] {
            assert_ranked_as_tantivy_ranks(&index, text, 10, 0);
        }
    }

    /// A small deterministic generator for test text.
    struct Xorshift(u64);

    impl Xorshift {
        fn below(&mut self, bound: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % bound
        }

        /// `w0`…`w39`, low numbers far more often.
        fn word(&mut self) -> String {
            format!("w{}", self.below(40) * self.below(40) / 40)
        }
    }

    #[test]
    fn term_at_a_time_ranking_matches_tantivy_on_skewed_random_text() {
        // Words drawn with a skew, so that a few are in most sections (and are left to the
        // end, or skipped) and most are rare, as in prose.
        let mut random = Xorshift(0x2545_f491_4f6c_dd1d);
        let chapters: Vec<IndexedChapter> = (1..=150)
            .map(|order| {
                let mut body = String::new();
                for part in 0..3 {
                    let heading: Vec<String> = (0..2).map(|_| random.word()).collect();
                    body.push_str(&format!("## Part {part} {}\n\n", heading.join(" ")));
                    let length = 20 + random.below(60);
                    let text: Vec<String> = (0..length).map(|_| random.word()).collect();
                    body.push_str(&text.join(" "));
                    body.push_str("\n\n");
                }
                IndexedChapter {
                    id: Uuid::new_v4(),
                    slug: format!("chapter-{order}"),
                    title: format!("{} {}", random.word(), random.word()),
                    order: order as u32,
                    body,
                }
            })
            .collect();
        let index = SearchIndex::build(&chapters, "random".into()).unwrap();
        for _ in 0..200 {
            let text: Vec<String> = (0..1 + random.below(4)).map(|_| random.word()).collect();
            let (limit, offset) = [(10, 0), (3, 0), (10, 5), (50, 40)][random.below(4) as usize];
            assert_ranked_as_tantivy_ranks(&index, &text.join(" "), limit, offset);
        }
    }

    #[test]
    fn phrases_and_identifiers_are_ranked_by_tantivy_and_query_syntax_is_plain_words() {
        let index = index();
        for text in ["\"retry budget\"", "tool_call", "gpt-4o"] {
            assert!(index.exact_query(text).terms.is_none(), "{text}");
        }
        for (syntax, words) in [
            ("heading:budgets", "heading budgets"),
            ("+retry -budget^3", "retry budget 3"),
            ("[retry TO tool]", "retry to tool"),
            ("title: IN [retry budget]", "title in retry budget"),
            ("retr* AND budg?", "retr and budg"),
        ] {
            assert_eq!(index.exact_query(syntax).terms, index.exact_query(words).terms, "{syntax}");
            assert_eq!(
                index.search(syntax, 10, 0).unwrap(),
                index.search(words, 10, 0).unwrap(),
                "{syntax}"
            );
        }
    }

    #[test]
    fn a_query_searches_at_most_max_words_words_and_max_typo_words_with_typos() {
        let index = index();
        let long: Vec<String> = (0..MAX_WORDS + 10).map(|n| format!("filler{n}")).collect();
        let terms = index.exact_query(&long.join(" ")).terms.unwrap();
        assert_eq!(terms.len(), MAX_WORDS * 3, "the words after the first {MAX_WORDS} are ignored");
        let phrase = format!("\"{}\"", long.join(" "));
        let mut words = 0;
        index.exact_query(&phrase).query.query_terms(&mut |_, _| words += 1);
        assert_eq!(words, MAX_WORDS * 3, "a phrase counts its words");

        let typos = "budgeta retrys toolz callls resultz wordss parts";
        let searcher = index.reader.searcher();
        let exact = index.exact_query(typos);
        let tolerant = index.tolerant_query(&searcher, typos, &*exact.query).unwrap();
        let clauses = tolerant.downcast_ref::<BooleanQuery>().unwrap().clauses().len();
        assert_eq!(clauses, 1 + MAX_TYPO_WORDS);
    }
}
