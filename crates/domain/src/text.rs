//! What text a request may carry: no control characters, so that every database can store it
//! (PostgreSQL refuses NUL) and every page can show it back.

/// Whether a string may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// One line: an email, a name, an id, a query, a password.
    Line,
    /// Free text (a learner's background, an audit reason): tab and line breaks allowed.
    Multiline,
}

impl TextKind {
    /// The rule as a regular expression, for the OpenAPI document (ECMA-262, Python and Rust
    /// read it alike).
    pub const fn pattern(self) -> &'static str {
        match self {
            Self::Line => r"^[^\x00-\x1f\x7f-\x9f]*$",
            Self::Multiline => r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$",
        }
    }

    fn allows(self, c: char) -> bool {
        !c.is_control() || (self == Self::Multiline && matches!(c, '\t' | '\n' | '\r'))
    }
}

/// Refuses control characters (Unicode Cc: U+0000–U+001F and U+007F–U+009F), except tab and
/// line breaks in free text.
pub fn check_text(text: &str, kind: TextKind) -> Result<(), String> {
    match text.chars().find(|c| !kind.allows(*c)) {
        None => Ok(()),
        Some(c) => Err(format!("must not contain control characters (found U+{:04X})", c as u32)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_refuses_every_control_character_and_nothing_else() {
        for c in (0..=0x1f).chain(0x7f..=0x9f).filter_map(char::from_u32) {
            assert!(check_text(&format!("a{c}b"), TextKind::Line).is_err(), "U+{:04X}", c as u32);
        }
        for text in ["", "Ada Lovelace", "ação", "日本語", "emoji 🚀", "\u{a0}nbsp", "\u{200b}"]
        {
            assert!(check_text(text, TextKind::Line).is_ok(), "{text}");
        }
    }

    #[test]
    fn free_text_keeps_tabs_and_line_breaks_but_not_nul() {
        assert!(check_text("line one\r\nline two\tand a tab", TextKind::Multiline).is_ok());
        assert!(check_text("a\0b", TextKind::Multiline).is_err());
        assert!(check_text("bell\u{7}", TextKind::Multiline).is_err());
        assert!(check_text("a\nb", TextKind::Line).is_err());
    }

    #[test]
    fn the_refusal_names_the_character_without_echoing_it() {
        let message = check_text("a\0b", TextKind::Line).unwrap_err();
        assert!(message.contains("U+0000") && !message.contains('\0'), "{message}");
    }
}
