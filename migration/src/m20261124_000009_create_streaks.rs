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
                    .table(Streaks::Table)
                    .if_not_exists()
                    .col(pk_uuid(Streaks::UserId))
                    .col(integer(Streaks::Current))
                    .col(integer(Streaks::Longest))
                    // The learner's local date of the last check-in, in their timezone then.
                    .col(date_null(Streaks::LastCheckin))
                    // The instant of the last check-in: re-read in the current timezone.
                    .col(timestamp_with_time_zone_null(Streaks::LastCheckinAt))
                    // Bumped by every change: updates are conditional on it (compare-and-swap).
                    .col(integer(Streaks::Version))
                    .col(timestamp_with_time_zone(Streaks::UpdatedAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_streaks_user",
                        Streaks::Table,
                        Streaks::UserId,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Streaks::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Streaks {
    Table,
    UserId,
    Current,
    Longest,
    LastCheckin,
    LastCheckinAt,
    Version,
    UpdatedAt,
}
