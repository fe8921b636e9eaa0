//! The OAuth 2 authorization server's state: registered clients, remembered consents,
//! authorization codes and refresh-token families. Codes, secrets and tokens are stored only
//! as SHA-256 hashes (they are random and long, so a fast hash is enough).

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
                    .table(OauthClients::Table)
                    .if_not_exists()
                    .col(string(OauthClients::ClientId).primary_key())
                    .col(string(OauthClients::SecretHash))
                    .col(string(OauthClients::Name))
                    // One exact redirect URI per line.
                    .col(text(OauthClients::RedirectUris))
                    .col(timestamp_with_time_zone(OauthClients::CreatedAt))
                    .col(timestamp_with_time_zone_null(OauthClients::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthConsents::Table)
                    .if_not_exists()
                    .col(uuid(OauthConsents::UserId))
                    .col(string(OauthConsents::ClientId))
                    .col(string(OauthConsents::Scope))
                    .col(timestamp_with_time_zone(OauthConsents::GrantedAt))
                    .primary_key(
                        Index::create().col(OauthConsents::UserId).col(OauthConsents::ClientId),
                    )
                    .foreign_key(&mut owned_by_user(
                        "fk_oauth_consents_user",
                        OauthConsents::Table,
                        OauthConsents::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthFamilies::Table)
                    .if_not_exists()
                    .col(pk_uuid(OauthFamilies::Id))
                    .col(string(OauthFamilies::ClientId))
                    .col(uuid(OauthFamilies::UserId))
                    .col(string(OauthFamilies::Scope))
                    .col(timestamp_with_time_zone(OauthFamilies::CreatedAt))
                    .col(timestamp_with_time_zone_null(OauthFamilies::RevokedAt))
                    .foreign_key(&mut owned_by_user(
                        "fk_oauth_families_user",
                        OauthFamilies::Table,
                        OauthFamilies::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthCodes::Table)
                    .if_not_exists()
                    .col(string(OauthCodes::CodeHash).primary_key())
                    .col(string(OauthCodes::ClientId))
                    .col(uuid(OauthCodes::UserId))
                    .col(text(OauthCodes::RedirectUri))
                    .col(string(OauthCodes::Scope))
                    .col(string_null(OauthCodes::CodeChallenge))
                    .col(timestamp_with_time_zone(OauthCodes::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OauthCodes::UsedAt))
                    // What the code's one exchange issued: revoked if the code comes back.
                    .col(uuid_null(OauthCodes::FamilyId))
                    .foreign_key(&mut owned_by_user(
                        "fk_oauth_codes_user",
                        OauthCodes::Table,
                        OauthCodes::UserId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthRefreshTokens::Table)
                    .if_not_exists()
                    .col(string(OauthRefreshTokens::TokenHash).primary_key())
                    .col(uuid(OauthRefreshTokens::FamilyId))
                    .col(timestamp_with_time_zone(OauthRefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OauthRefreshTokens::RotatedAt))
                    .col(timestamp_with_time_zone(OauthRefreshTokens::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oauth_refresh_tokens_family")
                            .from(OauthRefreshTokens::Table, OauthRefreshTokens::FamilyId)
                            .to(OauthFamilies::Table, OauthFamilies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OauthRefreshTokens::Table.into_iden(),
            OauthCodes::Table.into_iden(),
            OauthFamilies::Table.into_iden(),
            OauthConsents::Table.into_iden(),
            OauthClients::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum OauthClients {
    Table,
    ClientId,
    SecretHash,
    Name,
    RedirectUris,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum OauthConsents {
    Table,
    UserId,
    ClientId,
    Scope,
    GrantedAt,
}

#[derive(DeriveIden)]
enum OauthFamilies {
    Table,
    Id,
    ClientId,
    UserId,
    Scope,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum OauthCodes {
    Table,
    CodeHash,
    ClientId,
    UserId,
    RedirectUri,
    Scope,
    CodeChallenge,
    ExpiresAt,
    UsedAt,
    FamilyId,
}

#[derive(DeriveIden)]
enum OauthRefreshTokens {
    Table,
    TokenHash,
    FamilyId,
    ExpiresAt,
    RotatedAt,
    CreatedAt,
}
