//! The importer against the bundled sample course and against broken packages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;

use domain::{ContentHash, QuestionKind};
use importer::{ImportError, Silent};
use persistence::{Database, PoolOptions};
use storage::{ContentKey, ContentStore, MemoryBackend};
use testkit::sample_course;

async fn fresh() -> (Database, ContentStore, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", folder.path().join("import.db").display());
    let db = Database::connect(&url, &PoolOptions::default()).await.unwrap();
    db.migrate().await.unwrap();
    (db, ContentStore::new(Arc::new(MemoryBackend::default()), 1 << 20), folder)
}

#[test]
fn the_sample_course_has_ten_real_chapters_each_with_a_five_question_quiz() {
    let package = importer::read_package(&sample_course()).unwrap();
    assert_eq!(package.chapters.len(), 10);
    let difficulties: std::collections::HashSet<_> =
        package.chapters.iter().map(|c| c.difficulty).collect();
    assert_eq!(difficulties.len(), 3, "mixed difficulty");
    for chapter in &package.chapters {
        let words = chapter.word_count();
        assert!((800..=3000).contains(&words), "{}: {words} words", chapter.slug);
        assert!(chapter.body.contains("\n## "), "{} has headings", chapter.slug);
    }
    assert!(
        package.chapters.iter().filter(|c| c.body.contains("```")).count() >= 5,
        "code blocks where they fit"
    );
    assert_eq!(package.quizzes.len(), 10);
    for quiz in &package.quizzes {
        assert_eq!(quiz.questions.len(), 5, "{}", quiz.file);
        assert!(quiz.questions.iter().all(|q| !q.explanation.trim().is_empty()));
        let kinds: std::collections::HashSet<_> = quiz.questions.iter().map(|q| q.kind).collect();
        assert!(kinds.contains(&QuestionKind::SingleChoice), "{}", quiz.file);
    }
}

#[tokio::test]
async fn importing_stores_every_body_under_its_content_hash() {
    let (db, store, _folder) = fresh().await;
    let package = importer::read_package(&sample_course()).unwrap();
    let report = importer::import(&db, &store, &package, &Silent).await.unwrap();
    assert_eq!(report.created, 10);
    for chapter in &package.chapters {
        let key = ContentKey::for_chapter_body(ContentHash::of(chapter.body.as_bytes()));
        assert_eq!(store.get(&key).await.unwrap(), chapter.body.as_bytes());
    }
    let again = importer::import(&db, &store, &package, &Silent).await.unwrap();
    assert!(!again.changed_anything(), "re-import changes nothing: {again:?}");
}

#[test]
fn a_broken_front_matter_is_reported_as_file_line_reason() {
    let folder = tempfile::tempdir().unwrap();
    testkit::copy_dir(&sample_course(), folder.path());
    let chapter = folder.path().join("chapters/03-prompting-for-agents.md");
    let text = std::fs::read_to_string(&chapter).unwrap();
    std::fs::write(&chapter, text.replacen("difficulty: beginner", "difficulty: expert", 1))
        .unwrap();
    match importer::read_package(folder.path()) {
        Err(ImportError::Invalid(problems)) => {
            assert_eq!(problems.len(), 1, "{problems:?}");
            let line = problems[0].to_string();
            assert!(
                line.ends_with(
                    "difficulty must be beginner, intermediate or advanced, not `expert`"
                ),
                "{line}"
            );
            assert!(line.contains("chapters/03-prompting-for-agents.md:5: "), "{line}");
        }
        other => panic!("expected an invalid package, got {other:?}"),
    }
}
