//! Spaced review: a card per (learner, question) with its FSRS state, and every review answer.

use sea_orm_migration::{prelude::*, schema::*};

use crate::owned_by_user;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReviewCards::Table)
                    .if_not_exists()
                    .col(uuid(ReviewCards::UserId))
                    // No foreign key: a card survives a question removed by re-import (it is
                    // hidden while its question is gone) and a downgrade (hidden, not deleted).
                    .col(uuid(ReviewCards::QuestionId))
                    .col(timestamp_with_time_zone(ReviewCards::Due))
                    .col(double(ReviewCards::Stability))
                    .col(double(ReviewCards::Difficulty))
                    .col(integer(ReviewCards::IntervalDays))
                    .col(integer(ReviewCards::Reps))
                    .col(integer(ReviewCards::Lapses))
                    .col(small_integer(ReviewCards::State))
                    .col(timestamp_with_time_zone(ReviewCards::LastReview))
                    .col(small_integer(ReviewCards::LastRating))
                    // Whether the last answer was given in review (else in a quiz).
                    .col(boolean(ReviewCards::LastInReview))
                    // Bumped by every change: updates are conditional on it (compare-and-swap).
                    .col(integer(ReviewCards::Version))
                    .primary_key(
                        Index::create().col(ReviewCards::UserId).col(ReviewCards::QuestionId),
                    )
                    .foreign_key(&mut owned_by_user(
                        "fk_review_cards_user",
                        ReviewCards::Table,
                        ReviewCards::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Reviews::Table)
                    .if_not_exists()
                    .col(pk_uuid(Reviews::Id))
                    .col(uuid(Reviews::UserId))
                    .col(uuid(Reviews::QuestionId))
                    // Client-chosen idempotency key.
                    .col(string_null(Reviews::ReviewId))
                    // JSON array of the normalised answer keys.
                    .col(text(Reviews::Answer))
                    .col(boolean(Reviews::Correct))
                    .col(small_integer(Reviews::Rating))
                    .col(timestamp_with_time_zone(Reviews::ReviewedAt))
                    .col(timestamp_with_time_zone(Reviews::NextDue))
                    .foreign_key(&mut owned_by_user(
                        "fk_reviews_user",
                        Reviews::Table,
                        Reviews::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        // A retried review finds the first one; a concurrent one cannot add a second.
        manager
            .create_index(
                Index::create()
                    .name("uq_reviews_review_id")
                    .table(Reviews::Table)
                    .col(Reviews::UserId)
                    .col(Reviews::ReviewId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Reviews::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ReviewCards::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ReviewCards {
    Table,
    UserId,
    QuestionId,
    Due,
    Stability,
    Difficulty,
    IntervalDays,
    Reps,
    Lapses,
    State,
    LastReview,
    LastRating,
    LastInReview,
    Version,
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    Id,
    UserId,
    QuestionId,
    ReviewId,
    Answer,
    Correct,
    Rating,
    ReviewedAt,
    NextDue,
}
