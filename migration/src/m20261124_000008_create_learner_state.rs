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
                    .table(LearnerState::Table)
                    .if_not_exists()
                    .col(pk_uuid(LearnerState::UserId))
                    // The chapter last opened (or the next one, once that was completed).
                    .col(uuid_null(LearnerState::CurrentChapterId))
                    .col(timestamp_with_time_zone_null(LearnerState::LastActivityAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_learner_state_user",
                        LearnerState::Table,
                        LearnerState::UserId,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(LearnerState::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum LearnerState {
    Table,
    UserId,
    CurrentChapterId,
    LastActivityAt,
}
