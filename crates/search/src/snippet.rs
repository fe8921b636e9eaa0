//! Snippets: the original text around the best matches, matches wrapped in `**`, at most
//! [`MAX_SNIPPET_CHARS`] characters, cut at word boundaries, always valid UTF-8.

use std::ops::Range;

/// The longest snippet we return, markers and ellipses included.
pub const MAX_SNIPPET_CHARS: usize = 300;
const ELLIPSIS: &str = "…";

/// Renders `fragment` (a slice of `text` at `fragment_range`, with `highlights` relative to
/// the fragment) as a snippet. Without highlights, the start of the text is used.
pub fn render(text: &str, fragment_range: Range<usize>, highlights: &[Range<usize>]) -> String {
    let (start, end, highlights) = if highlights.is_empty() || fragment_range.is_empty() {
        (0, text.len(), Vec::new())
    } else {
        let shifted: Vec<Range<usize>> = highlights
            .iter()
            .map(|r| r.start + fragment_range.start..r.end + fragment_range.start)
            .collect();
        (fragment_range.start, fragment_range.end, shifted)
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
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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
