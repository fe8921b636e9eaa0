//! `POST /oauth/token` (authorization code and refresh token grants) and `POST /oauth/revoke`.
//!
//! The protocol's side (RFC 6749 §3.2, §5; RFC 7009); the grants' rules are
//! `app::Authorization`'s:
//! - Clients authenticate with HTTP Basic (`client_secret_basic`) or with `client_id` and
//!   `client_secret` in the body (`client_secret_post`), never both; a public client (one that
//!   registered with `token_endpoint_auth_method: none`) sends its `client_id` alone. Bodies
//!   are form-encoded or JSON. A failed authentication is 401 `invalid_client`.
//! - Answers carry `Cache-Control: no-store`; errors are `{error, error_description}`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use app::ClientRecord;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;

use crate::rate_limit::RateLimits;
use crate::state::AppState;

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
    /// RFC 8707: the resource the token is for.
    resource: Option<String>,
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
            ("resource", &self.resource),
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

    fn refused(error: app::OAuthError) -> Self {
        Self::new(error.code, error.description)
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
enum ClientCredentials {
    Secret {
        client_id: String,
        secret: String,
    },
    /// A public client's id alone.
    Public {
        client_id: String,
    },
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
            Ok(ClientCredentials::Secret { client_id, secret })
        }
        (None, None) => match body.client_id.clone() {
            Some(client_id) => Ok(ClientCredentials::Public { client_id }),
            None => Err(OAuthError::new("invalid_client", "Client authentication is required.")),
        },
    }
}

/// Client authentication, the first step of both endpoints: the client the request's
/// credentials prove, or 401 `invalid_client`.
async fn authenticate(
    state: &AppState,
    request: &HttpRequest,
    body: &TokenRequest,
) -> Result<ClientRecord, OAuthError> {
    let authorization = state.app.authorization();
    let client = match presented_credentials(request, body)? {
        ClientCredentials::Secret { client_id, secret } => {
            authorization.authenticate_client(&client_id, &secret).await
        }
        ClientCredentials::Public { client_id } => authorization.public_client(&client_id).await,
    };
    client.map_err(OAuthError::refused)
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
    let grant = app::TokenRequest {
        grant_type: body.grant_type.as_deref(),
        code: body.code.as_deref(),
        redirect_uri: body.redirect_uri.as_deref(),
        code_verifier: body.code_verifier.as_deref(),
        refresh_token: body.refresh_token.as_deref(),
        scope: body.scope.as_deref(),
        resource: body.resource.as_deref(),
    };
    let issued =
        state.app.authorization().exchange(&client, &grant).await.map_err(OAuthError::refused)?;
    Ok(json!({
        "access_token": issued.access.token,
        "token_type": "bearer",
        "expires_in": issued.access.expires_in,
        "refresh_token": issued.refresh_token,
        "scope": issued.scope,
    }))
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
        state.app.authorization().revoke(&client, token).await.map_err(OAuthError::refused)?;
        Ok::<(), OAuthError>(())
    };
    match outcome.await {
        Ok(()) => HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).finish(),
        Err(error) => error.response(),
    }
}
