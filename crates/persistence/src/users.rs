//! Accounts: creation, lookup, profile changes, and audited tier changes.

use chrono::{DateTime, Utc};
use domain::{Email, Role, Tier, TimeZone};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use crate::entity::{tier_change, user};
use crate::{Database, PersistenceError};

/// What every authenticated request needs to know about its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAccess {
    pub tier: Tier,
    pub role: Role,
    pub timezone: TimeZone,
}

/// A stored account. `password_hash` never leaves the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: Uuid,
    pub email: Email,
    pub password_hash: String,
    pub name: String,
    pub timezone: TimeZone,
    pub background: String,
    /// A JSON object, as text.
    pub preferences: String,
    pub tier: Tier,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
}

impl TryFrom<user::Model> for UserRecord {
    type Error = PersistenceError;

    fn try_from(row: user::Model) -> Result<Self, Self::Error> {
        let corrupt = |what: String| PersistenceError::Corrupt(format!("user {}: {what}", row.id));
        Ok(Self {
            tier: row.tier.parse().map_err(corrupt)?,
            role: row.role.parse().map_err(corrupt)?,
            id: row.id,
            email: Email::parse(&row.email).map_err(corrupt)?,
            password_hash: row.password_hash,
            name: row.name,
            timezone: TimeZone::parse(&row.timezone).map_err(corrupt)?,
            background: row.background,
            preferences: row.preferences,
            created_at: row.created_at,
            last_login: row.last_login,
        })
    }
}

/// A new account, already validated (password hashed).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub password_hash: String,
    pub name: String,
    pub timezone: TimeZone,
    pub background: String,
    pub tier: Tier,
    pub role: Role,
}

/// Profile fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    pub name: Option<String>,
    pub timezone: Option<TimeZone>,
    pub background: Option<String>,
    pub preferences: Option<String>,
}

/// An applied tier change, as audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierChange {
    pub user_id: Uuid,
    pub previous_tier: Tier,
    pub tier: Tier,
    pub changed_at: DateTime<Utc>,
}

impl Database {
    /// Creates an account; a taken email is `Conflict`.
    pub async fn create_user(&self, new: NewUser) -> Result<UserRecord, PersistenceError> {
        let row = user::ActiveModel {
            id: Set(Uuid::new_v4()),
            email: Set(new.email.as_str().to_owned()),
            password_hash: Set(new.password_hash),
            name: Set(new.name),
            timezone: Set(new.timezone.name().to_owned()),
            background: Set(new.background),
            preferences: Set("{}".into()),
            tier: Set(new.tier.as_str().into()),
            role: Set(new.role.as_str().into()),
            created_at: Set(Utc::now()),
            last_login: Set(None),
        }
        .insert(&self.conn)
        .await?;
        row.try_into()
    }

    pub async fn find_user(&self, id: Uuid) -> Result<Option<UserRecord>, PersistenceError> {
        user::Entity::find_by_id(id).one(&self.conn).await?.map(UserRecord::try_from).transpose()
    }

    /// By email, compared lower-cased.
    pub async fn find_user_by_email(
        &self,
        email: &str,
    ) -> Result<Option<UserRecord>, PersistenceError> {
        user::Entity::find()
            .filter(user::Column::Email.eq(domain::account::normalize_email(email)))
            .one(&self.conn)
            .await?
            .map(UserRecord::try_from)
            .transpose()
    }

    /// Just the tier, role and timezone: what every authenticated request needs.
    pub async fn user_access(&self, id: Uuid) -> Result<Option<UserAccess>, PersistenceError> {
        let row: Option<(String, String, String)> = user::Entity::find_by_id(id)
            .select_only()
            .column(user::Column::Tier)
            .column(user::Column::Role)
            .column(user::Column::Timezone)
            .into_tuple()
            .one(&self.conn)
            .await?;
        row.map(|(tier, role, timezone)| {
            let corrupt = |what: String| PersistenceError::Corrupt(format!("user {id}: {what}"));
            Ok(UserAccess {
                tier: tier.parse().map_err(corrupt)?,
                role: role.parse().map_err(corrupt)?,
                timezone: TimeZone::parse(&timezone).map_err(corrupt)?,
            })
        })
        .transpose()
    }

    pub async fn record_login(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), PersistenceError> {
        user::Entity::update_many()
            .col_expr(user::Column::LastLogin, sea_orm::sea_query::Expr::value(at))
            .filter(user::Column::Id.eq(id))
            .exec(&self.conn)
            .await?;
        Ok(())
    }

    /// Applies profile changes; `None` when the user does not exist.
    pub async fn update_profile(
        &self,
        id: Uuid,
        changes: ProfileChanges,
    ) -> Result<Option<UserRecord>, PersistenceError> {
        let Some(row) = user::Entity::find_by_id(id).one(&self.conn).await? else {
            return Ok(None);
        };
        let mut model = row.into_active_model();
        if let Some(name) = changes.name {
            model.name = Set(name);
        }
        if let Some(timezone) = changes.timezone {
            model.timezone = Set(timezone.name().to_owned());
        }
        if let Some(background) = changes.background {
            model.background = Set(background);
        }
        if let Some(preferences) = changes.preferences {
            model.preferences = Set(preferences);
        }
        model.update(&self.conn).await?.try_into().map(Some)
    }

    /// Sets a user's tier and writes the audit row in the same transaction. `None` when the
    /// user does not exist.
    pub async fn change_tier(
        &self,
        user_id: Uuid,
        tier: Tier,
        changed_by: Option<Uuid>,
        reason: Option<String>,
    ) -> Result<Option<TierChange>, PersistenceError> {
        let txn = self.conn.begin().await?;
        let Some(row) = user::Entity::find_by_id(user_id).one(&txn).await? else {
            return Ok(None);
        };
        let previous_tier: Tier = row.tier.parse().map_err(PersistenceError::Corrupt)?;
        let changed_at = Utc::now();
        let mut model = row.into_active_model();
        model.tier = Set(tier.as_str().into());
        model.update(&txn).await?;
        tier_change::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(user_id),
            from_tier: Set(previous_tier.as_str().into()),
            to_tier: Set(tier.as_str().into()),
            changed_by: Set(changed_by),
            reason: Set(reason),
            changed_at: Set(changed_at),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(Some(TierChange { user_id, previous_tier, tier, changed_at }))
    }

    /// The audit trail of one user's tier, oldest first.
    pub async fn tier_history(&self, user_id: Uuid) -> Result<Vec<(Tier, Tier)>, PersistenceError> {
        use sea_orm::QueryOrder;
        tier_change::Entity::find()
            .filter(tier_change::Column::UserId.eq(user_id))
            .order_by_asc(tier_change::Column::ChangedAt)
            .all(&self.conn)
            .await?
            .into_iter()
            .map(|row| {
                let parse = |t: &str| t.parse::<Tier>().map_err(PersistenceError::Corrupt);
                Ok((parse(&row.from_tier)?, parse(&row.to_tier)?))
            })
            .collect()
    }
}
