use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// MCP sign-in: clients that register themselves may be public (no secret, PKCE required),
/// and an authorization may name the resource its tokens are for (RFC 8707), which its code
/// and then its token family keep, so refreshed tokens stay bound to it.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OauthClients::Table)
                    .add_column(boolean(OauthClients::Public).default(false))
                    .to_owned(),
            )
            .await?;
        for table in [OauthCodes::Table.into_iden(), OauthFamilies::Table.into_iden()] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(text_null(OauthCodes::Resource))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [OauthCodes::Table.into_iden(), OauthFamilies::Table.into_iden()] {
            manager
                .alter_table(
                    Table::alter().table(table).drop_column(OauthCodes::Resource).to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(OauthClients::Table)
                    .drop_column(OauthClients::Public)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum OauthClients {
    Table,
    Public,
}

#[derive(DeriveIden)]
enum OauthCodes {
    Table,
    Resource,
}

#[derive(DeriveIden)]
enum OauthFamilies {
    Table,
}
