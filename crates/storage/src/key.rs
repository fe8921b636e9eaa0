use std::fmt;

use domain::ContentHash;

/// Where a chapter body lives in the store: derived from its SHA-256, so equal bodies share
/// one object and a changed body never overwrites a served one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentKey(String);

impl ContentKey {
    pub fn for_chapter_body(hash: ContentHash) -> Self {
        Self(format!("chapters/sha256/{hash}.md"))
    }

    /// Rebuilds a key read back from the database; `None` unless it is one we produce.
    pub fn parse(stored: &str) -> Option<Self> {
        let hex = stored.strip_prefix("chapters/sha256/")?.strip_suffix(".md")?;
        ContentHash::from_hex(hex).map(Self::for_chapter_body)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_derived_from_the_hash_and_parses_back() {
        let key = ContentKey::for_chapter_body(ContentHash::of(b"body"));
        assert!(key.as_str().starts_with("chapters/sha256/"));
        assert_eq!(ContentKey::parse(key.as_str()), Some(key));
    }

    #[test]
    fn keys_that_could_escape_the_store_do_not_parse() {
        for bad in ["../etc/passwd", "chapters/sha256/../../x.md", "chapters/sha256/zz.md"] {
            assert_eq!(ContentKey::parse(bad), None, "{bad}");
        }
    }
}
