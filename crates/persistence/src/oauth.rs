//! The OAuth 2 authorization server's records: clients, consents, authorization codes and
//! refresh-token families. Every secret arrives here already hashed.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use uuid::Uuid;

use crate::entity::{oauth_client, oauth_code, oauth_consent, oauth_family, oauth_refresh_token};
use crate::{Database, PersistenceError};

/// A registered client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    pub client_id: String,
    pub secret_hash: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// No secret: it proves nothing at the token endpoint but its PKCE verifier.
    pub public: bool,
}

impl From<oauth_client::Model> for ClientRecord {
    fn from(row: oauth_client::Model) -> Self {
        Self {
            redirect_uris: row.redirect_uris.lines().map(str::to_owned).collect(),
            client_id: row.client_id,
            secret_hash: row.secret_hash,
            name: row.name,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
            public: row.public,
        }
    }
}

/// An authorization code to store (its hash) until it is exchanged.
#[derive(Debug, Clone)]
pub struct NewCode {
    pub code_hash: String,
    pub client_id: String,
    pub user_id: Uuid,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub resource: Option<String>,
}

/// A code as it was issued, and whether it has been spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRecord {
    pub client_id: String,
    pub user_id: Uuid,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub spent: bool,
    pub resource: Option<String>,
}

impl From<oauth_code::Model> for CodeRecord {
    fn from(row: oauth_code::Model) -> Self {
        Self {
            client_id: row.client_id,
            user_id: row.user_id,
            redirect_uri: row.redirect_uri,
            scope: row.scope,
            code_challenge: row.code_challenge,
            expires_at: row.expires_at,
            spent: row.used_at.is_some(),
            resource: row.resource,
        }
    }
}

/// What presenting a code (already checked against what it is bound to) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRedemption {
    /// First use: the code is spent and its token family started, in one transaction.
    Redeemed,
    /// Used before: the family its first use started (if the code still exists) is revoked
    /// now.
    Replayed { revoked_family: Option<Uuid> },
}

/// The grant behind a family of tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub family_id: Uuid,
    pub client_id: String,
    pub user_id: Uuid,
    pub scope: String,
    /// The resource (RFC 8707) its access tokens are bound to.
    pub resource: Option<String>,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token is spent and its successor stored.
    Rotated(Grant),
    /// Presented again after its rotation: the whole family is revoked now.
    Replayed { family: Uuid },
    /// Unknown, expired, revoked, or issued to another client.
    Invalid,
}

impl Database {
    pub async fn create_client(&self, client: ClientRecord) -> Result<(), PersistenceError> {
        oauth_client::ActiveModel {
            client_id: Set(client.client_id),
            secret_hash: Set(client.secret_hash),
            name: Set(client.name),
            redirect_uris: Set(client.redirect_uris.join("\n")),
            created_at: Set(client.created_at),
            revoked_at: Set(None),
            public: Set(client.public),
        }
        .insert(&self.conn)
        .await?;
        Ok(())
    }

    pub async fn list_clients(&self) -> Result<Vec<ClientRecord>, PersistenceError> {
        let rows = oauth_client::Entity::find()
            .order_by_asc(oauth_client::Column::CreatedAt)
            .all(&self.conn)
            .await?;
        Ok(rows.into_iter().map(ClientRecord::from).collect())
    }

    /// A client that has not been revoked.
    pub async fn find_client(
        &self,
        client_id: &str,
    ) -> Result<Option<ClientRecord>, PersistenceError> {
        let row = oauth_client::Entity::find_by_id(client_id.to_owned())
            .filter(oauth_client::Column::RevokedAt.is_null())
            .one(&self.conn)
            .await?;
        Ok(row.map(ClientRecord::from))
    }

    /// Revokes a client and everything issued to it; false if there is no such client.
    pub async fn revoke_client(&self, client_id: &str) -> Result<bool, PersistenceError> {
        let now = Utc::now();
        let txn = self.conn.begin().await?;
        let revoked = oauth_client::Entity::update_many()
            .col_expr(oauth_client::Column::RevokedAt, Expr::value(now))
            .filter(oauth_client::Column::ClientId.eq(client_id))
            .filter(oauth_client::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        oauth_family::Entity::update_many()
            .col_expr(oauth_family::Column::RevokedAt, Expr::value(now))
            .filter(oauth_family::Column::ClientId.eq(client_id))
            .filter(oauth_family::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(revoked.rows_affected > 0)
    }

    pub async fn has_consent(
        &self,
        user_id: Uuid,
        client_id: &str,
        scope: &str,
    ) -> Result<bool, PersistenceError> {
        let row = oauth_consent::Entity::find_by_id((user_id, client_id.to_owned()))
            .one(&self.conn)
            .await?;
        Ok(row.is_some_and(|row| row.scope == scope))
    }

    pub async fn remember_consent(
        &self,
        user_id: Uuid,
        client_id: &str,
        scope: &str,
    ) -> Result<(), PersistenceError> {
        let existing = oauth_consent::Entity::find_by_id((user_id, client_id.to_owned()))
            .one(&self.conn)
            .await?;
        let model = oauth_consent::ActiveModel {
            user_id: Set(user_id),
            client_id: Set(client_id.to_owned()),
            scope: Set(scope.to_owned()),
            granted_at: Set(Utc::now()),
        };
        if existing.is_some() {
            model.update(&self.conn).await?;
        } else {
            model.insert(&self.conn).await?;
        }
        Ok(())
    }

    pub async fn store_code(&self, code: NewCode) -> Result<(), PersistenceError> {
        oauth_code::ActiveModel {
            code_hash: Set(code.code_hash),
            client_id: Set(code.client_id),
            user_id: Set(code.user_id),
            redirect_uri: Set(code.redirect_uri),
            scope: Set(code.scope),
            code_challenge: Set(code.code_challenge),
            expires_at: Set(code.expires_at),
            used_at: Set(None),
            family_id: Set(None),
            resource: Set(code.resource),
        }
        .insert(&self.conn)
        .await?;
        Ok(())
    }

    /// A code as issued, without spending it (it is checked before it is spent).
    pub async fn find_code(&self, code_hash: &str) -> Result<Option<CodeRecord>, PersistenceError> {
        let row = oauth_code::Entity::find_by_id(code_hash.to_owned()).one(&self.conn).await?;
        Ok(row.map(CodeRecord::from))
    }

    /// Spends a code and starts the token family of `grant` with its first refresh token,
    /// in one transaction. Exactly one caller ever gets `Redeemed`: the update is conditional
    /// on the code being unused, and a racing one waits for it to commit, then finds the
    /// code spent with its family already recorded, and revokes that family.
    pub async fn redeem_code(
        &self,
        code_hash: &str,
        grant: &Grant,
        refresh_hash: String,
        refresh_expires_at: DateTime<Utc>,
    ) -> Result<CodeRedemption, PersistenceError> {
        let now = Utc::now();
        let txn = self.conn.begin().await?;
        // The write comes first, so that SQLite takes its write lock before reading anything.
        let spent = oauth_code::Entity::update_many()
            .col_expr(oauth_code::Column::UsedAt, Expr::value(now))
            .col_expr(oauth_code::Column::FamilyId, Expr::value(grant.family_id))
            .filter(oauth_code::Column::CodeHash.eq(code_hash))
            .filter(oauth_code::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if spent.rows_affected == 1 {
            oauth_family::ActiveModel {
                id: Set(grant.family_id),
                client_id: Set(grant.client_id.clone()),
                user_id: Set(grant.user_id),
                scope: Set(grant.scope.clone()),
                created_at: Set(now),
                revoked_at: Set(None),
                resource: Set(grant.resource.clone()),
            }
            .insert(&txn)
            .await?;
            insert_refresh(&txn, grant.family_id, refresh_hash, refresh_expires_at).await?;
            txn.commit().await?;
            return Ok(CodeRedemption::Redeemed);
        }
        txn.rollback().await?;
        let family = oauth_code::Entity::find_by_id(code_hash.to_owned())
            .one(&self.conn)
            .await?
            .and_then(|row| row.family_id);
        if let Some(family) = family {
            self.revoke_family(family).await?;
        }
        Ok(CodeRedemption::Replayed { revoked_family: family })
    }

    /// Spends a refresh token of `client_id` and stores its successor. Presenting a token
    /// that was already rotated revokes its whole family (it has leaked, or been replayed).
    pub async fn rotate_refresh(
        &self,
        token_hash: &str,
        client_id: &str,
        next_hash: String,
        next_expires_at: DateTime<Utc>,
    ) -> Result<Rotation, PersistenceError> {
        let now = Utc::now();
        let txn = self.conn.begin().await?;
        let Some(token) =
            oauth_refresh_token::Entity::find_by_id(token_hash.to_owned()).one(&txn).await?
        else {
            return Ok(Rotation::Invalid);
        };
        let Some(family) = oauth_family::Entity::find_by_id(token.family_id).one(&txn).await?
        else {
            return Ok(Rotation::Invalid);
        };
        if family.revoked_at.is_some() || family.client_id != client_id || token.expires_at <= now {
            return Ok(Rotation::Invalid);
        }
        let spent = oauth_refresh_token::Entity::update_many()
            .col_expr(oauth_refresh_token::Column::RotatedAt, Expr::value(now))
            .filter(oauth_refresh_token::Column::TokenHash.eq(token_hash))
            .filter(oauth_refresh_token::Column::RotatedAt.is_null())
            .exec(&txn)
            .await?;
        if spent.rows_affected != 1 {
            txn.rollback().await?;
            self.revoke_family(family.id).await?;
            return Ok(Rotation::Replayed { family: family.id });
        }
        insert_refresh(&txn, family.id, next_hash, next_expires_at).await?;
        txn.commit().await?;
        Ok(Rotation::Rotated(Grant {
            family_id: family.id,
            client_id: family.client_id,
            user_id: family.user_id,
            scope: family.scope,
            resource: family.resource,
        }))
    }

    /// The family a refresh token belongs to, and the client it was issued to.
    pub async fn refresh_family(
        &self,
        token_hash: &str,
    ) -> Result<Option<(Uuid, String)>, PersistenceError> {
        let Some(token) =
            oauth_refresh_token::Entity::find_by_id(token_hash.to_owned()).one(&self.conn).await?
        else {
            return Ok(None);
        };
        self.family_client(token.family_id).await.map(|client| client.map(|c| (token.family_id, c)))
    }

    /// The client a token family was issued to.
    pub async fn family_client(&self, family_id: Uuid) -> Result<Option<String>, PersistenceError> {
        let family = oauth_family::Entity::find_by_id(family_id).one(&self.conn).await?;
        Ok(family.map(|family| family.client_id))
    }

    /// Whether a family's access tokens are still honoured.
    pub async fn family_active(&self, family_id: Uuid) -> Result<bool, PersistenceError> {
        let family = oauth_family::Entity::find_by_id(family_id).one(&self.conn).await?;
        Ok(family.is_some_and(|family| family.revoked_at.is_none()))
    }

    pub async fn revoke_family(&self, family_id: Uuid) -> Result<(), PersistenceError> {
        oauth_family::Entity::update_many()
            .col_expr(oauth_family::Column::RevokedAt, Expr::value(Utc::now()))
            .filter(oauth_family::Column::Id.eq(family_id))
            .filter(oauth_family::Column::RevokedAt.is_null())
            .exec(&self.conn)
            .await?;
        Ok(())
    }
}

async fn insert_refresh(
    txn: &sea_orm::DatabaseTransaction,
    family_id: Uuid,
    token_hash: String,
    expires_at: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    oauth_refresh_token::ActiveModel {
        token_hash: Set(token_hash),
        family_id: Set(family_id),
        expires_at: Set(expires_at),
        rotated_at: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(txn)
    .await?;
    Ok(())
}
