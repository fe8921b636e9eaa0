//! Course import: read a package folder, validate it, store the chapter bodies, sync the
//! database.
//!
//! What lives here: the folder layout (`course.toml`, `chapters/*.md`, `quizzes/*.toml`),
//! the import sequence, and the progress callback the CLI draws with.
//! What does not: validation rules (crate `domain`), SQL (crate `persistence`), store
//! backends (crate `storage`), terminal drawing (crate `server`).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use domain::{ChapterSource, CoursePackage, PackageError, SourceFile, package::MANIFEST_FILE};
use persistence::{Database, PersistenceError, StoredBody, SyncReport};
use storage::{ContentKey, ContentStore, StoreError};

/// What can stop an import.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The package is invalid; nothing was written.
    #[error("the course package is invalid ({} problem(s))", .0.len())]
    Invalid(Vec<PackageError>),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Database(#[from] PersistenceError),
}

/// Told about each step, so the CLI can draw a progress bar or print lines.
pub trait ImportProgress {
    fn started(&self, chapters: usize);
    fn chapter_stored(&self, chapter: &ChapterSource);
    fn finished(&self, report: &SyncReport);
}

/// Reports nothing (start-up import, tests).
#[derive(Debug, Clone, Copy)]
pub struct Silent;

impl ImportProgress for Silent {
    fn started(&self, _: usize) {}
    fn chapter_stored(&self, _: &ChapterSource) {}
    fn finished(&self, _: &SyncReport) {}
}

/// Reads and validates the package in `dir`. Every problem is returned, as `file:line`.
pub fn read_package(dir: &Path) -> Result<CoursePackage, ImportError> {
    let manifest = read_file(&dir.join(MANIFEST_FILE))?;
    let chapters = read_folder(dir, "chapters", "md")?;
    let quizzes = read_folder(dir, "quizzes", "toml")?;
    CoursePackage::validate(&manifest, &chapters, &quizzes).map_err(ImportError::Invalid)
}

fn read_file(path: &Path) -> Result<SourceFile, ImportError> {
    let bytes =
        std::fs::read(path).map_err(|source| ImportError::Read { path: path.into(), source })?;
    let shown = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|e| {
        let line =
            e.as_bytes().iter().take(e.utf8_error().valid_up_to()).filter(|b| **b == b'\n').count()
                + 1;
        ImportError::Invalid(vec![PackageError::new(
            &shown,
            line,
            "the file is not valid UTF-8".into(),
        )])
    })?;
    Ok(SourceFile { path: shown, text })
}

/// The files of `dir/folder` with the extension, in name order; a missing folder is empty.
fn read_folder(dir: &Path, folder: &str, extension: &str) -> Result<Vec<SourceFile>, ImportError> {
    let folder = dir.join(folder);
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ImportError::Read { path: folder, source });
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        let path =
            entry.map_err(|source| ImportError::Read { path: folder.clone(), source })?.path();
        if path.is_file() && path.extension().is_some_and(|ext| ext == extension) {
            paths.push(path);
        }
    }
    paths.sort();
    paths.iter().map(|path| read_file(path)).collect()
}

/// Stores every chapter body (content-addressed, so unchanged bodies are not rewritten),
/// then syncs the database in one transaction. Learners' data is never touched.
pub async fn import(
    db: &Database,
    store: &ContentStore,
    package: &CoursePackage,
    progress: &dyn ImportProgress,
) -> Result<SyncReport, ImportError> {
    progress.started(package.chapters.len());
    let mut bodies = Vec::with_capacity(package.chapters.len());
    for chapter in &package.chapters {
        let hash = chapter.content_hash();
        let key = ContentKey::for_chapter_body(hash);
        store.put(&key, Bytes::from(chapter.body.clone())).await?;
        bodies.push(StoredBody {
            content_key: key.as_str().to_owned(),
            content_sha256: hash.to_hex(),
        });
        progress.chapter_stored(chapter);
    }
    let report = db.sync_course(package, &bodies).await?;
    progress.finished(&report);
    Ok(report)
}
