use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000004_create_users::Users;

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
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_completions_user")
                            .from(ChapterCompletions::Table, ChapterCompletions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
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
