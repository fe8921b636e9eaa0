use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000002_create_quizzes::Quizzes;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Questions::Table)
                    .if_not_exists()
                    .col(pk_uuid(Questions::Id))
                    .col(uuid(Questions::QuizId))
                    .col(integer(Questions::Position))
                    .col(string(Questions::Kind))
                    .col(text(Questions::Text))
                    .col(text(Questions::Options))
                    .col(text(Questions::Answer))
                    .col(text(Questions::Explanation))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_questions_quiz")
                            .from(Questions::Table, Questions::QuizId)
                            .to(Quizzes::Table, Quizzes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("uq_questions_quiz_position")
                            .col(Questions::QuizId)
                            .col(Questions::Position)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Questions::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Id,
    QuizId,
    Position,
    Kind,
    Text,
    Options,
    Answer,
    Explanation,
}
