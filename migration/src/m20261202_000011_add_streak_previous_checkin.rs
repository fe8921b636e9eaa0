use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The instant of the streak change before the last one: a streak changes at most twice in
/// any 24 hours, whatever the learner does with their timezone.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Streaks::Table)
                    .add_column(timestamp_with_time_zone_null(Streaks::PreviousCheckinAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Streaks::Table)
                    .drop_column(Streaks::PreviousCheckinAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Streaks {
    Table,
    PreviousCheckinAt,
}
