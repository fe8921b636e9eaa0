//! Accounts: sign-up, password sign-in (with its per-account guessing limit), bearer tokens,
//! the caller behind a token, and the caller's own profile.

use chrono::Utc;
use domain::{Email, Password, Role, Tier, TimeZone};
use persistence::{NewUser, PersistenceError, ProfileChanges, UserRecord};

use crate::auth::{Caller, IssuedToken, Subject};
use crate::core::Core;
use crate::error::AppError;

/// A new account, its values already parsed.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: Email,
    pub password: Password,
    pub name: String,
    pub timezone: TimeZone,
    pub background: String,
    pub tier: Tier,
    pub role: Role,
}

impl NewAccount {
    /// A learner signing themselves up: free tier, student role.
    pub fn learner(email: Email, password: Password) -> Self {
        Self {
            email,
            password,
            name: String::new(),
            timezone: TimeZone::default(),
            background: String::new(),
            tier: Tier::Free,
            role: Role::Student,
        }
    }
}

/// Profile fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub name: Option<String>,
    pub timezone: Option<TimeZone>,
    pub background: Option<String>,
    /// A JSON object.
    pub preferences: Option<serde_json::Value>,
}

/// A signed-in account and its bearer token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: IssuedToken,
    pub user: UserRecord,
}

/// Accounts.
#[derive(Debug, Clone, Copy)]
pub struct Accounts<'a> {
    pub(crate) core: &'a Core,
}

impl Accounts<'_> {
    /// Stores a new account; a taken email is `Conflict` `email_taken`.
    pub async fn create(&self, account: NewAccount) -> Result<UserRecord, AppError> {
        let password_hash = self.core.passwords.hash(account.password.expose()).await?;
        self.core
            .db
            .create_user(NewUser {
                email: account.email,
                password_hash,
                name: account.name.trim().to_owned(),
                timezone: account.timezone,
                background: account.background,
                tier: account.tier,
                role: account.role,
            })
            .await
            .map_err(|error| match error {
                PersistenceError::Conflict(_) => AppError::Conflict {
                    code: "email_taken",
                    message: "An account with this email already exists.".into(),
                },
                other => other.into(),
            })
    }

    /// Creates the account and signs it in.
    pub async fn register(&self, account: NewAccount) -> Result<SignedIn, AppError> {
        let user = self.create(account).await?;
        self.signed_in(user)
    }

    /// Exchanges email and password for a bearer token.
    pub async fn login(&self, email: &str, password: String) -> Result<SignedIn, AppError> {
        let user = self.check_credentials(email, password).await?;
        self.signed_in(user)
    }

    fn signed_in(&self, user: UserRecord) -> Result<SignedIn, AppError> {
        Ok(SignedIn { token: self.core.tokens.issue(user.id)?, user })
    }

    /// The account these credentials open, with its login recorded; the same answer, in about
    /// the same time, for an unknown email and a wrong password. Text no account can have (a
    /// control character) is `Invalid` before any lookup. An email with too many recent
    /// attempts that did not succeed is refused (`RateLimited`) before anything is looked up,
    /// alike for known and unknown emails.
    pub async fn check_credentials(
        &self,
        email: &str,
        password: String,
    ) -> Result<UserRecord, AppError> {
        for (field, text) in [("email", email), ("password", password.as_str())] {
            domain::check_text(text, domain::TextKind::Line)
                .map_err(|message| AppError::invalid(field, message))?;
        }
        let attempt = self
            .core
            .failed_logins
            .begin(&domain::account::normalize_email(email))
            .map_err(|retry_after| AppError::RateLimited { retry_after })?;
        let user = self.core.db.find_user_by_email(email).await?;
        let hash = user.as_ref().map(|user| user.password_hash.clone());
        let verified = self.core.passwords.verify(password, hash).await?;
        let Some(mut user) = user.filter(|_| verified) else {
            return Err(AppError::InvalidCredentials);
        };
        attempt.succeeded();
        let now = Utc::now();
        self.core.db.record_login(user.id, now).await?;
        user.last_login = Some(now);
        Ok(user)
    }

    /// Who a bearer token names; `None` for anything that does not verify.
    pub fn verify_token(&self, token: &str) -> Option<Subject> {
        self.core.tokens.verify(token)
    }

    /// Who a bearer token presented at the MCP endpoint names: a token for our API, or one
    /// bound to that endpoint (RFC 8707); `None` for anything else.
    pub fn verify_mcp_token(&self, token: &str) -> Option<Subject> {
        self.core.tokens.verify_at_resource(token, &self.core.oauth.mcp_resource)
    }

    /// The caller a verified token's subject is now: refused when its token family was
    /// revoked or its user is gone. The `learner` scope of an OAuth token never carries admin
    /// powers.
    pub async fn caller(&self, subject: Subject) -> Result<Caller, AppError> {
        let core = self.core;
        if let Some(family) = subject.family
            && !core.revocations.is_active(&core.db, family).await?
        {
            return Err(AppError::Unauthorized("The token has been revoked.".into()));
        }
        let id = subject.user;
        let access =
            core.access.get(&core.db, id).await?.ok_or_else(|| {
                AppError::Unauthorized("The token's user no longer exists.".into())
            })?;
        let role = if subject.family.is_some() { Role::Student } else { access.role };
        Ok(Caller { id, tier: access.tier, role, timezone: access.timezone })
    }

    /// The caller's profile.
    pub async fn profile(&self, caller: &Caller) -> Result<UserRecord, AppError> {
        self.core
            .db
            .find_user(caller.id)
            .await?
            .ok_or_else(|| AppError::NotFound("No such user.".into()))
    }

    /// Changes the caller's profile; a new timezone applies to their very next check-in.
    pub async fn update_profile(
        &self,
        caller: &Caller,
        update: ProfileUpdate,
    ) -> Result<UserRecord, AppError> {
        let changes = ProfileChanges {
            name: update.name.map(|name| name.trim().to_owned()),
            timezone: update.timezone,
            background: update.background,
            preferences: update.preferences.map(|value| value.to_string()),
        };
        let user = self
            .core
            .db
            .update_profile(caller.id, changes)
            .await?
            .ok_or_else(|| AppError::NotFound("No such user.".into()))?;
        self.core.access.forget(caller.id);
        Ok(user)
    }
}
