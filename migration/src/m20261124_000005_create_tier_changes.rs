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
                    .table(TierChanges::Table)
                    .if_not_exists()
                    .col(pk_uuid(TierChanges::Id))
                    .col(uuid(TierChanges::UserId))
                    .col(string(TierChanges::FromTier))
                    .col(string(TierChanges::ToTier))
                    // Null when the change came from the command line rather than an admin.
                    .col(uuid_null(TierChanges::ChangedBy))
                    .col(text_null(TierChanges::Reason))
                    .col(timestamp_with_time_zone(TierChanges::ChangedAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_tier_changes_user",
                        TierChanges::Table,
                        TierChanges::UserId,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(TierChanges::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum TierChanges {
    Table,
    Id,
    UserId,
    FromTier,
    ToTier,
    ChangedBy,
    Reason,
    ChangedAt,
}
