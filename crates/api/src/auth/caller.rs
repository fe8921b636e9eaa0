//! The authenticated caller of a learner route, taken from `Authorization: Bearer <jwt>`.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use paperclip::actix::Apiv2Security;

use crate::bearer::bearer_token;
use crate::error::ApiError;
use crate::rate_limit::VerifiedSubject;
use crate::request_context::LoggedUser;
use crate::state::AppState;

/// Who is calling: a verified token's subject with their current tier, role and timezone.
#[derive(Debug, Clone, Copy, Apiv2Security)]
#[openapi(
    apiKey,
    alias = "bearerAuth",
    in = "header",
    name = "Authorization",
    description = "An access token from /api/v1/auth/login or /oauth/token: `Bearer <jwt>`."
)]
pub struct Caller(pub app::Caller);

impl std::ops::Deref for Caller {
    type Target = app::Caller;

    fn deref(&self) -> &app::Caller {
        &self.0
    }
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
                Some(token) => state
                    .app
                    .accounts()
                    .verify_token(token)
                    .ok_or("The token is invalid or expired."),
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
            Ok(Self(state.app.accounts().caller(subject).await?))
        })
    }
}
