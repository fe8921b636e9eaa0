use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Streak freezes: those banked, those used, and the current streak's frozen days (a bit per
/// day before the last check-in's).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            small_integer(Streaks::FreezesBanked).default(0),
            integer(Streaks::FreezesUsed).default(0),
            big_integer(Streaks::FrozenDays).default(0),
        ] {
            manager
                .alter_table(Table::alter().table(Streaks::Table).add_column(column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Streaks::FreezesBanked, Streaks::FreezesUsed, Streaks::FrozenDays] {
            manager
                .alter_table(Table::alter().table(Streaks::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Streaks {
    Table,
    FreezesBanked,
    FreezesUsed,
    FrozenDays,
}
