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
                    .table(LearnerState::Table)
                    .if_not_exists()
                    .col(pk_uuid(LearnerState::UserId))
                    // The chapter last opened (or the next one, once that was completed).
                    .col(uuid_null(LearnerState::CurrentChapterId))
                    .col(timestamp_with_time_zone_null(LearnerState::LastActivityAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_learner_state_user")
                            .from(LearnerState::Table, LearnerState::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
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
