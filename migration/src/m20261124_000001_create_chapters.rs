use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Chapters::Table)
                    .if_not_exists()
                    .col(pk_uuid(Chapters::Id))
                    .col(string_uniq(Chapters::Slug))
                    .col(integer_uniq(Chapters::Order))
                    .col(string(Chapters::Title))
                    .col(string(Chapters::DifficultyLevel))
                    .col(integer(Chapters::EstimatedTime))
                    .col(string(Chapters::ContentKey))
                    .col(string(Chapters::ContentSha256))
                    .col(big_integer(Chapters::ByteSize))
                    .col(integer(Chapters::WordCount))
                    .col(timestamp_with_time_zone(Chapters::CreatedAt))
                    .col(timestamp_with_time_zone(Chapters::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Chapters::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub(crate) enum Chapters {
    Table,
    Id,
    Slug,
    Order,
    Title,
    DifficultyLevel,
    EstimatedTime,
    ContentKey,
    ContentSha256,
    ByteSize,
    WordCount,
    CreatedAt,
    UpdatedAt,
}
