//! Chapter completions, the current chapter, last activity and streaks.

use chrono::{DateTime, NaiveDate, Utc};
use domain::Streak;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entity::{chapter_completion, learner_state, streak};
use crate::{Database, PersistenceError};

/// Where a learner is: the current chapter and when they were last active.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LearnerState {
    pub current_chapter_id: Option<Uuid>,
    pub last_activity_at: Option<DateTime<Utc>>,
}

/// A stored streak with the version its next update must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredStreak {
    pub streak: Streak,
    pub version: i32,
}

fn corrupt(what: impl std::fmt::Display) -> PersistenceError {
    PersistenceError::Corrupt(what.to_string())
}

impl Database {
    /// The learner's completions as (chapter id, completed at), including chapters that no
    /// longer exist (the caller counts only those that do).
    pub async fn completions(
        &self,
        user_id: Uuid,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, PersistenceError> {
        Ok(chapter_completion::Entity::find()
            .filter(chapter_completion::Column::UserId.eq(user_id))
            .all(&self.conn)
            .await?
            .into_iter()
            .map(|row| (row.chapter_id, row.completed_at))
            .collect())
    }

    /// Marks a chapter complete (idempotent: the first completion time is kept) or not.
    pub async fn set_completed(
        &self,
        user_id: Uuid,
        chapter_id: Uuid,
        completed: bool,
        at: DateTime<Utc>,
    ) -> Result<(), PersistenceError> {
        if completed {
            let row = chapter_completion::ActiveModel {
                user_id: Set(user_id),
                chapter_id: Set(chapter_id),
                completed_at: Set(at),
            };
            chapter_completion::Entity::insert(row)
                .on_conflict_do_nothing()
                .exec(&self.conn)
                .await?;
        } else {
            chapter_completion::Entity::delete_many()
                .filter(chapter_completion::Column::UserId.eq(user_id))
                .filter(chapter_completion::Column::ChapterId.eq(chapter_id))
                .exec(&self.conn)
                .await?;
        }
        Ok(())
    }

    pub async fn learner_state(&self, user_id: Uuid) -> Result<LearnerState, PersistenceError> {
        let row = learner_state::Entity::find_by_id(user_id).one(&self.conn).await?;
        Ok(row.map_or_else(LearnerState::default, |row| LearnerState {
            current_chapter_id: row.current_chapter_id,
            last_activity_at: row.last_activity_at,
        }))
    }

    /// Upserts the learner's state: `current_chapter` when given (`Some(None)` clears it),
    /// and last activity moved forward to `last_activity` when given, never back.
    pub async fn save_learner_state(
        &self,
        user_id: Uuid,
        current_chapter: Option<Option<Uuid>>,
        last_activity: Option<DateTime<Utc>>,
    ) -> Result<(), PersistenceError> {
        let row = learner_state::ActiveModel {
            user_id: Set(user_id),
            current_chapter_id: Set(current_chapter.flatten()),
            last_activity_at: Set(last_activity),
        };
        let mut on_conflict = OnConflict::column(learner_state::Column::UserId);
        if current_chapter.is_some() {
            on_conflict.update_column(learner_state::Column::CurrentChapterId);
        }
        if let Some(at) = last_activity {
            // MAX keeps the latest when a stale flush races a newer one.
            let column = Expr::col((learner_state::Entity, learner_state::Column::LastActivityAt));
            on_conflict.value(
                learner_state::Column::LastActivityAt,
                Expr::case(column.clone().is_null().or(column.clone().lt(at)), Expr::val(at))
                    .finally(column),
            );
        }
        if current_chapter.is_none() && last_activity.is_none() {
            on_conflict.do_nothing();
        }
        learner_state::Entity::insert(row)
            .on_conflict(on_conflict.to_owned())
            .try_insert()
            .exec(&self.conn)
            .await?;
        Ok(())
    }

    pub async fn streak(&self, user_id: Uuid) -> Result<Option<StoredStreak>, PersistenceError> {
        let Some(row) = streak::Entity::find_by_id(user_id).one(&self.conn).await? else {
            return Ok(None);
        };
        Ok(Some(StoredStreak {
            streak: Streak {
                current: u32::try_from(row.current).map_err(corrupt)?,
                longest: u32::try_from(row.longest).map_err(corrupt)?,
                last_checkin_at: row.last_checkin_at,
                previous_checkin_at: row.previous_checkin_at,
                freezes_banked: u8::try_from(row.freezes_banked).map_err(corrupt)?,
                freezes_used: u32::try_from(row.freezes_used).map_err(corrupt)?,
                // The bits as stored: a bit set, not a number.
                frozen_days: row.frozen_days.cast_unsigned(),
            },
            version: row.version,
        }))
    }

    /// Stores `next` only if the streak is still at `expected` (`None`: no row yet). Returns
    /// whether it was stored; `false` means another check-in won the race: read and retry.
    pub async fn replace_streak(
        &self,
        user_id: Uuid,
        expected: Option<StoredStreak>,
        next: Streak,
        local_day: NaiveDate,
    ) -> Result<bool, PersistenceError> {
        let now = Utc::now();
        let current = i32::try_from(next.current).map_err(corrupt)?;
        let longest = i32::try_from(next.longest).map_err(corrupt)?;
        let freezes_banked = i16::from(next.freezes_banked);
        let freezes_used = i32::try_from(next.freezes_used).map_err(corrupt)?;
        let frozen_days = next.frozen_days.cast_signed();
        match expected {
            None => {
                let row = streak::ActiveModel {
                    user_id: Set(user_id),
                    current: Set(current),
                    longest: Set(longest),
                    last_checkin: Set(Some(local_day)),
                    last_checkin_at: Set(next.last_checkin_at),
                    previous_checkin_at: Set(next.previous_checkin_at),
                    freezes_banked: Set(freezes_banked),
                    freezes_used: Set(freezes_used),
                    frozen_days: Set(frozen_days),
                    version: Set(1),
                    updated_at: Set(now),
                };
                let inserted =
                    streak::Entity::insert(row).on_conflict_do_nothing().exec(&self.conn).await?;
                Ok(matches!(inserted, sea_orm::TryInsertResult::Inserted(_)))
            }
            Some(expected) => {
                let updated = streak::Entity::update_many()
                    .col_expr(streak::Column::Current, Expr::val(current))
                    .col_expr(streak::Column::Longest, Expr::val(longest))
                    .col_expr(streak::Column::LastCheckin, Expr::val(local_day))
                    .col_expr(streak::Column::LastCheckinAt, Expr::val(next.last_checkin_at))
                    .col_expr(
                        streak::Column::PreviousCheckinAt,
                        Expr::val(next.previous_checkin_at),
                    )
                    .col_expr(streak::Column::FreezesBanked, Expr::val(freezes_banked))
                    .col_expr(streak::Column::FreezesUsed, Expr::val(freezes_used))
                    .col_expr(streak::Column::FrozenDays, Expr::val(frozen_days))
                    .col_expr(streak::Column::Version, Expr::col(streak::Column::Version).add(1))
                    .col_expr(streak::Column::UpdatedAt, Expr::val(now))
                    .filter(streak::Column::UserId.eq(user_id))
                    .filter(streak::Column::Version.eq(expected.version))
                    .exec(&self.conn)
                    .await?;
                Ok(updated.rows_affected == 1)
            }
        }
    }
}
