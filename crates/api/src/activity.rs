//! Deferred "last activity" and "current chapter" writes.
//!
//! A chapter read must never wait on a write, so reads only note what happened in memory;
//! the notes are written in one batch per minute (so at most one write per learner per
//! minute) and on shutdown. Progress reads on this replica merge the pending notes, so a
//! learner sees their current chapter at once; other replicas see it within a minute.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use persistence::{Database, PersistenceError};
use uuid::Uuid;

/// How often pending activity is written.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(60);

/// Not yet written activity of one learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingActivity {
    pub last_activity_at: DateTime<Utc>,
    /// The chapter opened last, if one was opened since the last flush.
    pub current_chapter: Option<Uuid>,
}

/// Shared by all workers.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    pending: Arc<Mutex<HashMap<Uuid, PendingActivity>>>,
}

impl Activity {
    fn update(&self, user: Uuid, change: impl FnOnce(&mut PendingActivity)) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Utc::now();
        let entry = pending
            .entry(user)
            .or_insert(PendingActivity { last_activity_at: now, current_chapter: None });
        entry.last_activity_at = entry.last_activity_at.max(now);
        change(entry);
    }

    /// The learner did something (submitted, completed, checked in).
    pub fn touch(&self, user: Uuid) {
        self.update(user, |_| {});
    }

    /// The learner opened a chapter: it becomes their current chapter.
    pub fn opened_chapter(&self, user: Uuid, chapter: Uuid) {
        self.update(user, |entry| entry.current_chapter = Some(chapter));
    }

    /// Drops a pending current chapter that a direct write has superseded.
    pub fn forget_current_chapter(&self, user: Uuid) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = pending.get_mut(&user) {
            entry.current_chapter = None;
        }
    }

    pub fn pending(&self, user: Uuid) -> Option<PendingActivity> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner).get(&user).copied()
    }

    /// Writes every pending note; what cannot be written (database down) is kept for the
    /// next flush. Returns how many learners were written.
    pub async fn flush(&self, db: &Database) -> Result<usize, PersistenceError> {
        let batch =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        let mut written = 0;
        let mut failed = None;
        let mut unwritten = HashMap::new();
        for (user, activity) in batch {
            if failed.is_some() {
                unwritten.insert(user, activity);
                continue;
            }
            let current = activity.current_chapter.map(Some);
            match db.save_learner_state(user, current, Some(activity.last_activity_at)).await {
                Ok(()) => written += 1,
                // The user was deleted meanwhile: nothing to keep.
                Err(PersistenceError::Conflict(_)) => {}
                Err(error) => {
                    unwritten.insert(user, activity);
                    failed = Some(error);
                }
            }
        }
        if !unwritten.is_empty() {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            for (user, older) in unwritten {
                // Newer notes taken meanwhile win; fill in what they lack.
                let entry = pending.entry(user).or_insert(older);
                entry.current_chapter = entry.current_chapter.or(older.current_chapter);
            }
        }
        match failed {
            Some(error) => Err(error),
            None => Ok(written),
        }
    }
}
