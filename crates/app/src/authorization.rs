//! The rules of our OAuth 2 authorization server (RFC 6749 authorization code grant, RFC 7636
//! PKCE, RFC 7009 revocation): registered clients, authorization requests, consent, codes,
//! token families and refresh rotation. The door renders pages, reads forms and writes the
//! protocol's responses; every decision is made here.
//!
//! - A code is single-use, lives 5 minutes, and is bound to its client, its redirect URI and
//!   its PKCE challenge, which are checked before it is spent (a failed check leaves it
//!   usable). Spending it and starting its token family are one transaction, so a code
//!   presented twice, even concurrently, is `invalid_grant` and revokes what its first use
//!   issued.
//! - Refresh tokens rotate: each use returns a new one. A rotated token presented again
//!   revokes its whole family.
//! - A client revokes only tokens issued to it (RFC 7009 §2.1).
//! - Clients may register themselves (RFC 7591), or be known by the metadata document at their
//!   `client_id` URL (`client_documents`); public ones (no secret) must use PKCE.
//! - An authorization may name the MCP endpoint as its resource (RFC 8707): its code, then its
//!   token family, keep it, and every access token it yields is bound to it.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use domain::oauth::{constant_time_eq, secret_hash, verifier_matches};
use persistence::{ClientRecord, CodeRecord, CodeRedemption, Grant, NewCode, Rotation, UserRecord};
use uuid::Uuid;

use crate::auth::IssuedToken;
use crate::core::Core;
use crate::error::AppError;
pub use crate::oauth_protocol::OAuthError;
use crate::oauth_protocol::check_redirect_uri;

/// Authorization codes live this long.
const CODE_LIFETIME: Duration = Duration::from_secs(300);

/// A fresh random secret: 32 bytes, base64url (43 characters).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An authorization request as received (`GET /oauth/authorize` and its forms).
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthorizationRequest<'a> {
    pub response_type: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub redirect_uri: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub state: Option<&'a str>,
    pub code_challenge: Option<&'a str>,
    pub code_challenge_method: Option<&'a str>,
    pub resource: Option<&'a str>,
}

impl<'a> AuthorizationRequest<'a> {
    /// Every parameter by name, in a fixed order (the pages carry them as hidden fields).
    pub fn fields(&self) -> [(&'static str, Option<&'a str>); 8] {
        [
            ("response_type", self.response_type),
            ("client_id", self.client_id),
            ("redirect_uri", self.redirect_uri),
            ("scope", self.scope),
            ("state", self.state),
            ("code_challenge", self.code_challenge),
            ("code_challenge_method", self.code_challenge_method),
            ("resource", self.resource),
        ]
    }
}

/// A request whose client and redirect URI are known good.
#[derive(Debug, Clone)]
pub struct ValidRequest {
    pub client: ClientRecord,
    pub redirect_uri: String,
    pub scope: &'static str,
    pub state: Option<String>,
    pub challenge: Option<String>,
    /// The resource its tokens will be bound to.
    pub resource: Option<String>,
}

/// Why an authorization request is refused, and how.
#[derive(Debug)]
pub enum Refusal {
    /// Unknown client or redirect URI (or malformed text): a page, never a redirect.
    Page(String),
    /// Anything else: back to the client at its known-good redirect URI.
    Redirect { request: Box<ValidRequest>, error: OAuthError },
}

/// What happens once the learner is signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// They allowed this client before: here is the code.
    Code(String),
    /// Ask them.
    Consent,
}

/// What the token endpoint was asked for (RFC 6749 §4.1.3, §6).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenRequest<'a> {
    pub grant_type: Option<&'a str>,
    pub code: Option<&'a str>,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
    pub refresh_token: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub resource: Option<&'a str>,
}

/// A successful token response.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: IssuedToken,
    pub refresh_token: String,
    pub scope: String,
}

/// A newly registered client; the secret is shown once, only its hash is stored.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub client_id: String,
    pub client_secret: String,
}

/// How a client proves itself at the token endpoint (RFC 7591 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthMethod {
    /// A public client: no secret, PKCE S256 on every authorization.
    None,
    ClientSecretBasic,
    ClientSecretPost,
}

impl ClientAuthMethod {
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
        }
    }
}

/// A dynamic registration request's metadata (RFC 7591 §2), as received.
#[derive(Debug, Clone, Default)]
pub struct ClientMetadata {
    pub redirect_uris: Vec<String>,
    pub client_name: Option<String>,
    pub token_endpoint_auth_method: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub scope: Option<String>,
}

/// A client that registered itself: what RFC 7591 §3.2.1 answers.
#[derive(Debug, Clone)]
pub struct RegisteredClient {
    pub client_id: String,
    /// None for a public client.
    pub client_secret: Option<String>,
    pub issued_at: DateTime<Utc>,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub auth_method: ClientAuthMethod,
    pub scope: &'static str,
}

/// The authorization server.
#[derive(Debug, Clone, Copy)]
pub struct Authorization<'a> {
    pub(crate) core: &'a Core,
}

impl Authorization<'_> {
    /// Registers a client (`companion client create`).
    pub async fn create_client(
        &self,
        name: &str,
        redirect_uris: Vec<String>,
    ) -> Result<NewClient, AppError> {
        if name.trim().is_empty() {
            return Err(AppError::invalid("name", "must not be empty"));
        }
        if redirect_uris.is_empty() {
            return Err(AppError::invalid("redirect_uri", "give at least one"));
        }
        for uri in &redirect_uris {
            check_redirect_uri(uri)?;
        }
        let (client_id, client_secret) =
            (format!("cc_{}", Uuid::new_v4().simple()), random_secret());
        self.core
            .db
            .create_client(ClientRecord {
                client_id: client_id.clone(),
                secret_hash: secret_hash(&client_secret),
                name: name.trim().to_owned(),
                redirect_uris,
                created_at: Utc::now(),
                revoked_at: None,
                public: false,
            })
            .await?;
        Ok(NewClient { client_id, client_secret })
    }

    /// Dynamic client registration (RFC 7591): for MCP clients, which register themselves.
    /// Refusals are RFC 7591 §3.2.2 errors.
    pub async fn register_client(
        &self,
        metadata: ClientMetadata,
    ) -> Result<RegisteredClient, OAuthError> {
        let bad = |why: String| OAuthError::new("invalid_client_metadata", why);
        if metadata.redirect_uris.is_empty() || metadata.redirect_uris.len() > 10 {
            return Err(OAuthError::new(
                "invalid_redirect_uri",
                "redirect_uris must list 1 to 10 URIs.",
            ));
        }
        for uri in &metadata.redirect_uris {
            check_redirect_uri(uri)
                .map_err(|error| OAuthError::new("invalid_redirect_uri", error.to_string()))?;
        }
        let name = metadata.client_name.as_deref().map_or("MCP client", str::trim);
        crate::input::check_field(
            "client_name",
            name,
            1..=100,
            "must be 1 to 100 characters",
            domain::TextKind::Line,
        )
        .map_err(|error| bad(format!("client_name {error}")))?;
        let auth_method = match metadata.token_endpoint_auth_method.as_deref() {
            None | Some("client_secret_basic") => ClientAuthMethod::ClientSecretBasic,
            Some("client_secret_post") => ClientAuthMethod::ClientSecretPost,
            Some("none") => ClientAuthMethod::None,
            Some(other) => {
                return Err(bad(format!(
                    "token_endpoint_auth_method {other:?} is not supported: use none, \
                     client_secret_basic or client_secret_post."
                )));
            }
        };
        let supported = |field: &str, values: &Option<Vec<String>>, allowed: &[&str]| match values
            .iter()
            .flatten()
            .find(|value| !allowed.contains(&value.as_str()))
        {
            Some(value) => Err(bad(format!("{field} {value:?} is not supported."))),
            None => Ok(()),
        };
        supported("grant_types", &metadata.grant_types, &["authorization_code", "refresh_token"])?;
        supported("response_types", &metadata.response_types, &["code"])?;
        let scope = domain::oauth::parse_scope(metadata.scope.as_deref())
            .map_err(|problem| bad(problem.to_string()))?;
        let client_id = format!("cc_{}", Uuid::new_v4().simple());
        let client_secret = (auth_method != ClientAuthMethod::None).then(random_secret);
        let issued_at = Utc::now();
        self.core
            .db
            .create_client(ClientRecord {
                client_id: client_id.clone(),
                secret_hash: client_secret.as_deref().map(secret_hash).unwrap_or_default(),
                name: name.to_owned(),
                redirect_uris: metadata.redirect_uris.clone(),
                created_at: issued_at,
                revoked_at: None,
                public: client_secret.is_none(),
            })
            .await
            .map_err(|_| OAuthError::unavailable())?;
        Ok(RegisteredClient {
            client_id,
            client_secret,
            issued_at,
            client_name: name.to_owned(),
            redirect_uris: metadata.redirect_uris,
            auth_method,
            scope,
        })
    }

    pub async fn clients(&self) -> Result<Vec<ClientRecord>, AppError> {
        Ok(self.core.db.list_clients().await?)
    }

    /// The client and every token issued to it stop working.
    pub async fn revoke_client(&self, client_id: &str) -> Result<(), AppError> {
        if self.core.db.revoke_client(client_id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound(format!("no active client {client_id}")))
        }
    }

    /// The client and an exact redirect URI first (else a page); then the response type,
    /// scope and PKCE challenge (else back to the client).
    pub async fn validate(
        &self,
        params: &AuthorizationRequest<'_>,
    ) -> Result<ValidRequest, Refusal> {
        // Nothing we issue or store holds a control character: refused before any lookup, on
        // a page (the redirect URI is not known good yet).
        for (field, value) in params.fields() {
            if let Some(value) = value {
                domain::check_text(value, domain::TextKind::Line).map_err(|problem| {
                    Refusal::Page(format!(
                        "The app's sign-in request is malformed: `{field}` {problem}."
                    ))
                })?;
            }
        }
        let client_id = params.client_id.unwrap_or_default();
        let client = match self.find_client(client_id).await {
            Ok(Some(client)) => client,
            Ok(None) => {
                return Err(Refusal::Page(
                    "The app asking you to sign in is not registered.".into(),
                ));
            }
            Err(error) if error.code == "invalid_client" => {
                return Err(Refusal::Page(format!(
                    "The app asking you to sign in could not be identified: {}",
                    error.description
                )));
            }
            Err(_) => {
                return Err(Refusal::Page(
                    "Sign-in is unavailable right now; try again shortly.".into(),
                ));
            }
        };
        let redirect_uri = params.redirect_uri.unwrap_or_default().to_owned();
        if !client.redirect_uris.contains(&redirect_uri) {
            return Err(Refusal::Page("The app's return address is not one it registered.".into()));
        }
        let mut request = ValidRequest {
            client,
            redirect_uri,
            scope: domain::oauth::LEARNER_SCOPE,
            state: params.state.map(str::to_owned),
            challenge: None,
            resource: None,
        };
        if params.response_type != Some("code") {
            let error = OAuthError::new("unsupported_response_type", "Only response_type=code.");
            return Err(Refusal::Redirect { request: Box::new(request), error });
        }
        match domain::oauth::parse_scope(params.scope) {
            Ok(scope) => request.scope = scope,
            Err(problem) => {
                let error = OAuthError::new("invalid_scope", problem.to_string());
                return Err(Refusal::Redirect { request: Box::new(request), error });
            }
        }
        match domain::oauth::parse_challenge(params.code_challenge, params.code_challenge_method) {
            Ok(challenge) => request.challenge = challenge,
            Err(problem) => {
                let error = OAuthError::new("invalid_request", problem.to_string());
                return Err(Refusal::Redirect { request: Box::new(request), error });
            }
        }
        if request.client.public && request.challenge.is_none() {
            let error = OAuthError::new(
                "invalid_request",
                "A public client must send a PKCE code_challenge (S256).",
            );
            return Err(Refusal::Redirect { request: Box::new(request), error });
        }
        match self.check_resource(params.resource) {
            Ok(resource) => request.resource = resource,
            Err(error) => return Err(Refusal::Redirect { request: Box::new(request), error }),
        }
        Ok(request)
    }

    /// A registered client, or one described by the metadata document its id names.
    async fn find_client(&self, client_id: &str) -> Result<Option<ClientRecord>, OAuthError> {
        let documents = &self.core.client_documents;
        if documents.names_document(client_id) {
            return documents.client(client_id).await.map(Some);
        }
        self.core.db.find_client(client_id).await.map_err(|_| OAuthError::unavailable())
    }

    /// The resource (RFC 8707) a request names, if any: only our MCP endpoint can be named.
    fn check_resource(&self, resource: Option<&str>) -> Result<Option<String>, OAuthError> {
        let Some(resource) = resource.filter(|resource| !resource.is_empty()) else {
            return Ok(None);
        };
        let ours = &self.core.oauth.mcp_resource;
        if resource.trim_end_matches('/') == ours.trim_end_matches('/') {
            Ok(Some(ours.clone()))
        } else {
            Err(OAuthError::new(
                "invalid_target",
                format!("The only resource tokens are issued for is {ours}."),
            ))
        }
    }

    /// The resource a tool door's tokens are bound to.
    pub fn mcp_resource(&self) -> &str {
        &self.core.oauth.mcp_resource
    }

    /// A sign-in session for `user` on the authorization pages (a signed token).
    pub fn start_session(&self, user: Uuid) -> Result<IssuedToken, AppError> {
        self.core.sessions.issue(user)
    }

    /// The learner a session token names, if it verifies and they still exist.
    pub async fn session_user(&self, session: &str) -> Option<UserRecord> {
        let subject = self.core.sessions.verify(session)?;
        self.core.db.find_user(subject.user).await.ok().flatten()
    }

    /// After a sign-in: a code at once if the learner allowed this client before, else ask.
    pub async fn after_sign_in(
        &self,
        request: &ValidRequest,
        user: Uuid,
    ) -> Result<NextStep, OAuthError> {
        let client = &request.client.client_id;
        match self.core.db.has_consent(user, client, request.scope).await {
            Ok(true) => self.issue_code(request, user).await.map(NextStep::Code),
            Ok(false) => Ok(NextStep::Consent),
            Err(_) => Err(OAuthError::unavailable()),
        }
    }

    /// The learner's answer on the consent page: allowing is remembered and issues a code.
    pub async fn consent(
        &self,
        request: &ValidRequest,
        user: Uuid,
        allow: bool,
    ) -> Result<String, OAuthError> {
        if !allow {
            return Err(OAuthError::new("access_denied", "The learner denied access."));
        }
        let client = &request.client.client_id;
        if self.core.db.remember_consent(user, client, request.scope).await.is_err() {
            return Err(OAuthError::unavailable());
        }
        self.issue_code(request, user).await
    }

    async fn issue_code(&self, request: &ValidRequest, user: Uuid) -> Result<String, OAuthError> {
        let code = random_secret();
        self.core
            .db
            .store_code(NewCode {
                code_hash: secret_hash(&code),
                client_id: request.client.client_id.clone(),
                user_id: user,
                redirect_uri: request.redirect_uri.clone(),
                scope: request.scope.to_owned(),
                code_challenge: request.challenge.clone(),
                expires_at: Utc::now() + CODE_LIFETIME,
                resource: request.resource.clone(),
            })
            .await
            .map_err(|_| OAuthError::unavailable())?;
        Ok(code)
    }

    /// The client these credentials prove, or `invalid_client`.
    pub async fn authenticate_client(
        &self,
        client_id: &str,
        secret: &str,
    ) -> Result<ClientRecord, OAuthError> {
        let refused = || OAuthError::new("invalid_client", "Unknown client or wrong secret.");
        if domain::check_text(client_id, domain::TextKind::Line).is_err() {
            // Only a Basic header gets here with one: no registered client has such an id.
            return Err(refused());
        }
        let client =
            self.core.db.find_client(client_id).await.map_err(|_| OAuthError::unavailable())?;
        match client {
            Some(client)
                if constant_time_eq(
                    client.secret_hash.as_bytes(),
                    secret_hash(secret).as_bytes(),
                ) =>
            {
                Ok(client)
            }
            _ => Err(refused()),
        }
    }

    /// A public client, which authenticates with its id alone (and its PKCE verifier later),
    /// or `invalid_client`.
    pub async fn public_client(&self, client_id: &str) -> Result<ClientRecord, OAuthError> {
        let refused = || OAuthError::new("invalid_client", "Unknown client or wrong secret.");
        if domain::check_text(client_id, domain::TextKind::Line).is_err() {
            return Err(refused());
        }
        match self.find_client(client_id).await? {
            Some(client) if client.public => Ok(client),
            _ => Err(refused()),
        }
    }

    /// The token endpoint's grant for an authenticated client.
    pub async fn exchange(
        &self,
        client: &ClientRecord,
        request: &TokenRequest<'_>,
    ) -> Result<Tokens, OAuthError> {
        let asked = self.check_resource(request.resource)?;
        let (grant, refresh) = match request.grant_type {
            Some("authorization_code") => self.redeem_code(client, request, &asked).await?,
            Some("refresh_token") => self.rotate_refresh(client, request).await?,
            Some(_) => {
                return Err(OAuthError::new(
                    "unsupported_grant_type",
                    "Use authorization_code or refresh_token.",
                ));
            }
            None => return Err(OAuthError::new("invalid_request", "grant_type is required.")),
        };
        // A token request may name the resource again (RFC 8707 §2.2): it must be the one the
        // sign-in was for (a code is checked before it is spent; a refresh token after).
        if asked.is_some() && asked != grant.resource {
            return Err(wrong_target());
        }
        let lifetime = self.core.oauth.access_token_lifetime;
        let access = self
            .core
            .tokens
            .issue_in_family(grant.user_id, grant.family_id, lifetime, grant.resource.as_deref())
            .map_err(|_| OAuthError::unavailable())?;
        Ok(Tokens { access, refresh_token: refresh, scope: grant.scope })
    }

    fn fresh_refresh(&self) -> (String, DateTime<Utc>) {
        (random_secret(), Utc::now() + self.core.oauth.refresh_token_lifetime)
    }

    async fn rotate_refresh(
        &self,
        client: &ClientRecord,
        request: &TokenRequest<'_>,
    ) -> Result<(Grant, String), OAuthError> {
        if let Some(scope) = request.scope {
            domain::oauth::parse_scope(Some(scope))
                .map_err(|problem| OAuthError::new("invalid_scope", problem.to_string()))?;
        }
        let presented = request
            .refresh_token
            .ok_or_else(|| OAuthError::new("invalid_request", "refresh_token is required."))?;
        let (refresh, expires_at) = self.fresh_refresh();
        let rotation = self
            .core
            .db
            .rotate_refresh(
                &secret_hash(presented),
                &client.client_id,
                secret_hash(&refresh),
                expires_at,
            )
            .await
            .map_err(|_| OAuthError::unavailable())?;
        match rotation {
            Rotation::Rotated(grant) => Ok((grant, refresh)),
            Rotation::Replayed { family } => {
                self.core.revocations.forget(family);
                Err(OAuthError::new(
                    "invalid_grant",
                    "This refresh token was already used; every token of its sign-in is revoked.",
                ))
            }
            Rotation::Invalid => {
                Err(OAuthError::new("invalid_grant", "Unknown, expired or revoked refresh token."))
            }
        }
    }

    /// The code's grant and a first refresh token. The code is checked against everything
    /// it is bound to before it is spent, so a request that fails a check (a wrong verifier,
    /// say) leaves it usable; a spent code presented again with the right bindings revokes
    /// what its first use was issued.
    async fn redeem_code(
        &self,
        client: &ClientRecord,
        request: &TokenRequest<'_>,
        asked: &Option<String>,
    ) -> Result<(Grant, String), OAuthError> {
        let code =
            request.code.ok_or_else(|| OAuthError::new("invalid_request", "code is required."))?;
        let code_hash = secret_hash(code);
        let record = self
            .core
            .db
            .find_code(&code_hash)
            .await
            .map_err(|_| OAuthError::unavailable())?
            .ok_or_else(|| OAuthError::new("invalid_grant", "Unknown code."))?;
        check_code_bindings(&record, client, request)?;
        if asked.is_some() && *asked != record.resource {
            return Err(wrong_target());
        }
        let grant = Grant {
            family_id: Uuid::new_v4(),
            client_id: client.client_id.clone(),
            user_id: record.user_id,
            scope: record.scope,
            resource: record.resource,
        };
        let (refresh, expires_at) = self.fresh_refresh();
        let redemption = self
            .core
            .db
            .redeem_code(&code_hash, &grant, secret_hash(&refresh), expires_at)
            .await
            .map_err(|_| OAuthError::unavailable())?;
        match redemption {
            CodeRedemption::Redeemed => Ok((grant, refresh)),
            CodeRedemption::Replayed { revoked_family } => {
                if let Some(family) = revoked_family {
                    self.core.revocations.forget(family);
                }
                Err(OAuthError::new(
                    "invalid_grant",
                    "This code was already used; the tokens it was exchanged for are revoked.",
                ))
            }
        }
    }

    /// Revokes the sign-in a refresh or access token belongs to, if it was issued to
    /// `client`; an unknown token is fine (RFC 7009 §2.2), another client's is
    /// `unauthorized_client` and left as it is (§2.1).
    pub async fn revoke(&self, client: &ClientRecord, token: &str) -> Result<(), OAuthError> {
        let Some((family, holder)) = self.token_family(token).await? else {
            return Ok(());
        };
        if holder != client.client_id {
            return Err(OAuthError::new(
                "unauthorized_client",
                "This token was issued to another client.",
            ));
        }
        self.core.db.revoke_family(family).await.map_err(|_| OAuthError::unavailable())?;
        self.core.revocations.forget(family);
        Ok(())
    }

    /// The family a refresh or access token belongs to, with the client it was issued to.
    async fn token_family(&self, token: &str) -> Result<Option<(Uuid, String)>, OAuthError> {
        let db = &self.core.db;
        let by_refresh =
            db.refresh_family(&secret_hash(token)).await.map_err(|_| OAuthError::unavailable())?;
        if by_refresh.is_some() {
            return Ok(by_refresh);
        }
        let Some(family) = self.core.tokens.verify(token).and_then(|subject| subject.family) else {
            return Ok(None);
        };
        let holder = db.family_client(family).await.map_err(|_| OAuthError::unavailable())?;
        Ok(holder.map(|holder| (family, holder)))
    }
}

fn wrong_target() -> OAuthError {
    OAuthError::new("invalid_target", "The resource differs from the one this sign-in was for.")
}

/// The client, redirect URI, lifetime and PKCE challenge a code is bound to (RFC 6749
/// §4.1.3, RFC 7636 §4.6). An expired code that was spent is left to the replay check.
fn check_code_bindings(
    record: &CodeRecord,
    client: &ClientRecord,
    request: &TokenRequest<'_>,
) -> Result<(), OAuthError> {
    let invalid = |why: &str| Err(OAuthError::new("invalid_grant", why.to_owned()));
    if record.client_id != client.client_id {
        return invalid("The code was issued to another client.");
    }
    if request.redirect_uri != Some(record.redirect_uri.as_str()) {
        return invalid("redirect_uri differs from the authorization request's.");
    }
    if !record.spent && record.expires_at <= Utc::now() {
        return invalid("The code has expired.");
    }
    match (&record.code_challenge, request.code_verifier) {
        (Some(challenge), Some(verifier)) if verifier_matches(challenge, verifier) => Ok(()),
        (None, None) => Ok(()),
        (Some(_), _) => invalid("The PKCE code_verifier does not match the challenge."),
        (None, Some(_)) => invalid("A code_verifier was sent for a code without a challenge."),
    }
}
