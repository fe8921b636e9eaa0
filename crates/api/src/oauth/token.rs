//! `POST /oauth/token` (authorization code and refresh token grants) and `POST /oauth/revoke`.
//!
//! Rules (RFC 6749 §3.2, §4.1.3, §5, §6, §10.4; RFC 7636 §4.6; RFC 7009):
//! - Clients authenticate with HTTP Basic (`client_secret_basic`) or with `client_id` and
//!   `client_secret` in the body (`client_secret_post`), never both; bodies are form-encoded
//!   or JSON. A failed authentication is 401 `invalid_client`.
//! - A code is single-use, lives 5 minutes, and is bound to its client, its redirect URI and
//!   its PKCE challenge, which are checked before it is spent (a failed check leaves it
//!   usable). Spending it and starting its token family are one transaction, so a code
//!   presented twice, even concurrently, is `invalid_grant` and revokes what its first use
//!   issued.
//! - Refresh tokens rotate: each use returns a new one. A rotated token presented again
//!   revokes its whole family.
//! - A client revokes only tokens issued to it (RFC 7009 §2.1).
//! - Answers carry `Cache-Control: no-store`; errors are `{error, error_description}`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use domain::oauth::{constant_time_eq, secret_hash, verifier_matches};
use persistence::{ClientRecord, CodeRecord, CodeRedemption, Grant, Rotation};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::random_secret;
use crate::AppState;
use crate::rate_limit::RateLimits;

/// Every field either endpoint reads; which are needed depends on the grant.
#[derive(Debug, Default, Deserialize)]
pub(super) struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    /// For `/oauth/revoke`.
    token: Option<String>,
}

impl TokenRequest {
    /// Every field that was sent, by name.
    fn text_fields(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("grant_type", &self.grant_type),
            ("code", &self.code),
            ("redirect_uri", &self.redirect_uri),
            ("code_verifier", &self.code_verifier),
            ("refresh_token", &self.refresh_token),
            ("scope", &self.scope),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
            ("token", &self.token),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|value| (name, value)))
    }
}

/// An RFC 6749 §5.2 error.
struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
    /// Seconds for `Retry-After` (429 only).
    retry_after_secs: Option<u64>,
}

impl OAuthError {
    fn new(code: &'static str, description: impl Into<String>) -> Self {
        let status = if code == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        Self { status, code, description: description.into(), retry_after_secs: None }
    }

    /// 429: the client (or, unauthenticated, its address) has spent its allowance.
    fn rate_limited(retry_after_secs: u64) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "rate_limited",
            description: format!("Too many requests; retry in {retry_after_secs} s."),
            retry_after_secs: Some(retry_after_secs),
        }
    }

    fn response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"oauth\""));
        }
        if let Some(seconds) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(json!({ "error": self.code, "error_description": self.description }))
    }
}

fn unavailable() -> OAuthError {
    OAuthError::new("temporarily_unavailable", "Try again shortly.")
}

fn parse_body(request: &HttpRequest, body: &[u8]) -> Result<TokenRequest, OAuthError> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    let parsed = if is_json {
        serde_json::from_slice(body).map_err(|error| error.to_string())
    } else {
        serde_urlencoded::from_bytes(body).map_err(|error| error.to_string())
    };
    let body: TokenRequest = parsed
        .map_err(|error| OAuthError::new("invalid_request", format!("Unreadable body: {error}")))?;
    // No code, token or client id we issue holds a control character: refused before any lookup.
    for (field, value) in body.text_fields() {
        domain::check_text(value, domain::TextKind::Line)
            .map_err(|problem| OAuthError::new("invalid_request", format!("{field} {problem}.")))?;
    }
    Ok(body)
}

/// `client_id:client_secret` of an `Authorization: Basic` header.
fn basic_credentials(request: &HttpRequest) -> Option<(String, String)> {
    let value = request.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    // RFC 6749 §2.3.1: each part is form-urlencoded before it is joined and encoded.
    let unescape = |text: &str| -> Option<String> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={text}")).ok()?;
        pairs.into_iter().next().map(|(_, value)| value)
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// The client credentials a request presents, by one method only (not yet checked).
struct ClientCredentials {
    client_id: String,
    secret: String,
}

fn presented_credentials(
    request: &HttpRequest,
    body: &TokenRequest,
) -> Result<ClientCredentials, OAuthError> {
    let basic = basic_credentials(request);
    let posted = body
        .client_secret
        .clone()
        .map(|secret| (body.client_id.clone().unwrap_or_default(), secret));
    match (basic, posted) {
        (Some(_), Some(_)) => {
            Err(OAuthError::new("invalid_request", "Use one client authentication method."))
        }
        (Some((client_id, secret)), None) | (None, Some((client_id, secret))) => {
            Ok(ClientCredentials { client_id, secret })
        }
        (None, None) => {
            Err(OAuthError::new("invalid_client", "Client authentication is required."))
        }
    }
}

/// Client authentication, the first step of both endpoints: the client the request's
/// credentials prove, or 401 `invalid_client`.
async fn authenticate(
    state: &AppState,
    request: &HttpRequest,
    body: &TokenRequest,
) -> Result<ClientRecord, OAuthError> {
    let credentials = presented_credentials(request, body)?;
    if domain::check_text(&credentials.client_id, domain::TextKind::Line).is_err() {
        // Only a Basic header gets here with one: no registered client has such an id.
        return Err(OAuthError::new("invalid_client", "Unknown client or wrong secret."));
    }
    let client = state.db.find_client(&credentials.client_id).await.map_err(|_| unavailable())?;
    match client {
        Some(client)
            if constant_time_eq(
                client.secret_hash.as_bytes(),
                secret_hash(&credentials.secret).as_bytes(),
            ) =>
        {
            Ok(client)
        }
        _ => Err(OAuthError::new("invalid_client", "Unknown client or wrong secret.")),
    }
}

/// The client, authenticated and within its allowance: an authenticated client draws from
/// its own per-client bucket; a failed authentication from its IP's password-limit bucket.
async fn authenticate_within_limits(
    state: &AppState,
    limits: &RateLimits,
    request: &HttpRequest,
    body: &TokenRequest,
) -> Result<ClientRecord, OAuthError> {
    match authenticate(state, request, body).await {
        Ok(client) => {
            limits.oauth_client_request(&client.client_id).map_err(OAuthError::rate_limited)?;
            Ok(client)
        }
        Err(error) if error.code == "invalid_client" => {
            limits.failed_client_authentication(request).map_err(OAuthError::rate_limited)?;
            Err(error)
        }
        Err(error) => Err(error),
    }
}

/// `POST /oauth/token`.
pub(super) async fn token(
    state: web::Data<AppState>,
    limits: web::Data<RateLimits>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    match exchange(&state, &limits, &request, &body).await {
        Ok(answer) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(answer),
        Err(error) => error.response(),
    }
}

async fn exchange(
    state: &AppState,
    limits: &RateLimits,
    request: &HttpRequest,
    body: &[u8],
) -> Result<serde_json::Value, OAuthError> {
    let body = parse_body(request, body)?;
    let client = authenticate_within_limits(state, limits, request, &body).await?;
    let grant = match body.grant_type.as_deref() {
        Some("authorization_code") => redeem_code(state, &client, &body).await?,
        Some("refresh_token") => {
            if let Some(scope) = body.scope.as_deref() {
                domain::oauth::parse_scope(Some(scope))
                    .map_err(|problem| OAuthError::new("invalid_scope", problem.to_string()))?;
            }
            let presented = body
                .refresh_token
                .as_deref()
                .ok_or_else(|| OAuthError::new("invalid_request", "refresh_token is required."))?;
            let (refresh, expires_at) = fresh_refresh(state);
            let rotation = state
                .db
                .rotate_refresh(
                    &secret_hash(presented),
                    &client.client_id,
                    secret_hash(&refresh),
                    expires_at,
                )
                .await
                .map_err(|_| unavailable())?;
            match rotation {
                Rotation::Rotated(grant) => (grant, refresh),
                Rotation::Replayed { family } => {
                    state.auth.revocations.forget(family);
                    return Err(OAuthError::new(
                        "invalid_grant",
                        "This refresh token was already used; every token of its sign-in is revoked.",
                    ));
                }
                Rotation::Invalid => {
                    return Err(OAuthError::new(
                        "invalid_grant",
                        "Unknown, expired or revoked refresh token.",
                    ));
                }
            }
        }
        Some(_) => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                "Use authorization_code or refresh_token.",
            ));
        }
        None => return Err(OAuthError::new("invalid_request", "grant_type is required.")),
    };
    let (grant, refresh) = grant;
    let lifetime = state.settings.oauth.access_token_lifetime;
    let access = state
        .auth
        .tokens
        .issue_in_family(grant.user_id, grant.family_id, lifetime)
        .map_err(|_| unavailable())?;
    Ok(json!({
        "access_token": access.token,
        "token_type": "bearer",
        "expires_in": access.expires_in,
        "refresh_token": refresh,
        "scope": grant.scope,
    }))
}

fn fresh_refresh(state: &AppState) -> (String, chrono::DateTime<Utc>) {
    (random_secret(), Utc::now() + state.settings.oauth.refresh_token_lifetime)
}

/// The code's grant and a first refresh token. The code is checked against everything it is
/// bound to before it is spent, so a request that fails a check (a wrong verifier, say)
/// leaves it usable; a spent code presented again with the right bindings revokes what its
/// first use was issued.
async fn redeem_code(
    state: &AppState,
    client: &ClientRecord,
    body: &TokenRequest,
) -> Result<(Grant, String), OAuthError> {
    let code = body
        .code
        .as_deref()
        .ok_or_else(|| OAuthError::new("invalid_request", "code is required."))?;
    let code_hash = secret_hash(code);
    let record = state
        .db
        .find_code(&code_hash)
        .await
        .map_err(|_| unavailable())?
        .ok_or_else(|| OAuthError::new("invalid_grant", "Unknown code."))?;
    check_code_bindings(&record, client, body)?;
    let grant = Grant {
        family_id: Uuid::new_v4(),
        client_id: client.client_id.clone(),
        user_id: record.user_id,
        scope: record.scope,
    };
    let (refresh, expires_at) = fresh_refresh(state);
    let redemption = state
        .db
        .redeem_code(&code_hash, &grant, secret_hash(&refresh), expires_at)
        .await
        .map_err(|_| unavailable())?;
    match redemption {
        CodeRedemption::Redeemed => Ok((grant, refresh)),
        CodeRedemption::Replayed { revoked_family } => {
            if let Some(family) = revoked_family {
                state.auth.revocations.forget(family);
            }
            Err(OAuthError::new(
                "invalid_grant",
                "This code was already used; the tokens it was exchanged for are revoked.",
            ))
        }
    }
}

/// The client, redirect URI, lifetime and PKCE challenge a code is bound to (RFC 6749
/// §4.1.3, RFC 7636 §4.6). An expired code that was spent is left to the replay check.
fn check_code_bindings(
    record: &CodeRecord,
    client: &ClientRecord,
    body: &TokenRequest,
) -> Result<(), OAuthError> {
    let invalid = |why: &str| Err(OAuthError::new("invalid_grant", why.to_owned()));
    if record.client_id != client.client_id {
        return invalid("The code was issued to another client.");
    }
    if body.redirect_uri.as_deref() != Some(record.redirect_uri.as_str()) {
        return invalid("redirect_uri differs from the authorization request's.");
    }
    if !record.spent && record.expires_at <= Utc::now() {
        return invalid("The code has expired.");
    }
    match (&record.code_challenge, body.code_verifier.as_deref()) {
        (Some(challenge), Some(verifier)) if verifier_matches(challenge, verifier) => Ok(()),
        (None, None) => Ok(()),
        (Some(_), _) => invalid("The PKCE code_verifier does not match the challenge."),
        (None, Some(_)) => invalid("A code_verifier was sent for a code without a challenge."),
    }
}

/// `POST /oauth/revoke` (RFC 7009): revokes the sign-in a refresh or access token belongs
/// to. 200 for an authenticated client whether or not the token was known (§2.2); a token
/// issued to another client is refused with 400 `unauthorized_client` and left as it is
/// (§2.1: the server verifies the token was issued to the client asking).
pub(super) async fn revoke(
    state: web::Data<AppState>,
    limits: web::Data<RateLimits>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let outcome = async {
        let body = parse_body(&request, &body)?;
        let client = authenticate_within_limits(&state, &limits, &request, &body).await?;
        let token = body
            .token
            .as_deref()
            .ok_or_else(|| OAuthError::new("invalid_request", "token is required."))?;
        let Some((family, holder)) = token_family(&state, token).await? else {
            return Ok(());
        };
        if holder != client.client_id {
            return Err(OAuthError::new(
                "unauthorized_client",
                "This token was issued to another client.",
            ));
        }
        state.db.revoke_family(family).await.map_err(|_| unavailable())?;
        state.auth.revocations.forget(family);
        Ok::<(), OAuthError>(())
    };
    match outcome.await {
        Ok(()) => HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).finish(),
        Err(error) => error.response(),
    }
}

/// The family a refresh or access token belongs to, with the client it was issued to.
async fn token_family(state: &AppState, token: &str) -> Result<Option<(Uuid, String)>, OAuthError> {
    let by_refresh =
        state.db.refresh_family(&secret_hash(token)).await.map_err(|_| unavailable())?;
    if by_refresh.is_some() {
        return Ok(by_refresh);
    }
    let Some(family) = state.auth.tokens.verify(token).and_then(|subject| subject.family) else {
        return Ok(None);
    };
    let holder = state.db.family_client(family).await.map_err(|_| unavailable())?;
    Ok(holder.map(|holder| (family, holder)))
}
