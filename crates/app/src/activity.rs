//! Deferred "last activity" and "current chapter" writes, and the streak each learner last
//! had here.
//!
//! A chapter read must never wait on a write, so reads only note what happened in memory;
//! the notes are written in one batch per minute (so at most one write per learner per
//! minute) and on shutdown. Progress reads on this replica merge the pending notes, so a
//! learner sees their current chapter at once; other replicas see it within a minute.
//!
//! The remembered review cards let a quiz submission reschedule its questions' cards without
//! reading them first; like streaks, a card stores through a compare-and-swap on its version,
//! so a stale one is re-read.
//!
//! The remembered streaks let a learner's second check-in of a day (every quiz submission
//! and completion checks in) cost no database read. They are only a starting point: a check-in
//! stores through a compare-and-swap on the streak's version, so a stale one is re-read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use persistence::{Database, PersistenceError, StoredCard, StoredStreak};
use quick_cache::sync::Cache;
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

/// Learners whose streak is remembered; beyond that the least used are forgotten.
const REMEMBERED_STREAKS: usize = 100_000;

/// Review cards remembered (about 150 bytes each); beyond that the least used are forgotten.
const REMEMBERED_CARDS: usize = 100_000;

/// Learners are spread over this many card-writer locks.
const CARD_WRITER_STRIPES: usize = 1024;

/// Shared by all workers.
#[derive(Clone)]
pub struct Activity {
    pending: Arc<Mutex<HashMap<Uuid, PendingActivity>>>,
    streaks: Arc<Cache<Uuid, StoredStreak>>,
    /// Review cards by (learner, question).
    cards: Arc<Cache<(Uuid, Uuid), StoredCard>>,
    /// One learner's card changes on this replica go one at a time (a learner's stripe):
    /// concurrent submissions then queue here instead of contending for the same rows in the
    /// database and retrying their compare-and-swaps.
    card_writers: Arc<[tokio::sync::Mutex<()>]>,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            pending: Arc::default(),
            streaks: Arc::new(Cache::new(REMEMBERED_STREAKS)),
            cards: Arc::new(Cache::new(REMEMBERED_CARDS)),
            card_writers: (0..CARD_WRITER_STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
        }
    }
}

impl std::fmt::Debug for Activity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Activity").field("streaks", &self.streaks.len()).finish_non_exhaustive()
    }
}

impl Activity {
    /// The streak last read or stored here for `user`, if remembered.
    pub fn remembered_streak(&self, user: Uuid) -> Option<StoredStreak> {
        self.streaks.get(&user)
    }

    /// Remembers a streak just read from or stored in the database.
    pub fn remember_streak(&self, user: Uuid, streak: StoredStreak) {
        self.streaks.insert(user, streak);
    }

    /// The card last read or stored here for `user` and `question`, if remembered.
    pub fn remembered_card(&self, user: Uuid, question: Uuid) -> Option<StoredCard> {
        self.cards.get(&(user, question))
    }

    /// Remembers a card just read from or stored in the database.
    pub fn remember_card(&self, user: Uuid, card: StoredCard) {
        self.cards.insert((user, card.question_id), card);
    }

    /// Waits for this learner's turn to change their cards on this replica (the guard is
    /// their turn; the compare-and-swap keeps replicas correct without it).
    pub async fn card_writer(&self, user: Uuid) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        let stripe = user.as_u128() % self.card_writers.len().max(1) as u128;
        let lock = usize::try_from(stripe).ok().and_then(|stripe| self.card_writers.get(stripe))?;
        Some(lock.lock().await)
    }

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

    /// The learner's current chapter: the one opened last here and not yet written, else the
    /// stored one.
    pub fn current_chapter(&self, user: Uuid, stored: Option<Uuid>) -> Option<Uuid> {
        self.pending(user).and_then(|pending| pending.current_chapter).or(stored)
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
