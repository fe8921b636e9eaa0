use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_create_chapters::Chapters;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Quizzes::Table)
                    .if_not_exists()
                    .col(pk_uuid(Quizzes::Id))
                    .col(uuid_uniq(Quizzes::ChapterId))
                    .col(string(Quizzes::Title))
                    .col(integer(Quizzes::PassMark).default(70))
                    .col(string(Quizzes::RevealAnswers).default("always"))
                    .col(integer_null(Quizzes::MaxAttempts))
                    .col(timestamp_with_time_zone(Quizzes::CreatedAt))
                    .col(timestamp_with_time_zone(Quizzes::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quizzes_chapter")
                            .from(Quizzes::Table, Quizzes::ChapterId)
                            .to(Chapters::Table, Chapters::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Quizzes::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub(crate) enum Quizzes {
    Table,
    Id,
    ChapterId,
    Title,
    PassMark,
    RevealAnswers,
    MaxAttempts,
    CreatedAt,
    UpdatedAt,
}
