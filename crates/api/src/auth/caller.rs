//! The authenticated caller of a learner route, taken from `Authorization: Bearer <jwt>`.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use domain::account::Tz;
use domain::{Role, Tier};
use paperclip::actix::Apiv2Security;
use uuid::Uuid;

use crate::rate_limit::VerifiedSubject;
use crate::request_context::LoggedUser;
use crate::{ApiError, AppState};

/// Who is calling: a verified token's subject with their current tier, role and timezone.
#[derive(Debug, Clone, Copy, Apiv2Security)]
#[openapi(
    apiKey,
    alias = "bearerAuth",
    in = "header",
    name = "Authorization",
    description = "An access token from /api/v1/auth/login or /oauth/token: `Bearer <jwt>`."
)]
pub struct Caller {
    pub id: Uuid,
    pub tier: Tier,
    pub role: Role,
    pub timezone: Tz,
}

/// A `{user}` path segment: a UUID or `me`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRef {
    Me,
    Id(Uuid),
}

impl UserRef {
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        if text == "me" {
            return Ok(Self::Me);
        }
        domain::parse_id(text)
            .map(Self::Id)
            .ok_or_else(|| ApiError::validation("user", "must be a user id (UUID) or `me`"))
    }
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The user a request is about: the caller, or — for admins only — anyone.
    pub fn resolve(&self, user: UserRef) -> Result<Uuid, ApiError> {
        match user {
            UserRef::Me => Ok(self.id),
            UserRef::Id(id) if id == self.id || self.is_admin() => Ok(id),
            UserRef::Id(_) => {
                Err(ApiError::Forbidden("Only an admin may act on another user.".into()))
            }
        }
    }

    /// Admins only.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("This needs the admin role.".into()))
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = request.app_data::<web::Data<AppState>>().cloned();
        // The rate limiter has usually verified the token already.
        let verified = request.extensions().get::<VerifiedSubject>().map(|subject| subject.0);
        let subject = match (verified, &state) {
            (Some(subject), _) => Ok(subject),
            (None, Some(state)) => match bearer_token(request.headers()) {
                Some(token) => {
                    state.auth.tokens.verify(token).ok_or("The token is invalid or expired.")
                }
                None => Err("A bearer token is required."),
            },
            (None, None) => Err("A bearer token is required."),
        };
        if let Ok(subject) = subject {
            request.extensions_mut().insert(LoggedUser(subject.user));
        }
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state is missing"))?;
            let subject = subject.map_err(|message| ApiError::Unauthorized(message.into()))?;
            if let Some(family) = subject.family
                && !state.auth.revocations.is_active(&state.db, family).await?
            {
                return Err(ApiError::Unauthorized("The token has been revoked.".into()));
            }
            let id = subject.user;
            let access = state.auth.access.get(&state.db, id).await?.ok_or_else(|| {
                ApiError::Unauthorized("The token's user no longer exists.".into())
            })?;
            // The `learner` scope of an OAuth token never carries admin powers.
            let role = if subject.family.is_some() { Role::Student } else { access.role };
            Ok(Self { id, tier: access.tier, role, timezone: access.timezone })
        })
    }
}
