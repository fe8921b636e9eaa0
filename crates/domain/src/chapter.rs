//! Chapters: front matter, body, content hash and how a client names a chapter.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::source::PackageError;

/// How hard a chapter is, as its author labels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    Beginner,
    Intermediate,
    Advanced,
}

impl Difficulty {
    pub const ALL: [Difficulty; 3] = [Self::Beginner, Self::Intermediate, Self::Advanced];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Beginner => "beginner",
            Self::Intermediate => "intermediate",
            Self::Advanced => "advanced",
        }
    }
}

impl FromStr for Difficulty {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|difficulty| difficulty.as_str() == value).ok_or_else(|| {
            format!("difficulty must be beginner, intermediate or advanced, not `{value}`")
        })
    }
}

/// SHA-256 of a chapter body: its identity in the content store and its strong validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash([u8; 32]);

impl ContentHash {
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0_u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A chapter as its author wrote it: validated front matter plus the body, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterSource {
    /// The file it came from, relative to the package root (for messages).
    pub file: String,
    pub title: String,
    pub slug: String,
    pub order: u32,
    pub difficulty: Difficulty,
    pub estimated_minutes: u32,
    /// Everything after the closing `---` line of the front matter, exactly as authored.
    pub body: String,
}

impl ChapterSource {
    pub fn content_hash(&self) -> ContentHash {
        ContentHash::of(self.body.as_bytes())
    }

    pub fn word_count(&self) -> u32 {
        u32::try_from(self.body.split_whitespace().count()).unwrap_or(u32::MAX)
    }

    /// Parses a chapter file: a `---` line, flat `key: value` lines, a `---` line, the body.
    pub fn parse(file: &str, text: &str) -> Result<Self, Vec<PackageError>> {
        let error = |line: usize, reason: String| PackageError::new(file, line, reason);
        let mut lines = text.split_inclusive('\n');
        if lines.next().map(str::trim_end) != Some("---") {
            return Err(vec![error(1, "front matter must start with a `---` line".into())]);
        }
        let mut fields = FrontMatter::default();
        let mut errors = Vec::new();
        let mut offset = lines_len(text, 1);
        let mut closed = false;
        for (index, raw) in lines.enumerate() {
            let line_number = index + 2;
            offset += raw.len();
            let line = raw.trim_end_matches(['\n', '\r']);
            if line.trim_end() == "---" {
                closed = true;
                break;
            }
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            match line.split_once(':') {
                Some((key, value)) => {
                    if let Err(reason) = fields.set(key.trim(), value.trim(), line_number) {
                        fields.invalid.push(key.trim().to_owned());
                        errors.push(error(line_number, reason));
                    }
                }
                None => {
                    errors.push(error(line_number, format!("expected `key: value`, got `{line}`")));
                }
            }
        }
        if !closed {
            return Err(vec![error(1, "front matter is not closed by a `---` line".into())]);
        }
        let end_line = text.get(..offset).map_or(1, |head| head.lines().count());
        let body = text.get(offset..).unwrap_or_default().to_owned();
        let chapter = fields.finish(file, end_line, body, &mut errors);
        match chapter {
            Some(chapter) if errors.is_empty() => Ok(chapter),
            _ => Err(errors),
        }
    }
}

fn lines_len(text: &str, count: usize) -> usize {
    text.split_inclusive('\n').take(count).map(str::len).sum()
}

/// Front matter fields as they are read, each with the line it came from.
#[derive(Default)]
struct FrontMatter {
    title: Option<(String, usize)>,
    slug: Option<(String, usize)>,
    order: Option<(u32, usize)>,
    difficulty: Option<(Difficulty, usize)>,
    estimated_minutes: Option<(u32, usize)>,
    /// Keys that were present with a bad value: already reported, so not "missing" too.
    invalid: Vec<String>,
}

impl FrontMatter {
    fn set(&mut self, key: &str, value: &str, line: usize) -> Result<(), String> {
        let number = |name: &str| -> Result<u32, String> {
            value
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{name} must be a positive whole number, not `{value}`"))
        };
        let slot_taken = match key {
            "title" => {
                if value.is_empty() || value.chars().count() > 200 {
                    return Err("title must be 1 to 200 characters".into());
                }
                self.title.replace((value.to_owned(), line)).is_some()
            }
            "slug" => {
                validate_slug(value)?;
                self.slug.replace((value.to_owned(), line)).is_some()
            }
            "order" => self.order.replace((number("order")?, line)).is_some(),
            "difficulty" => self.difficulty.replace((value.parse()?, line)).is_some(),
            "estimated_minutes" => {
                self.estimated_minutes.replace((number("estimated_minutes")?, line)).is_some()
            }
            other => return Err(format!("unknown front matter key `{other}`")),
        };
        if slot_taken {
            return Err(format!("`{key}` is set twice"));
        }
        Ok(())
    }

    fn finish(
        self,
        file: &str,
        end_line: usize,
        body: String,
        errors: &mut Vec<PackageError>,
    ) -> Option<ChapterSource> {
        let invalid = self.invalid;
        let mut missing = |key: &str| {
            if !invalid.iter().any(|bad| bad == key) {
                errors.push(PackageError::new(
                    file,
                    end_line,
                    format!("front matter lacks `{key}`"),
                ));
            }
        };
        let title = self.title.map(|(v, _)| v).or_else(|| {
            missing("title");
            None
        });
        let slug = self.slug.map(|(v, _)| v).or_else(|| {
            missing("slug");
            None
        });
        let order = self.order.map(|(v, _)| v).or_else(|| {
            missing("order");
            None
        });
        let difficulty = self.difficulty.map(|(v, _)| v).or_else(|| {
            missing("difficulty");
            None
        });
        let estimated_minutes = self.estimated_minutes.map(|(v, _)| v).or_else(|| {
            missing("estimated_minutes");
            None
        });
        if body.trim().is_empty() {
            errors.push(PackageError::new(file, end_line, "the chapter body is empty".into()));
        }
        Some(ChapterSource {
            file: file.to_owned(),
            title: title?,
            slug: slug?,
            order: order?,
            difficulty: difficulty?,
            estimated_minutes: estimated_minutes?,
            body,
        })
    }
}

/// A slug is 1–100 lowercase ASCII letters, digits and single hyphens, not at either end.
pub fn validate_slug(slug: &str) -> Result<(), String> {
    let well_formed = !slug.is_empty()
        && slug.len() <= 100
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if well_formed {
        Ok(())
    } else {
        Err(format!(
            "slug must be lowercase letters, digits and single hyphens (at most 100), not `{slug}`"
        ))
    }
}

/// An id as the API writes it: a hyphenated UUID (either case). The other forms `Uuid`
/// parses (simple, braced, URN) are refused, so that one pattern in the API document says
/// what is accepted.
pub fn parse_id(text: &str) -> Option<Uuid> {
    if text.len() == 36 { Uuid::parse_str(text).ok() } else { None }
}

/// How a client names a chapter in a URL: its UUID or its slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChapterRef {
    Id(Uuid),
    Slug(String),
}

/// The text is neither a UUID nor a well-formed slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a chapter is named by its UUID or its slug; `{0}` is neither")]
pub struct InvalidChapterRef(pub String);

impl FromStr for ChapterRef {
    type Err = InvalidChapterRef;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(id) = parse_id(text) {
            return Ok(Self::Id(id));
        }
        validate_slug(text)
            .map(|()| Self::Slug(text.to_owned()))
            .map_err(|_| InvalidChapterRef(text.chars().take(120).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "---\ntitle: Tools: a primer\nslug: tools\norder: 2\ndifficulty: intermediate\nestimated_minutes: 9\n---\n\n# Tools\n\nBody text.\n";

    #[test]
    fn a_well_formed_chapter_keeps_its_body_byte_for_byte() {
        let chapter = ChapterSource::parse("chapters/02.md", GOOD).unwrap();
        assert_eq!(chapter.title, "Tools: a primer");
        assert_eq!(chapter.slug, "tools");
        assert_eq!(chapter.order, 2);
        assert_eq!(chapter.difficulty, Difficulty::Intermediate);
        assert_eq!(chapter.estimated_minutes, 9);
        assert_eq!(chapter.body, "\n# Tools\n\nBody text.\n");
        assert_eq!(chapter.word_count(), 4);
    }

    #[test]
    fn crlf_line_endings_are_accepted_and_the_body_is_untouched() {
        let text = GOOD.replace('\n', "\r\n");
        let chapter = ChapterSource::parse("c.md", &text).unwrap();
        assert_eq!(chapter.body, "\r\n# Tools\r\n\r\nBody text.\r\n");
    }

    #[test]
    fn a_bad_value_is_reported_with_its_file_and_line() {
        let text = GOOD.replace("order: 2", "order: two");
        let errors = ChapterSource::parse("chapters/02.md", &text).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].file, "chapters/02.md");
        assert_eq!(errors[0].line, 4);
        assert!(errors[0].to_string().starts_with("chapters/02.md:4: order must be"));
    }

    #[test]
    fn unknown_keys_and_lines_without_a_colon_are_errors() {
        let text = GOOD.replace("order: 2", "colour: red\nnonsense");
        let errors = ChapterSource::parse("c.md", &text).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert!(lines.contains(&4) && lines.contains(&5), "{errors:?}");
    }

    #[test]
    fn a_missing_key_is_reported_at_the_closing_line() {
        let text = GOOD.replace("difficulty: intermediate\n", "");
        let errors = ChapterSource::parse("c.md", &text).unwrap_err();
        assert_eq!(errors[0].line, 6);
        assert!(errors[0].reason.contains("difficulty"));
    }

    #[test]
    fn front_matter_must_open_and_close() {
        assert_eq!(ChapterSource::parse("c.md", "# no front matter").unwrap_err()[0].line, 1);
        let unclosed = "---\ntitle: x\n";
        assert!(ChapterSource::parse("c.md", unclosed).unwrap_err()[0].reason.contains("closed"));
    }

    #[test]
    fn an_empty_body_is_rejected() {
        let text = GOOD.split("---\n\n").next().unwrap().to_owned() + "---\n  \n";
        assert!(ChapterSource::parse("c.md", &text).is_err());
    }

    #[test]
    fn a_chapter_ref_is_a_uuid_or_a_slug() {
        let id = Uuid::new_v4();
        assert_eq!(id.to_string().parse::<ChapterRef>(), Ok(ChapterRef::Id(id)));
        assert_eq!("tool-use".parse::<ChapterRef>(), Ok(ChapterRef::Slug("tool-use".into())));
        for bad in ["", "Tool Use", "a--b", "-a", "über", &"x".repeat(101)] {
            assert!(bad.parse::<ChapterRef>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_id_is_a_hyphenated_uuid_and_other_uuid_forms_are_refused() {
        let id = Uuid::new_v4();
        assert_eq!(parse_id(&id.to_string()), Some(id));
        assert_eq!(parse_id(&id.to_string().to_uppercase()), Some(id));
        for other in [id.simple().to_string(), id.braced().to_string(), id.urn().to_string()] {
            assert_eq!(parse_id(&other), None, "{other}");
        }
        let upper_simple = id.simple().to_string().to_uppercase();
        assert!(upper_simple.parse::<ChapterRef>().is_err(), "neither an id nor a slug");
    }

    #[test]
    fn content_hash_round_trips_through_hex() {
        let hash = ContentHash::of(b"hello");
        assert_eq!(
            hash.to_hex(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(ContentHash::from_hex(&hash.to_hex()), Some(hash));
        assert_eq!(ContentHash::from_hex("zz"), None);
    }
}
