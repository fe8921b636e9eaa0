//! Reading a learner's query by a whitelist: words, "quoted phrases" and identifiers
//! (`tool_choice`, `gpt-4o`, `1,000`). Nothing else has a meaning: field names (`body:x`),
//! ranges (`[a TO z]`), sets (`IN [a b]`), boolean, required, excluded and boosted terms
//! (`AND`, `+x`, `-x`, `x^3`) and wildcards are read as the plain words in them, so a query
//! can neither reach into fields or syntax the index does not offer nor grow its cost past
//! the bounds below.

/// At most this many words (after the index's tokenizer, phrases included) are searched; the
/// rest of a longer query is ignored. Each word is looked up in three fields, so this bounds
/// the term lists one search reads.
pub(crate) const MAX_WORDS: usize = 24;
/// At most this many words are also matched with one typo (see `SearchIndex`): each such
/// clause walks a term dictionary automaton, the dearest part of a query.
pub(crate) const MAX_TYPO_WORDS: usize = 4;

/// One unit of a query, as text still to be tokenized. A unit the tokenizer splits into
/// several words is searched as a phrase (its words in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unit<'q> {
    pub text: &'q str,
    /// Written in double quotes (not a candidate for typo tolerance).
    pub quoted: bool,
}

/// Characters that join letters and digits into one identifier (`tool_choice`, `gpt-4o`,
/// `v1.2`, `1,000`, `don't`) when they stand between two of them.
fn joins(c: char) -> bool {
    matches!(c, '_' | '-' | '.' | ',' | '\'' | '/')
}

/// The query's units in order: the text of each closed pair of double quotes, and the
/// identifiers and words outside them (an unclosed quote counts as a space).
pub(crate) fn units(text: &str) -> Vec<Unit<'_>> {
    let mut units = Vec::new();
    let mut pieces = text.split('"').peekable();
    let mut inside = false;
    while let Some(piece) = pieces.next() {
        // A piece after an opening quote is quoted only if a closing one follows it.
        if inside && pieces.peek().is_some() {
            units.push(Unit { text: piece, quoted: true });
        } else {
            units.extend(identifiers(piece).map(|text| Unit { text, quoted: false }));
        }
        inside = !inside;
    }
    units
}

/// Maximal runs of letters and digits joined by single [`joins`] characters.
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = rest.find(char::is_alphanumeric)?;
        let tail = rest.get(start..)?;
        let mut end = 0;
        let mut chars = tail.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let next_is_word = chars.peek().is_some_and(|(_, next)| next.is_alphanumeric());
            if c.is_alphanumeric() {
                end = at + c.len_utf8();
            } else if !(joins(c) && next_is_word) {
                break;
            }
        }
        let (identifier, after) = tail.split_at(end);
        rest = after;
        Some(identifier)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<(&str, bool)> {
        units(text).into_iter().map(|unit| (unit.text, unit.quoted)).collect()
    }

    #[test]
    fn words_quoted_phrases_and_identifiers_are_the_only_units() {
        assert_eq!(
            read("retry the \"token budget\" of tool_choice at 1,000 tokens"),
            [
                ("retry", false),
                ("the", false),
                ("token budget", true),
                ("of", false),
                ("tool_choice", false),
                ("at", false),
                ("1,000", false),
                ("tokens", false)
            ]
        );
        assert_eq!(
            read("gpt-4o's v1.2 don't"),
            [("gpt-4o's", false), ("v1.2", false), ("don't", false)]
        );
    }

    #[test]
    fn query_syntax_is_read_as_the_plain_words_in_it() {
        let cases: [(&str, &[&str]); 9] = [
            ("body:secret", &["body", "secret"]),
            ("title:\"x\"", &["title"]),
            ("[a TO z]", &["a", "TO", "z"]),
            ("{a TO z}", &["a", "TO", "z"]),
            ("id: IN [a b]", &["id", "IN", "a", "b"]),
            ("+must -not boost^3", &["must", "not", "boost", "3"]),
            ("retry AND (budget OR NOT cost)", &["retry", "AND", "budget", "OR", "NOT", "cost"]),
            ("wild* card? ~2 a\\:b", &["wild", "card", "2", "a", "b"]),
            ("-_-. ,/ '", &[]),
        ];
        for (text, expected) in cases {
            let words: Vec<&str> =
                units(text).into_iter().filter(|u| !u.quoted).map(|u| u.text).collect();
            assert_eq!(words, expected, "{text}");
        }
    }

    #[test]
    fn an_unclosed_quote_is_read_as_a_space() {
        assert_eq!(read("\"retry budget"), [("retry", false), ("budget", false)]);
        assert_eq!(read("a \"b c\" \"d"), [("a", false), ("b c", true), ("d", false)]);
        assert_eq!(read("\"\""), [("", true)]);
    }
}
