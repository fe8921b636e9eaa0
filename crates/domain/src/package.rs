//! A course package: the manifest, chapters and quizzes, validated as a whole.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::chapter::{ChapterSource, validate_slug};
use crate::quiz::QuizSource;
use crate::source::line_at;
use crate::source::{PackageError, SourceFile};

/// `course.toml`: what the course is called.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourseManifest {
    pub title: String,
    pub slug: String,
    #[serde(default)]
    pub description: String,
}

/// A validated package: chapters sorted by order, each with at most one quiz.
#[derive(Debug, Clone)]
pub struct CoursePackage {
    pub manifest: CourseManifest,
    pub chapters: Vec<ChapterSource>,
    pub quizzes: Vec<QuizSource>,
}

pub const MANIFEST_FILE: &str = "course.toml";

impl CoursePackage {
    /// Validates a package from its manifest, chapter files and quiz files. Every problem is
    /// reported, not only the first.
    pub fn validate(
        manifest: &SourceFile,
        chapter_files: &[SourceFile],
        quiz_files: &[SourceFile],
    ) -> Result<Self, Vec<PackageError>> {
        let mut errors = Vec::new();
        let manifest = parse_manifest(manifest).map_err(|e| errors.push(e)).ok();
        let mut chapters = Vec::new();
        for file in chapter_files {
            match ChapterSource::parse(&file.path, &file.text) {
                Ok(chapter) => chapters.push(chapter),
                Err(found) => errors.extend(found),
            }
        }
        // A quiz naming a chapter that failed to parse would only repeat that error.
        let every_chapter_parsed = chapters.len() == chapter_files.len();
        let mut quizzes = Vec::new();
        for file in quiz_files {
            match QuizSource::parse_toml(&file.path, &file.text) {
                Ok(quiz) => quizzes.push(quiz),
                Err(found) => errors.extend(found),
            }
        }
        check_unique(&chapters, |c| c.slug.clone(), "slug", &mut errors);
        check_unique(&chapters, |c| c.order.to_string(), "order", &mut errors);
        let slugs: HashSet<&str> = chapters.iter().map(|c| c.slug.as_str()).collect();
        let mut quizzed = HashMap::new();
        for quiz in &quizzes {
            if !slugs.contains(quiz.chapter_slug.as_str()) {
                if !every_chapter_parsed {
                    continue;
                }
                errors.push(PackageError::new(
                    &quiz.file,
                    quiz.chapter_line,
                    format!("no chapter has the slug `{}`", quiz.chapter_slug),
                ));
            } else if let Some(first) = quizzed.insert(quiz.chapter_slug.as_str(), &quiz.file) {
                errors.push(PackageError::new(
                    &quiz.file,
                    quiz.chapter_line,
                    format!("chapter `{}` already has a quiz in {first}", quiz.chapter_slug),
                ));
            }
        }
        if chapter_files.is_empty() {
            errors.push(PackageError::new(MANIFEST_FILE, 1, "the package has no chapters".into()));
        }
        match manifest {
            Some(manifest) if errors.is_empty() => {
                chapters.sort_by_key(|c| c.order);
                Ok(Self { manifest, chapters, quizzes })
            }
            _ => Err(errors),
        }
    }
}

fn parse_manifest(file: &SourceFile) -> Result<CourseManifest, PackageError> {
    let manifest: CourseManifest = toml::from_str(&file.text).map_err(|error| {
        let line = error.span().map_or(1, |span| line_at(&file.text, span.start));
        PackageError::new(&file.path, line, error.message().trim().to_owned())
    })?;
    if manifest.title.trim().is_empty() {
        return Err(PackageError::new(&file.path, 1, "title must not be empty".into()));
    }
    validate_slug(&manifest.slug).map_err(|reason| PackageError::new(&file.path, 1, reason))?;
    Ok(manifest)
}

/// Reports every chapter whose `key` repeats an earlier one, at the repeat's file.
fn check_unique(
    chapters: &[ChapterSource],
    key: impl Fn(&ChapterSource) -> String,
    name: &str,
    errors: &mut Vec<PackageError>,
) {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for chapter in chapters {
        let value = key(chapter);
        if let Some(first) = seen.get(&value) {
            errors.push(PackageError::new(
                &chapter.file,
                1,
                format!("{name} `{value}` is already used by {first}"),
            ));
        } else {
            seen.insert(value, &chapter.file);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile { path: path.into(), text: text.into() }
    }

    fn chapter(slug: &str, order: u32) -> SourceFile {
        file(
            &format!("chapters/{slug}.md"),
            &format!(
                "---\ntitle: {slug}\nslug: {slug}\norder: {order}\ndifficulty: beginner\nestimated_minutes: 5\n---\nBody of {slug}.\n"
            ),
        )
    }

    fn quiz(slug: &str) -> SourceFile {
        file(
            &format!("quizzes/{slug}.toml"),
            &format!(
                "chapter = \"{slug}\"\ntitle = \"Q\"\n[[questions]]\nkind = \"true_false\"\ntext = \"T?\"\nanswer = \"true\"\nexplanation = \"E\"\n"
            ),
        )
    }

    fn manifest() -> SourceFile {
        file("course.toml", "title = \"Course\"\nslug = \"course\"\n")
    }

    #[test]
    fn a_valid_package_sorts_chapters_by_order() {
        let package = CoursePackage::validate(
            &manifest(),
            &[chapter("second", 2), chapter("first", 1)],
            &[quiz("first")],
        )
        .unwrap();
        let slugs: Vec<_> = package.chapters.iter().map(|c| c.slug.as_str()).collect();
        assert_eq!(slugs, ["first", "second"]);
        assert_eq!(package.quizzes.len(), 1);
    }

    #[test]
    fn duplicate_slugs_and_orders_are_each_reported() {
        let errors = CoursePackage::validate(&manifest(), &[chapter("a", 1), chapter("a", 1)], &[])
            .unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
    }

    #[test]
    fn a_quiz_must_name_an_existing_chapter_once() {
        let errors = CoursePackage::validate(
            &manifest(),
            &[chapter("a", 1)],
            &[quiz("b"), quiz("a"), quiz("a")],
        )
        .unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].to_string().starts_with("quizzes/b.toml:1: no chapter"));
    }

    #[test]
    fn a_quiz_of_a_broken_chapter_does_not_add_a_second_error() {
        let mut broken = chapter("a", 1);
        broken.text = broken.text.replace("order: 1", "order: x");
        let errors = CoursePackage::validate(&manifest(), &[broken], &[quiz("a")]).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn every_broken_file_is_reported_not_only_the_first() {
        let mut broken = chapter("a", 1);
        broken.text = broken.text.replace("order: 1", "order: x");
        let errors = CoursePackage::validate(&file("course.toml", "title = \n"), &[broken], &[])
            .unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
    }
}
