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
                    .table(ChapterCompletions::Table)
                    .if_not_exists()
                    .col(uuid(ChapterCompletions::UserId))
                    // No foreign key: removing a chapter by re-import never deletes completions;
                    // progress counts only chapters that still exist.
                    .col(uuid(ChapterCompletions::ChapterId))
                    .col(timestamp_with_time_zone(ChapterCompletions::CompletedAt))
                    .primary_key(
                        Index::create()
                            .col(ChapterCompletions::UserId)
                            .col(ChapterCompletions::ChapterId),
                    )
                    .foreign_key(&mut owned_by_user(
                        "fk_completions_user",
                        ChapterCompletions::Table,
                        ChapterCompletions::UserId,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ChapterCompletions::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ChapterCompletions {
    Table,
    UserId,
    ChapterId,
    CompletedAt,
}
