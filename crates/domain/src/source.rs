//! The neutral ground of package parsing: a file as read, a located problem in it, and line
//! numbers. Chapters, quizzes and the package all use these; none of them owns them.

use std::fmt;

/// One problem in a package, located as `file:line: reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageError {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

impl PackageError {
    pub fn new(file: &str, line: usize, reason: String) -> Self {
        Self { file: file.to_owned(), line, reason }
    }
}

impl fmt::Display for PackageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// A file of the package, read by the caller: its path relative to the package root and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// 1-based line number of a byte offset.
pub(crate) fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes().iter().take(offset).filter(|b| **b == b'\n').count() + 1
}
