//! Chapters split into sections at their markdown headings.

/// A passage of a chapter: the text under one heading, kept exactly as authored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The heading text (without `#`s); the chapter title for text before the first heading.
    pub heading: String,
    /// A URL fragment for the heading, GitHub style (`Tool use` → `tool-use`).
    pub anchor: String,
    /// The section's text, heading line excluded, byte for byte.
    pub text: String,
}

/// The heading text of a markdown ATX heading line (`## Title`), if it is one.
fn heading_of(line: &str) -> Option<&str> {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = line.get(hashes..)?;
    rest.starts_with([' ', '\t']).then(|| rest.trim().trim_end_matches('#').trim())
}

/// GitHub-style anchor: lower-case, punctuation dropped, spaces to hyphens.
pub fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Splits a chapter body at its headings (outside fenced code blocks). Text before the first
/// heading goes to a section named after `chapter_title`; empty sections are dropped.
pub fn split_sections(chapter_title: &str, body: &str) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut heading = chapter_title.to_owned();
    let mut text = String::new();
    let mut in_fence = false;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_end_matches(['\n', '\r']);
        if trimmed.trim_start().starts_with("```") || trimmed.trim_start().starts_with("~~~") {
            in_fence = !in_fence;
        }
        match heading_of(trimmed).filter(|_| !in_fence) {
            Some(next) => {
                push(&mut sections, &heading, &text);
                heading = next.to_owned();
                text.clear();
            }
            None => text.push_str(line),
        }
    }
    push(&mut sections, &heading, &text);
    sections
}

fn push(sections: &mut Vec<Section>, heading: &str, text: &str) {
    let text = text.trim_matches(['\n', '\r']);
    if !text.trim().is_empty() {
        sections.push(Section {
            heading: heading.to_owned(),
            anchor: anchor(heading),
            text: text.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chapter_splits_at_headings_but_not_at_comments_in_code() {
        let body = "\n# Tools\n\nIntro text.\n\n## Defining a tool\n\n```python\n# not a heading\nx = 1\n```\n\n### Why it matters?\nBecause.\n";
        let sections = split_sections("Tools", body);
        let headings: Vec<&str> = sections.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(headings, ["Tools", "Defining a tool", "Why it matters?"]);
        assert!(sections[1].text.contains("# not a heading"));
        assert_eq!(sections[2].anchor, "why-it-matters");
        assert_eq!(sections[0].text, "Intro text.");
    }

    #[test]
    fn hashes_without_a_space_are_not_headings() {
        assert_eq!(heading_of("#hashtag"), None);
        assert_eq!(heading_of("####### seven"), None);
        assert_eq!(heading_of("## Two ##"), Some("Two"));
    }
}
