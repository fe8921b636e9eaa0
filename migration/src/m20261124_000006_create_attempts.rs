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
                    .table(Attempts::Table)
                    .if_not_exists()
                    .col(pk_uuid(Attempts::Id))
                    .col(uuid(Attempts::UserId))
                    // No foreign key: a learner's history survives a quiz removed by re-import.
                    .col(uuid(Attempts::QuizId))
                    .col(string_null(Attempts::SubmissionId))
                    .col(text(Attempts::Answers))
                    .col(integer(Attempts::Score))
                    .col(integer(Attempts::CorrectCount))
                    .col(integer(Attempts::Total))
                    .col(boolean(Attempts::Passed))
                    .col(integer(Attempts::AttemptNumber))
                    .col(timestamp_with_time_zone(Attempts::CompletedAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_attempts_user",
                        Attempts::Table,
                        Attempts::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        // A retried submission finds its first attempt; a concurrent one cannot add a second.
        manager
            .create_index(
                Index::create()
                    .name("uq_attempts_submission")
                    .table(Attempts::Table)
                    .col(Attempts::UserId)
                    .col(Attempts::QuizId)
                    .col(Attempts::SubmissionId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Two racing submissions cannot both become attempt N.
        manager
            .create_index(
                Index::create()
                    .name("uq_attempts_number")
                    .table(Attempts::Table)
                    .col(Attempts::UserId)
                    .col(Attempts::QuizId)
                    .col(Attempts::AttemptNumber)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Attempts::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Attempts {
    Table,
    Id,
    UserId,
    QuizId,
    SubmissionId,
    Answers,
    Score,
    CorrectCount,
    Total,
    Passed,
    AttemptNumber,
    CompletedAt,
}
