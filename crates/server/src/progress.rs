//! Import progress: a bar on a terminal, one line per chapter otherwise.

use std::io::IsTerminal;

use app::ChapterSource;
use app::ImportProgress;
use app::SyncReport;
use indicatif::{ProgressBar, ProgressStyle};

/// Chooses the bar or plain lines by whether stderr is a terminal.
#[derive(Debug)]
pub struct CliProgress {
    bar: Option<ProgressBar>,
}

impl CliProgress {
    pub fn for_stderr() -> Self {
        Self { bar: std::io::stderr().is_terminal().then(ProgressBar::hidden) }
    }
}

impl ImportProgress for CliProgress {
    fn started(&self, chapters: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(chapters as u64);
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}") {
                bar.set_style(style);
            }
        } else {
            eprintln!("importing {chapters} chapters");
        }
    }

    fn chapter_stored(&self, chapter: &ChapterSource) {
        match &self.bar {
            Some(bar) => {
                bar.set_message(chapter.slug.clone());
                bar.inc(1);
            }
            None => eprintln!("stored chapter {:>3} {}", chapter.order, chapter.slug),
        }
    }

    fn finished(&self, report: &SyncReport) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!(
            "import done: {} created, {} updated, {} unchanged, {} deleted, {} quizzes written",
            report.created,
            report.updated,
            report.unchanged,
            report.deleted,
            report.quizzes_written
        );
    }
}
