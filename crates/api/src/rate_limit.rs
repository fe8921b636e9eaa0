//! Per-learner, per-IP and per-OAuth-client rate limits (actix-governor): a general limit on
//! the API; a stricter one per IP that the password routes wrap themselves with (so it holds
//! however a path is spelled: it runs after routing); and, on `/oauth/token`, a limit per
//! authenticated client, with failed client authentications counted per IP. Limits live in
//! this replica's memory.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::governor::{DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};
use actix_governor::{Governor, GovernorConfig, GovernorConfigBuilder, KeyExtractor};
use actix_web::dev::ServiceRequest;
use actix_web::http::header::HeaderMap;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError};
use uuid::Uuid;

use app::{App, Subject, retry_after_secs};

use crate::bearer::bearer_token;
use crate::client_ip::{TrustedProxies, rate_key_address};
use crate::error::ApiError;
use crate::metrics::Metrics;

/// Paths no limit applies to: probes and scrapes must keep working during a flood, and the
/// document and its viewer are static.
fn is_exempt(path: &str) -> bool {
    matches!(path, "/health" | "/metrics" | "/openapi.json" | "/docs") || path.starts_with("/docs/")
}

/// Requests per minute; `0` switches a limit off.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitSettings {
    /// Every route but the exempt ones, per learner (verified token) or else per client IP.
    pub per_minute: u32,
    /// Login, registration and failed OAuth client authentications, per client IP.
    pub auth_per_minute: u32,
    /// Token requests per authenticated OAuth client (ChatGPT's refreshes all come from its
    /// few egress addresses, so an IP limit would sign learners out at scale).
    pub oauth_client_per_minute: u32,
}

/// A subject whose token the rate limiter already verified; the caller extractor reuses it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VerifiedSubject(pub Subject);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Api,
    Auth,
    OAuthClient,
    Registration,
}

impl Scope {
    fn label(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Auth => "auth",
            Self::OAuthClient => "oauth_client",
            Self::Registration => "registration",
        }
    }
}

/// Whose bucket a request draws from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateKey {
    Exempt,
    Learner(Uuid),
    Client(IpAddr),
}

/// Picks the bucket: a verified token's subject, else the client IP (an IPv6 client's /64).
/// A forged or expired token falls back to the IP, so it cannot mint fresh buckets.
#[derive(Debug, Clone)]
pub struct RateKeys {
    scope: Scope,
    /// Off (`0` per minute): every request is exempt.
    enabled: bool,
    app: App,
    proxies: Arc<TrustedProxies>,
    metrics: Metrics,
}

impl RateKeys {
    fn client_key(&self, peer: Option<std::net::SocketAddr>, headers: &HeaderMap) -> RateKey {
        let peer = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |address| address.ip());
        RateKey::Client(rate_key_address(self.proxies.client_ip(peer, headers)))
    }
}

impl KeyExtractor for RateKeys {
    type Key = RateKey;
    type KeyExtractionError = ApiError;

    fn extract(&self, request: &ServiceRequest) -> Result<RateKey, ApiError> {
        if !self.enabled {
            return Ok(RateKey::Exempt);
        }
        if self.scope == Scope::Api {
            if is_exempt(request.path()) {
                return Ok(RateKey::Exempt);
            }
            let accounts = self.app.accounts();
            let path = request.path();
            let at_mcp = path == "/mcp" || path.starts_with("/mcp/");
            let subject = bearer_token(request.headers()).and_then(|token| {
                if at_mcp { accounts.verify_mcp_token(token) } else { accounts.verify_token(token) }
            });
            if let Some(subject) = subject {
                request.extensions_mut().insert(VerifiedSubject(subject));
                return Ok(RateKey::Learner(subject.user));
            }
        }
        Ok(self.client_key(request.peer_addr(), request.headers()))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        _: HttpResponseBuilder,
    ) -> HttpResponse {
        self.metrics.rate_limited(self.scope.label());
        ApiError::rate_limited(negative.wait_time_from(DefaultClock::default().now()))
            .error_response()
    }

    fn whitelisted_keys(&self) -> Vec<RateKey> {
        vec![RateKey::Exempt]
    }
}

type KeyedConfig = GovernorConfig<RateKeys, NoOpMiddleware<QuantaInstant>>;

/// Every limit, shared by every worker of this replica.
#[derive(Debug, Clone)]
pub struct RateLimits {
    api: KeyedConfig,
    auth: KeyedConfig,
    /// Dynamic client registrations, per client IP, at the password limit's rate.
    registration: KeyedConfig,
    /// The password limit's key extractor, for the failed client authentications counted
    /// by hand.
    auth_keys: RateKeys,
    /// `None`: off.
    oauth_clients: Option<Arc<DefaultKeyedRateLimiter<String>>>,
}

impl RateLimits {
    /// `None` only for a quota governor cannot represent (it has no zero-length period).
    pub fn new(
        settings: RateLimitSettings,
        app: &App,
        proxies: TrustedProxies,
        metrics: &Metrics,
    ) -> Option<Self> {
        let proxies = Arc::new(proxies);
        let keys = |scope: Scope, per_minute: u32| RateKeys {
            scope,
            enabled: per_minute > 0,
            app: app.clone(),
            proxies: Arc::clone(&proxies),
            metrics: metrics.clone(),
        };
        let config = |keys: RateKeys, per_minute: u32| {
            // A whole minute's allowance may be spent at once; it then refills evenly.
            let per_minute = per_minute.max(1);
            GovernorConfigBuilder::default()
                .key_extractor(keys)
                .period(Duration::from_secs(60) / per_minute)
                .burst_size(per_minute)
                .finish()
        };
        let auth_keys = keys(Scope::Auth, settings.auth_per_minute);
        let oauth_clients = NonZeroU32::new(settings.oauth_client_per_minute)
            .map(|per_minute| Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))));
        Some(Self {
            api: config(keys(Scope::Api, settings.per_minute), settings.per_minute)?,
            auth: config(auth_keys.clone(), settings.auth_per_minute)?,
            registration: config(
                keys(Scope::Registration, settings.auth_per_minute),
                settings.auth_per_minute,
            )?,
            auth_keys,
            oauth_clients,
        })
    }

    /// The general limit's middleware, for the whole application.
    pub(crate) fn api_middleware(&self) -> Governor<RateKeys, NoOpMiddleware<QuantaInstant>> {
        Governor::new(&self.api)
    }

    /// The per-IP password limit's middleware: every route that checks a password wraps
    /// itself with it, so it applies to whatever spelling of the path actix routed there.
    pub fn auth_middleware(&self) -> Governor<RateKeys, NoOpMiddleware<QuantaInstant>> {
        Governor::new(&self.auth)
    }

    /// The dynamic client registration limit's middleware (`POST /oauth/register`).
    pub(crate) fn registration_middleware(
        &self,
    ) -> Governor<RateKeys, NoOpMiddleware<QuantaInstant>> {
        Governor::new(&self.registration)
    }

    /// Counts a failed OAuth client authentication against the client's IP (the password
    /// limit's bucket); `Err` with the seconds to wait once it is spent.
    pub(crate) fn failed_client_authentication(&self, request: &HttpRequest) -> Result<(), u64> {
        let keys = &self.auth_keys;
        if !keys.enabled {
            return Ok(());
        }
        let key = keys.client_key(request.peer_addr(), request.headers());
        self.auth.limiter().check_key(&key).map_err(|refusal| self.refused(Scope::Auth, &refusal))
    }

    /// Counts a token request of an authenticated OAuth client; `Err` with the seconds to
    /// wait once its allowance is spent.
    pub(crate) fn oauth_client_request(&self, client_id: &str) -> Result<(), u64> {
        let Some(limiter) = &self.oauth_clients else {
            return Ok(());
        };
        limiter
            .check_key(&client_id.to_owned())
            .map_err(|refusal| self.refused(Scope::OAuthClient, &refusal))
    }

    fn refused(&self, scope: Scope, refusal: &NotUntil<QuantaInstant>) -> u64 {
        self.auth_keys.metrics.rate_limited(scope.label());
        retry_after_secs(refusal.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets buckets that have refilled completely: they hold nothing a fresh bucket would
    /// not, so memory stays bounded under a flood of distinct clients.
    pub fn prune(&self) {
        for config in [&self.api, &self.auth, &self.registration] {
            let limiter = config.limiter();
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.oauth_clients {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Buckets held right now, over every limit.
    pub fn tracked_keys(&self) -> usize {
        self.api.limiter().len()
            + self.auth.limiter().len()
            + self.registration.limiter().len()
            + self.oauth_clients.as_ref().map_or(0, |limiter| limiter.len())
    }

    /// Prunes every `interval` for as long as the runtime runs.
    pub fn spawn_pruner(&self, interval: Duration) {
        let limits = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            loop {
                ticks.tick().await;
                limits.prune();
            }
        });
    }
}
