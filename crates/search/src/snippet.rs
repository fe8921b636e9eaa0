//! Snippets: the original text around the best matches, matches wrapped in `**`, at most
//! [`MAX_SNIPPET_CHARS`] characters, cut at word boundaries, always valid UTF-8.

use std::ops::Range;

/// The longest snippet we return, markers and ellipses included.
pub const MAX_SNIPPET_CHARS: usize = 300;
const ELLIPSIS: &str = "…";

/// Bytes of text a fragment spans before rendering adds markers and ellipses, which keeps
/// the result within [`MAX_SNIPPET_CHARS`] for prose.
const FRAGMENT_BYTES: usize = 220;

/// Where every [`STRIDE`]th word of a text starts, so that a word the index names by its
/// position (the how-manieth word it is) is found by scanning at most `STRIDE - 1` words
/// instead of the whole text.
#[derive(Debug, Clone, Default)]
pub struct WordStarts {
    starts: Box<[u32]>,
}

/// Words between two kept starts: a smaller stride scans less per match and keeps more.
const STRIDE: u32 = 8;

/// A query word at a word position of a text: (position, which query word), as the index's
/// positions give them.
pub type Found = (u32, usize);

/// A query word found in a text: its byte range and which query word it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub range: Range<usize>,
    pub word: usize,
}

impl WordStarts {
    /// Words split as the index's tokenizer splits them (runs of alphanumeric characters), so
    /// that positions count the same words.
    pub fn of(text: &str) -> Self {
        let mut starts = Vec::new();
        let mut number = 0u32;
        for_each_word(text, |range| {
            if number.is_multiple_of(STRIDE) {
                starts.push(u32::try_from(range.start).unwrap_or(u32::MAX));
            }
            number = number.wrapping_add(1);
        });
        Self { starts: starts.into() }
    }

    pub fn bytes(&self) -> usize {
        self.starts.len() * size_of::<u32>()
    }

    /// The byte ranges in `text` of the words at `found` (word positions with the query word
    /// found there, in ascending position order). Positions past the text are skipped.
    pub fn locate(&self, text: &str, found: &[Found]) -> Vec<Match> {
        let mut matches = Vec::with_capacity(found.len());
        // The number of the next word a scan from byte `from` meets.
        let (mut next, mut from) = (u32::MAX, 0);
        for &(position, word) in found {
            let checkpoint = position / STRIDE;
            if next > position || next < checkpoint * STRIDE {
                let Some(&start) = self.starts.get(checkpoint as usize) else { break };
                (next, from) = (checkpoint * STRIDE, start as usize);
            }
            while let Some(range) = next_word(text, from) {
                (next, from) = (next + 1, range.end);
                if next - 1 == position {
                    matches.push(Match { range, word });
                    break;
                }
            }
        }
        matches
    }
}

/// The snippet for `text`: the fragment with the most distinct query words (then the highest
/// weight, then the earliest), its matches marked; the start of the text when there are none.
/// `found` holds the query words' positions in `text` (word position, query word), ascending;
/// `weights[word]` is what a match of that query word is worth (rarer words weigh more).
///
/// The fragment is chosen by position, [`FRAGMENT_WORDS`] words wide, and only its own words
/// are then located in the text: finding every match's bytes was most of a snippet's cost.
pub fn snippet(text: &str, words: &WordStarts, found: &[Found], weights: &[f32]) -> String {
    let Some(cluster) = best_cluster(found, weights) else {
        return render(text, 0..0, &[]);
    };
    let mut chosen = words.locate(text, cluster);
    // Long words can make a cluster of few words wider than a fragment: keep what fits.
    while chosen.len() > 1
        && chosen
            .last()
            .zip(chosen.first())
            .is_some_and(|(last, first)| last.range.end - first.range.start > FRAGMENT_BYTES)
    {
        chosen.pop();
    }
    let (Some(first), Some(last)) = (chosen.first(), chosen.last()) else {
        return render(text, 0..0, &[]);
    };
    let (first, last) = (first.range.start, last.range.end);
    // What is left of the fragment goes around the matches, half of it before them.
    let slack = FRAGMENT_BYTES.saturating_sub(last - first);
    let start = first_word_start(text, first.saturating_sub(slack / 2)..first).unwrap_or(first);
    let end = last_word_end(text, last..start + FRAGMENT_BYTES).unwrap_or(last);
    let highlights: Vec<Range<usize>> = chosen.iter().map(|m| m.range.clone()).collect();
    render(text, start..end, &highlights)
}

/// Words of prose in about [`FRAGMENT_BYTES`]: the width, in words, of the window a fragment
/// is chosen by.
const FRAGMENT_WORDS: u32 = 30;

/// The run of `found` (positions with their query word) within [`FRAGMENT_WORDS`] that scores
/// best.
fn best_cluster<'f>(found: &'f [Found], weights: &[f32]) -> Option<&'f [Found]> {
    let mut best: Option<(u32, f32, &[Found])> = None;
    for (first, &(start, _)) in found.iter().enumerate() {
        let limit = start.saturating_add(FRAGMENT_WORDS);
        let count = found.iter().skip(first).take_while(|(position, _)| *position < limit).count();
        let cluster = found.get(first..first + count.max(1)).unwrap_or_default();
        // Distinct query words, as bits (a query of more than 64 words shares the last).
        let distinct = cluster.iter().fold(0u64, |bits, (_, word)| bits | 1 << (*word).min(63));
        let weight: f32 =
            cluster.iter().map(|(_, word)| weights.get(*word).copied().unwrap_or(0.0)).sum();
        let better = best.as_ref().is_none_or(|(best_distinct, best_weight, _)| {
            (distinct.count_ones(), weight) > (*best_distinct, *best_weight)
        });
        if better {
            best = Some((distinct.count_ones(), weight, cluster));
        }
    }
    best.map(|(_, _, cluster)| cluster)
}

/// The first word of `text` at or after byte `from` (a character boundary), split as the
/// index's tokenizer splits them: runs of alphanumeric characters.
fn next_word(text: &str, from: usize) -> Option<Range<usize>> {
    let rest = text.get(from..)?;
    let bytes = rest.as_bytes();
    // ASCII bytes are classified as they are; a multi-byte character by decoding it.
    let is_word_at = |at: usize| match bytes.get(at) {
        Some(byte) if byte.is_ascii() => byte.is_ascii_alphanumeric(),
        Some(_) => {
            rest.get(at..).and_then(|tail| tail.chars().next()).is_some_and(char::is_alphanumeric)
        }
        None => false,
    };
    let mut at = 0;
    while at < bytes.len() && !is_word_at(at) {
        at += utf8_width(bytes, at);
    }
    if at == bytes.len() {
        return None;
    }
    let start = at;
    while at < bytes.len() && is_word_at(at) {
        at += utf8_width(bytes, at);
    }
    Some(from + start..from + at)
}

/// Bytes of the UTF-8 character starting at `at`, from its first byte.
fn utf8_width(bytes: &[u8], at: usize) -> usize {
    match bytes.get(at) {
        Some(0xF0..) => 4,
        Some(0xE0..) => 3,
        Some(0xC0..) => 2,
        _ => 1,
    }
}

/// Calls `visit` with the byte range of each word of `text`, split as [`next_word`] splits
/// them.
fn for_each_word(text: &str, mut visit: impl FnMut(Range<usize>)) {
    let mut from = 0;
    while let Some(word) = next_word(text, from) {
        from = word.end;
        visit(word);
    }
}

/// The start of the first word that begins within `within` (byte offsets of `text`).
fn first_word_start(text: &str, within: Range<usize>) -> Option<usize> {
    // Starting the scan one character early tells a word start from the middle of a word.
    let from = text.floor_char_boundary(within.start.saturating_sub(1));
    let region = text.get(from..text.ceil_char_boundary(within.end))?;
    let mut found = None;
    for_each_word(region, |range| {
        let start = range.start + from;
        if found.is_none() && start >= within.start && (start > from || from == 0) {
            found = Some(start);
        }
    });
    found
}

/// The end of the last word that ends within `within` (byte offsets of `text`), the end of
/// `text` when `within` reaches past it.
fn last_word_end(text: &str, within: Range<usize>) -> Option<usize> {
    if within.end >= text.len() {
        return Some(text.len());
    }
    let from = text.floor_char_boundary(within.start);
    // One character past the end tells a word end from the middle of a word.
    let to = text.ceil_char_boundary(within.end + 1);
    let region = text.get(from..to)?;
    let mut found = None;
    for_each_word(region, |range| {
        let end = range.end + from;
        if end <= within.end && end < to {
            found = Some(end);
        }
    });
    found
}

/// Renders `fragment_range` of `text` as a snippet, with `highlights` (byte ranges of `text`)
/// marked. Without highlights, the start of the text is used.
pub fn render(text: &str, fragment_range: Range<usize>, highlights: &[Range<usize>]) -> String {
    let (start, end) = if highlights.is_empty() || fragment_range.is_empty() {
        (0, text.len())
    } else {
        (fragment_range.start, fragment_range.end)
    };
    let mut out =
        String::with_capacity((end - start).min(4 * MAX_SNIPPET_CHARS) + 4 * highlights.len() + 8);
    let mut budget = MAX_SNIPPET_CHARS;
    if start > 0 {
        out.push_str(ELLIPSIS);
        budget -= 1;
    }
    // Reserve room for a closing ellipsis.
    budget -= 1;
    let mut cursor = start;
    let mut truncated = false;
    for range in highlights.iter().filter(|r| r.start >= start && r.end <= end) {
        if !append_words(&mut out, &mut budget, text.get(cursor..range.start).unwrap_or_default()) {
            truncated = true;
            break;
        }
        let word = text.get(range.clone()).unwrap_or_default();
        let cost = if word.is_ascii() { word.len() } else { word.chars().count() } + 4;
        if cost > budget {
            truncated = true;
            break;
        }
        out.push_str("**");
        out.push_str(word);
        out.push_str("**");
        budget -= cost;
        cursor = range.end;
    }
    if !truncated && !append_words(&mut out, &mut budget, text.get(cursor..end).unwrap_or_default())
    {
        truncated = true;
    }
    let mut snippet = collapse_whitespace(&out);
    if truncated || end < text.len() {
        snippet.push_str(ELLIPSIS);
    }
    snippet
}

/// Appends as much of `piece` as fits in `budget` characters, cut at a word boundary.
/// Returns false when it had to cut.
fn append_words(out: &mut String, budget: &mut usize, piece: &str) -> bool {
    let chars = if piece.is_ascii() { piece.len() } else { piece.chars().count() };
    if chars <= *budget {
        out.push_str(piece);
        *budget -= chars;
        return true;
    }
    let fitting: String = piece.chars().take(*budget).collect();
    let cut = fitting.rfind(char::is_whitespace).unwrap_or(0);
    out.push_str(fitting.get(..cut).unwrap_or_default());
    *budget = 0;
    false
}

/// Line breaks and runs of spaces become one space: a snippet is one line of prose.
fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
// One highlight is a slice of one range, not a range meant as a list.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    #[test]
    fn matches_are_wrapped_and_the_original_case_is_kept() {
        let text = "Use an Idempotency Key for every refund.";
        let start = text.find("Idempotency").unwrap();
        let snippet = render(text, 0..text.len(), &[start..start + "Idempotency".len()]);
        assert_eq!(snippet, "Use an **Idempotency** Key for every refund.");
    }

    #[test]
    fn long_text_is_cut_at_a_word_boundary_within_the_limit() {
        let text = "word ".repeat(200);
        let snippet = render(&text, 0..text.len(), &[0..4]);
        assert!(snippet.chars().count() <= MAX_SNIPPET_CHARS, "{}", snippet.chars().count());
        assert!(snippet.starts_with("**word** word"));
        assert!(snippet.ends_with("word…"));
    }

    /// The position of every word of `text` that `query_word` names a query word for, as the
    /// index counts positions.
    fn found_in(text: &str, query_word: impl Fn(&str) -> Option<usize>) -> Vec<Found> {
        let mut found = Vec::new();
        let mut number = 0;
        for_each_word(text, |range| {
            if let Some(word) = text.get(range).and_then(&query_word) {
                found.push((number, word));
            }
            number += 1;
        });
        found
    }

    #[test]
    fn a_word_found_by_its_position_is_the_word_the_tokenizer_counted() {
        // Digits, `_`, punctuation and multi-byte letters split words as the tokenizer does.
        let text =
            "Retry budgets, tool_call ids and step_42: every attempt (x3) counts… 道具🦀を使う. "
                .repeat(7);
        let mut every = Vec::new();
        for_each_word(&text, |range| every.push(range));
        let positions: Vec<Found> = (0..every.len() as u32).map(|n| (n, 0)).collect();
        let starts = WordStarts::of(&text);
        let all: Vec<Range<usize>> =
            starts.locate(&text, &positions).into_iter().map(|m| m.range).collect();
        assert_eq!(all, every);
        // Sparse and repeated positions, and one past the last word.
        let some = [(3, 0), (3, 1), (17, 0), (40, 0), (41, 0), (every.len() as u32, 0)];
        let found: Vec<Range<usize>> =
            starts.locate(&text, &some).into_iter().map(|m| m.range).collect();
        let expected: Vec<Range<usize>> =
            [3, 3, 17, 40, 41].iter().map(|&n| every[n].clone()).collect();
        assert_eq!(found, expected);
        assert_eq!(text.get(every[1].clone()), Some("budgets"));
        assert_eq!(text.get(every[3].clone()), Some("call"));
    }

    #[test]
    fn the_fragment_is_where_the_most_distinct_query_words_are() {
        let text = format!(
            "Retry once. {} The retry budget caps how often a call is repeated.",
            "Filler words keep these apart. ".repeat(20)
        );
        let found = found_in(&text, |word| match word.to_lowercase().as_str() {
            "retry" => Some(0),
            "budget" => Some(1),
            _ => None,
        });
        let snippet = snippet(&text, &WordStarts::of(&text), &found, &[0.5, 0.5]);
        assert!(snippet.contains("**retry** **budget** caps"), "{snippet}");
        assert!(snippet.starts_with('…'), "{snippet}");
    }

    #[test]
    fn a_text_without_query_words_starts_the_snippet() {
        let text = "Nothing to see here.";
        assert_eq!(snippet(text, &WordStarts::of(text), &[], &[]), text);
    }

    #[test]
    fn multi_byte_text_is_located_and_cut_on_character_boundaries() {
        let text = format!(
            "{}「道具」を使う 🦀 {}",
            "絵文字😀と日本語。".repeat(30),
            "まだ続く。".repeat(30)
        );
        let found = found_in(&text, |word| (word == "道具").then_some(0));
        assert_eq!(found.len(), 1);
        let snippet = snippet(&text, &WordStarts::of(&text), &found, &[1.0]);
        assert!(snippet.contains("**道具**"), "{snippet}");
        assert!(snippet.chars().count() <= MAX_SNIPPET_CHARS);
        assert_eq!(
            first_word_start(&text, 1..text.len()).map(|at| text.is_char_boundary(at)),
            Some(true)
        );
        assert!(last_word_end(&text, 0..7).is_none_or(|at| text.is_char_boundary(at)));
    }

    #[test]
    fn multi_byte_text_and_emoji_never_split() {
        let text = "代理🦀は道具を使う。".repeat(40);
        let snippet = render(&text, 0..text.len(), &[]);
        assert!(snippet.chars().count() <= MAX_SNIPPET_CHARS);
        let emoji = "🦀 ".repeat(400);
        let snippet = render(&emoji, 0..emoji.len(), &[0..4]);
        assert!(snippet.starts_with("**🦀**"));
        assert!(snippet.chars().count() <= MAX_SNIPPET_CHARS);
    }
}
