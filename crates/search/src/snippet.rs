//! Snippets: the original text around the best matches, matches wrapped in `**`, at most
//! [`MAX_SNIPPET_CHARS`] characters, cut at word boundaries, always valid UTF-8.

use std::collections::HashMap;
use std::ops::Range;

/// The longest snippet we return, markers and ellipses included.
pub const MAX_SNIPPET_CHARS: usize = 300;
const ELLIPSIS: &str = "…";

/// Bytes of text a fragment spans before rendering adds markers and ellipses, which keeps
/// the result within [`MAX_SNIPPET_CHARS`] for prose.
const FRAGMENT_BYTES: usize = 220;

/// A word of the query as the index holds it (stemmed), and what a match of it is worth.
#[derive(Debug, Clone)]
pub struct QueryWord {
    pub stem: String,
    /// Rarer words weigh more, as in tantivy's own snippets: `1 / (1 + sections with it)`.
    pub weight: f32,
}

/// Picks and renders the best fragment of each text for one query.
///
/// Stemming every word of a text was most of a search's cost, so a word is stemmed only when
/// it starts like one of the query's stems (less the stem's last letter: English stems may end
/// in `i` for a `y`), and each distinct word once per query.
pub struct Highlighter<'q, S> {
    words: &'q [QueryWord],
    prefixes: Vec<String>,
    /// The lower-case ASCII letters and digits the query words' prefixes start with: most
    /// words of a text fail this test.
    letters: Vec<u8>,
    stem: S,
    /// A word as written → the query word it stems to, if any.
    known: HashMap<String, Option<usize>>,
}

/// A query word found in a text.
#[derive(Debug, Clone)]
struct Match {
    range: Range<usize>,
    word: usize,
}

impl<'q, S: FnMut(&str) -> Option<String>> Highlighter<'q, S> {
    /// `stem` maps a lower-cased word to its stem as the index would.
    pub fn new(words: &'q [QueryWord], stem: S) -> Self {
        let prefixes: Vec<String> = words
            .iter()
            .map(|word| {
                let mut chars = word.stem.chars();
                if word.stem.chars().count() > 3 {
                    chars.next_back();
                }
                chars.as_str().to_owned()
            })
            .collect();
        let mut letters: Vec<u8> = prefixes
            .iter()
            .filter_map(|prefix| prefix.bytes().next())
            .filter(u8::is_ascii_alphanumeric)
            .collect();
        letters.sort_unstable();
        letters.dedup();
        Self { words, prefixes, letters, stem, known: HashMap::new() }
    }

    /// The snippet for `text`: the fragment with the most distinct query words (then the
    /// highest weight, then the earliest), its matches marked; the start of the text when no
    /// query word occurs in it.
    pub fn snippet(&mut self, text: &str) -> String {
        let matches = self.matches(text);
        let Some(chosen) = self.best_cluster(&matches) else {
            return render(text, 0..0, &[]);
        };
        let first = chosen.first().map_or(0, |m| m.range.start);
        let last = chosen.last().map_or(0, |m| m.range.end);
        // What is left of the fragment goes around the matches, half of it before them.
        let slack = FRAGMENT_BYTES.saturating_sub(last - first);
        let start = first_word_start(text, first.saturating_sub(slack / 2)..first).unwrap_or(first);
        let end = last_word_end(text, last..start + FRAGMENT_BYTES).unwrap_or(last);
        let highlights: Vec<Range<usize>> = chosen.iter().map(|m| m.range.clone()).collect();
        render(text, start..end, &highlights)
    }

    fn matches(&mut self, text: &str) -> Vec<Match> {
        let mut found = Vec::new();
        let mut check = |range: Range<usize>| {
            let Some(word) = text.get(range.clone()) else { return };
            if !self.prefixes.iter().any(|prefix| starts_with_folded(word, prefix)) {
                return;
            }
            let number = match self.known.get(word) {
                Some(number) => *number,
                None => {
                    let stem = (self.stem)(&word.to_lowercase());
                    let number = self.words.iter().position(|w| Some(&w.stem) == stem.as_ref());
                    self.known.insert(word.to_owned(), number);
                    number
                }
            };
            if let Some(word) = number {
                found.push(Match { range, word });
            }
        };
        if text.is_ascii() {
            for_each_ascii_word_starting_with(text.as_bytes(), &self.letters, &mut check);
        } else {
            for_each_word(text, &mut check);
        }
        found
    }

    /// The run of matches within one fragment's length that scores best.
    fn best_cluster<'m>(&self, matches: &'m [Match]) -> Option<&'m [Match]> {
        let mut best: Option<(u32, f32, &[Match])> = None;
        for (first, start) in matches.iter().enumerate() {
            let limit = start.range.start + FRAGMENT_BYTES;
            let count = matches.iter().skip(first).take_while(|m| m.range.end <= limit).count();
            let cluster = matches.get(first..first + count.max(1)).unwrap_or_default();
            // Distinct query words, as bits (a query of more than 64 words shares the last).
            let distinct = cluster.iter().fold(0u64, |bits, m| bits | 1 << m.word.min(63));
            let weight: f32 =
                cluster.iter().map(|m| self.words.get(m.word).map_or(0.0, |w| w.weight)).sum();
            let better = best.as_ref().is_none_or(|(best_distinct, best_weight, _)| {
                (distinct.count_ones(), weight) > (*best_distinct, *best_weight)
            });
            if better {
                best = Some((distinct.count_ones(), weight, cluster));
            }
        }
        best.map(|(_, _, cluster)| cluster)
    }
}

/// Calls `visit` with the byte range of each word of `text`, split as the index's tokenizer
/// splits them: runs of alphanumeric characters. ASCII is classified byte by byte, and a
/// multi-byte character once, at its first byte.
fn for_each_word(text: &str, mut visit: impl FnMut(Range<usize>)) {
    let mut start = None;
    let mut in_word_char = false;
    for (at, &byte) in text.as_bytes().iter().enumerate() {
        let is_word = if byte.is_ascii() {
            byte.is_ascii_alphanumeric()
        } else if byte < 0xC0 {
            // A continuation byte belongs to the character its first byte started.
            in_word_char
        } else {
            in_word_char = text
                .get(at..)
                .and_then(|rest| rest.chars().next())
                .is_some_and(char::is_alphanumeric);
            in_word_char
        };
        match (is_word, start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                visit(from..at);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        visit(from..text.len());
    }
}

/// [`for_each_word`] for ASCII text, visiting only words that start with one of `letters`
/// (lower-case ASCII letters or digits; either case matches). Words and their first letters
/// are found eight bytes at a time as bit masks: a branch per byte or per word mispredicts at
/// every word boundary, which made scanning most of a search's cost.
fn for_each_ascii_word_starting_with(
    bytes: &[u8],
    letters: &[u8],
    mut visit: impl FnMut(Range<usize>),
) {
    // Whether the byte before the current chunk is a word character.
    let mut carry = 0;
    for (number, chunk) in bytes.chunks(64).enumerate() {
        let (word, lettered) = ascii_word_bits(chunk, letters);
        let mut starts = word & !((word << 1) | carry) & lettered;
        carry = word >> 63;
        while starts != 0 {
            let start = number * 64 + starts.trailing_zeros() as usize;
            starts &= starts - 1;
            let rest = bytes.get(start..).unwrap_or_default();
            let length = rest.iter().position(|b| !b.is_ascii_alphanumeric()).unwrap_or(rest.len());
            visit(start..start + length);
        }
    }
}

/// For `chunk` (ASCII, at most 64 bytes): bit `i` of the first mask set when byte `i` is a
/// letter or a digit, of the second when it is one of `letters` in either case.
fn ascii_word_bits(chunk: &[u8], letters: &[u8]) -> (u64, u64) {
    let (mut word, mut lettered) = (0, 0);
    let mut groups = chunk.chunks_exact(8);
    for (number, group) in groups.by_ref().enumerate() {
        let group = u64::from_le_bytes(group.try_into().unwrap_or_default());
        let (word_8, lettered_8) = ascii_word_bits_of_8(group, letters);
        word |= u64::from(word_8) << (number * 8);
        lettered |= u64::from(lettered_8) << (number * 8);
    }
    let done = chunk.len() - groups.remainder().len();
    for (bit, byte) in (done..).zip(groups.remainder()) {
        word |= u64::from(byte.is_ascii_alphanumeric()) << bit;
        lettered |= u64::from(letters.contains(&byte.to_ascii_lowercase())) << bit;
    }
    (word, lettered)
}

/// [`ascii_word_bits`] for eight bytes, little-endian in a `u64`. Adding `0x80 - bound` to
/// each byte sets its high bit exactly when the byte is at least `bound`; ASCII bytes are
/// small enough that no addition carries into the next byte.
fn ascii_word_bits_of_8(group: u64, letters: &[u8]) -> (u8, u8) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let at_least = |bytes: u64, bound: u64| bytes + (0x80 - bound) * ONES;
    // Letters to lower case; digits already have the 0x20 bit, so they stay as they are.
    let folded = group | (0x20 * ONES);
    let letter = at_least(folded, 0x61) & !at_least(folded, 0x7B);
    let digit = at_least(group, 0x30) & !at_least(group, 0x3A);
    let word = (letter | digit) & HIGH;
    let mut lettered = 0;
    for &first in letters {
        // A byte of `differs` is zero exactly where `folded` holds `first`.
        let differs = folded ^ (u64::from(first) * ONES);
        lettered |= !(((differs & LOW) + LOW) | differs) & HIGH;
    }
    (gather_high_bits(word), gather_high_bits(lettered & word))
}

/// The high bit of each byte of `flags` (nothing else set), byte `i`'s at bit `i`.
fn gather_high_bits(flags: u64) -> u8 {
    ((flags >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
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

/// Whether `word` lower-cased starts with `prefix` (already lower case).
fn starts_with_folded(word: &str, prefix: &str) -> bool {
    if word.is_ascii() {
        word.as_bytes()
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
    } else {
        word.to_lowercase().starts_with(prefix)
    }
}

/// Renders `fragment_range` of `text` as a snippet, with `highlights` (byte ranges of `text`)
/// marked. Without highlights, the start of the text is used.
pub fn render(text: &str, fragment_range: Range<usize>, highlights: &[Range<usize>]) -> String {
    let (start, end) = if highlights.is_empty() || fragment_range.is_empty() {
        (0, text.len())
    } else {
        (fragment_range.start, fragment_range.end)
    };
    let mut out = String::new();
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
        let cost = word.chars().count() + 4;
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
    let chars = piece.chars().count();
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

    /// Stems like the index would for these tests' words: drops a plural `s`.
    fn strip_plural(word: &str) -> Option<String> {
        Some(word.strip_suffix('s').unwrap_or(word).to_owned())
    }

    fn words_of(stems: &[&str]) -> Vec<QueryWord> {
        stems.iter().map(|stem| QueryWord { stem: (*stem).to_owned(), weight: 0.5 }).collect()
    }

    #[test]
    fn the_ascii_scan_splits_words_as_the_general_scan_does() {
        // Words cross the 64-byte chunk boundaries; digits, `_` and punctuation split them.
        let text =
            "Retry budgets, tool_call ids and step_42: every attempt (x3) counts... ".repeat(5);
        let mut general = Vec::new();
        for_each_word(&text, |range| general.push(range));
        let mut ascii = Vec::new();
        let every_letter: Vec<u8> = (b'a'..=b'z').chain(b'0'..=b'9').collect();
        for_each_ascii_word_starting_with(text.as_bytes(), &every_letter, |range| {
            ascii.push(range);
        });
        assert_eq!(ascii, general);
        let mut starting_with_r = Vec::new();
        for_each_ascii_word_starting_with(text.as_bytes(), b"r", |range| {
            starting_with_r.push(range);
        });
        let expected: Vec<_> = general
            .iter()
            .filter(|range| {
                text.get(range.start..range.start + 1).is_some_and(|c| c.eq_ignore_ascii_case("r"))
            })
            .cloned()
            .collect();
        assert_eq!(starting_with_r, expected);
        assert!(general.iter().any(|range| range.start < 64 && range.end > 64));
    }

    #[test]
    fn eight_bytes_at_once_classify_as_one_at_a_time() {
        let bytes: Vec<u8> = (0u8..128).chain(b"Az09_ zA9".iter().copied()).collect();
        let flags = |group: &[u8], test: &dyn Fn(u8) -> bool| {
            group
                .iter()
                .enumerate()
                .fold(0u8, |bits, (bit, &byte)| bits | u8::from(test(byte)) << bit)
        };
        for group in bytes.windows(8) {
            let word = flags(group, &|byte| byte.is_ascii_alphanumeric());
            let lettered = flags(group, &|byte| matches!(byte, b'a' | b'A' | b'z' | b'Z' | b'9'));
            let value = u64::from_le_bytes(group.try_into().unwrap());
            assert_eq!(ascii_word_bits_of_8(value, b"az9"), (word, lettered), "{group:?}");
        }
    }

    #[test]
    fn every_form_of_a_query_word_is_marked_in_its_original_case() {
        let words = words_of(&["budget"]);
        let mut highlighter = Highlighter::new(&words, strip_plural);
        let snippet =
            highlighter.snippet("Set a Budget first. Budgets are per call; budgeting is not.");
        assert_eq!(snippet, "Set a **Budget** first. **Budgets** are per call; budgeting is not.");
    }

    #[test]
    fn the_fragment_is_where_the_most_distinct_query_words_are() {
        let words = words_of(&["retry", "budget"]);
        let mut highlighter = Highlighter::new(&words, strip_plural);
        let text = format!(
            "Retry once. {} The retry budget caps how often a call is repeated.",
            "Filler words keep these apart. ".repeat(20)
        );
        let snippet = highlighter.snippet(&text);
        assert!(snippet.contains("**retry** **budget** caps"), "{snippet}");
        assert!(snippet.starts_with('…'), "{snippet}");
    }

    #[test]
    fn a_text_without_query_words_starts_the_snippet() {
        let words = words_of(&["budget"]);
        let mut highlighter = Highlighter::new(&words, strip_plural);
        assert_eq!(highlighter.snippet("Nothing to see here."), "Nothing to see here.");
    }

    #[test]
    fn multi_byte_text_is_scanned_and_cut_on_character_boundaries() {
        let words = words_of(&["道具"]);
        let mut highlighter = Highlighter::new(&words, |word: &str| Some(word.to_owned()));
        let text = format!(
            "{}「道具」を使う 🦀 {}",
            "絵文字😀と日本語。".repeat(30),
            "まだ続く。".repeat(30)
        );
        let snippet = highlighter.snippet(&text);
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
