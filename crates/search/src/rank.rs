//! Ranking a plain bag of words (a flat union of boosted term queries) term at a time.
//!
//! Tantivy's block-max WAND keeps one scorer per term and re-sorts them at every step, which
//! was most of a search's cost at a dozen terms over a few thousand matching sections. Here
//! each term's postings are read in one pass into a score per section, highest-scoring terms
//! first (MaxScore): once the terms left could not lift a section that none of the earlier
//! ones matched onto the page, they are only looked up for the sections that could still make
//! it. Scores are tantivy's BM25, computed the same way, so both rank alike.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, TermInfo};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet, InvertedIndexReader, Searcher, TantivyError, Term};

use crate::SearchError;

/// BM25's parameters, as tantivy has them.
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// BM25's length normalisation for each of the 256 field-length codes of one field.
#[derive(Debug, Clone)]
pub(crate) struct LengthNorms {
    field: Field,
    norms: Box<[f32; 256]>,
}

impl LengthNorms {
    /// `K1 × (1 − B + B × length / average length)` per length code, for `field` of the
    /// index's one segment; `None` when it has another number of segments.
    pub(crate) fn of(searcher: &Searcher, field: Field) -> Result<Option<Self>, SearchError> {
        let [segment] = searcher.segment_readers() else { return Ok(None) };
        let tokens = segment.inverted_index(field)?.total_num_tokens();
        let average = tokens as f32 / segment.max_doc().max(1) as f32;
        let mut norms = Box::new([0.0; 256]);
        for (code, norm) in (0..=u8::MAX).zip(norms.iter_mut()) {
            let length = FieldNormReader::id_to_fieldnorm(code) as f32;
            *norm = K1 * (1.0 - B + B * length / average);
        }
        Ok(Some(Self { field, norms }))
    }
}

/// One term of the query in the index's one segment.
struct TermList<'n> {
    inverted: Arc<InvertedIndexReader>,
    info: TermInfo,
    lengths: FieldNormReader,
    norms: &'n [f32; 256],
    /// `idf × (1 + K1) × boost`: every score of this term is below it.
    weight: f32,
}

impl TermList<'_> {
    fn score(&self, section: DocId, term_freq: u32) -> f32 {
        // 256 norms, one per `u8` code: the lookup never misses.
        let code = usize::from(self.lengths.fieldnorm_id(section));
        let norm = self.norms.get(code).copied().unwrap_or(K1);
        let term_freq = term_freq as f32;
        self.weight * (term_freq / (term_freq + norm))
    }
}

/// The `limit` best sections from `offset` for the union of `terms`, each scored times its
/// field's `boost`, best first (ties: lower section number first), with their scores; `None`
/// when the index is not the one segment `norms` describe.
pub(crate) fn top_sections(
    searcher: &Searcher,
    norms: &[LengthNorms],
    terms: &[Term],
    boost: impl Fn(Field) -> f32,
    limit: usize,
    offset: usize,
) -> Result<Option<Vec<(f32, DocAddress)>>, SearchError> {
    let [segment] = searcher.segment_readers() else { return Ok(None) };
    let sections = segment.max_doc();
    let mut lists = Vec::with_capacity(terms.len());
    for term in terms {
        let Some(field_norms) = norms.iter().find(|norms| norms.field == term.field()) else {
            return Ok(None);
        };
        let inverted = segment.inverted_index(term.field())?;
        let Some(info) = inverted.get_term_info(term).map_err(TantivyError::from)? else {
            continue;
        };
        let found_in = info.doc_freq as f32;
        let idf = (1.0 + (sections as f32 - found_in + 0.5) / (found_in + 0.5)).ln();
        lists.push(TermList {
            lengths: segment.get_fieldnorms_reader(term.field())?,
            norms: &field_norms.norms,
            weight: idf * (1.0 + K1) * boost(term.field()),
            inverted,
            info,
        });
    }
    lists.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    // What the lists from `i` on could add to a section at most.
    let mut left: Vec<f32> = lists
        .iter()
        .rev()
        .scan(0.0, |sum, list| {
            *sum += list.weight;
            Some(*sum)
        })
        .collect();
    left.reverse();
    left.push(0.0);

    let wanted = offset + limit.max(1);
    let ranked = SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        scratch.clear(sections as usize);
        let Scratch { scores, touched } = &mut *scratch;
        rank_lists(&lists, &left, scores, touched, wanted)
    })?;
    Ok(Some(
        ranked
            .into_iter()
            .skip(offset)
            .take(limit.max(1))
            .map(|(score, section)| (score, DocAddress::new(0, section)))
            .collect(),
    ))
}

/// A score per section and the sections scored, kept per thread between searches: a fresh
/// array per search cost more in allocation and page faults than the scoring itself.
#[derive(Default)]
struct Scratch {
    scores: Vec<f32>,
    touched: Vec<DocId>,
}

impl Scratch {
    /// Zero scores for `sections` sections (only the ones the last search touched need it).
    fn clear(&mut self, sections: usize) {
        for section in self.touched.drain(..) {
            if let Some(score) = self.scores.get_mut(section as usize) {
                *score = 0.0;
            }
        }
        self.scores.resize(sections, 0.0);
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The `wanted` best (score, section) of `lists` (highest weight first; `left[i]` what the
/// lists from `i` on could add at most), best first. `scores` starts zeroed; every section
/// given a score is added to `touched`.
fn rank_lists(
    lists: &[TermList<'_>],
    left: &[f32],
    scores: &mut [f32],
    touched: &mut Vec<DocId>,
    wanted: usize,
) -> Result<Vec<(f32, DocId)>, SearchError> {
    let mut best = 0.0f32;
    let mut read = 0;
    let mut threshold = None;
    for (number, list) in lists.iter().enumerate() {
        let rest = left.get(number).copied().unwrap_or(0.0);
        // The page's lowest score is at most the best score so far: only then is it worth
        // working out whether the rest could still place a new section.
        if rest <= best
            && let Some(lowest) = kth_highest(scores, touched, wanted)
            && rest < lowest
        {
            threshold = Some(lowest);
            break;
        }
        let mut postings = list
            .inverted
            .read_block_postings_from_terminfo(&list.info, IndexRecordOption::WithFreqs)
            .map_err(TantivyError::from)?;
        while !postings.docs().is_empty() {
            for (&section, &term_freq) in postings.docs().iter().zip(postings.freqs()) {
                let Some(score) = scores.get_mut(section as usize) else { continue };
                if *score == 0.0 {
                    touched.push(section);
                }
                *score += list.score(section, term_freq);
                best = best.max(*score);
            }
            postings.advance();
        }
        read = number + 1;
    }

    // The sections that may still reach the page, completed with the terms not yet read.
    let Some(lowest) = threshold else { return Ok(best_of(scores, touched, wanted)) };
    let rest = left.get(read).copied().unwrap_or(0.0);
    let mut candidates: Vec<DocId> = touched
        .iter()
        .copied()
        .filter(|&section| scores.get(section as usize).is_some_and(|score| score + rest >= lowest))
        .collect();
    candidates.sort_unstable();
    for list in lists.iter().skip(read) {
        let mut postings = list
            .inverted
            .read_postings_from_terminfo(&list.info, IndexRecordOption::WithFreqs)
            .map_err(TantivyError::from)?;
        for &section in &candidates {
            if postings.doc() < section {
                postings.seek(section);
            }
            if postings.doc() == section
                && let Some(score) = scores.get_mut(section as usize)
            {
                *score += list.score(section, postings.term_freq());
            }
        }
    }
    Ok(best_of(scores, &candidates, wanted))
}

/// The `wanted` best of `sections` by score, best first, ties to the lower section number.
fn best_of(scores: &[f32], sections: &[DocId], wanted: usize) -> Vec<(f32, DocId)> {
    kept_best(scores, sections, wanted)
        .into_sorted_vec()
        .into_iter()
        .map(|(Reverse(score), section)| (f32::from_bits(score), section))
        .collect()
}

/// The `k`th highest of the scores of `touched` sections, if there are that many.
fn kth_highest(scores: &[f32], touched: &[DocId], k: usize) -> Option<f32> {
    if touched.len() < k {
        return None;
    }
    let kept = kept_best(scores, touched, k);
    kept.peek().map(|(Reverse(score), _)| f32::from_bits(*score))
}

/// The `k` best of `sections` in a heap whose top is the worst kept: lowest score (positive
/// floats order as their bits do), then highest section number.
fn kept_best(scores: &[f32], sections: &[DocId], k: usize) -> BinaryHeap<(Reverse<u32>, DocId)> {
    let mut kept = BinaryHeap::with_capacity(k + 1);
    for &section in sections {
        let score = scores.get(section as usize).copied().unwrap_or(0.0).to_bits();
        let entry = (Reverse(score), section);
        if kept.len() < k {
            kept.push(entry);
        } else if kept.peek().is_some_and(|worst| entry < *worst) {
            kept.pop();
            kept.push(entry);
        }
    }
    kept
}
