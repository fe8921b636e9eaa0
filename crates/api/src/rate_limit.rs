//! Per-learner and per-IP rate limits (actix-governor): a general limit on the API, and a
//! stricter one on the password routes. Limits live in this replica's memory.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{Governor, GovernorConfig, GovernorConfigBuilder, KeyExtractor};
use actix_web::dev::ServiceRequest;
use actix_web::{HttpMessage, HttpResponse, HttpResponseBuilder, ResponseError};
use uuid::Uuid;

use crate::ApiError;
use crate::auth::{Subject, Tokens, bearer_token};
use crate::client_ip::TrustedProxies;
use crate::metrics::Metrics;

/// Paths the stricter password limit applies to: every place a password or a client secret
/// is checked.
const AUTH_PATHS: [&str; 5] = [
    "/api/v1/auth/login",
    "/api/v1/auth/register",
    "/oauth/authorize/signin",
    "/oauth/authorize/register",
    "/oauth/token",
];
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
    /// Login and registration, per client IP.
    pub auth_per_minute: u32,
}

/// A subject whose token the rate limiter already verified; the caller extractor reuses it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VerifiedSubject(pub Subject);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Api,
    Auth,
}

impl Scope {
    fn label(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Auth => "auth",
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

/// Picks the bucket: a verified token's subject, else the client IP. A forged or expired
/// token falls back to the IP, so it cannot mint fresh buckets.
#[derive(Debug, Clone)]
pub struct RateKeys {
    scope: Scope,
    /// Off (`0` per minute): every request is exempt.
    enabled: bool,
    tokens: Arc<Tokens>,
    proxies: Arc<TrustedProxies>,
    metrics: Metrics,
}

impl RateKeys {
    fn client_ip(&self, request: &ServiceRequest) -> IpAddr {
        let peer = request.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        self.proxies.client_ip(peer, request.headers())
    }
}

impl KeyExtractor for RateKeys {
    type Key = RateKey;
    type KeyExtractionError = ApiError;

    fn extract(&self, request: &ServiceRequest) -> Result<RateKey, ApiError> {
        let path = request.path();
        if !self.enabled {
            return Ok(RateKey::Exempt);
        }
        match self.scope {
            Scope::Api if is_exempt(path) => return Ok(RateKey::Exempt),
            Scope::Api => {
                let subject =
                    bearer_token(request.headers()).and_then(|token| self.tokens.verify(token));
                if let Some(subject) = subject {
                    request.extensions_mut().insert(VerifiedSubject(subject));
                    return Ok(RateKey::Learner(subject.user));
                }
            }
            Scope::Auth if !AUTH_PATHS.contains(&path) => return Ok(RateKey::Exempt),
            Scope::Auth => {}
        }
        Ok(RateKey::Client(self.client_ip(request)))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        _: HttpResponseBuilder,
    ) -> HttpResponse {
        self.metrics.rate_limited(self.scope.label());
        let wait = negative.wait_time_from(DefaultClock::default().now());
        ApiError::RateLimited { retry_after_secs: whole_seconds_at_least_one(wait) }
            .error_response()
    }

    fn whitelisted_keys(&self) -> Vec<RateKey> {
        vec![RateKey::Exempt]
    }
}

/// `Retry-After` is whole seconds: rounded up, so a client that waits that long is let in,
/// and never 0, which clients read as "retry at once".
fn whole_seconds_at_least_one(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

type KeyedConfig = GovernorConfig<RateKeys, NoOpMiddleware<QuantaInstant>>;

/// Both limits, shared by every worker of this replica.
#[derive(Debug, Clone)]
pub struct RateLimits {
    api: KeyedConfig,
    auth: KeyedConfig,
}

impl RateLimits {
    /// `None` only for a quota governor cannot represent (it has no zero-length period).
    pub fn new(
        settings: RateLimitSettings,
        tokens: &Arc<Tokens>,
        proxies: TrustedProxies,
        metrics: &Metrics,
    ) -> Option<Self> {
        let proxies = Arc::new(proxies);
        let config = |scope: Scope, per_minute: u32| {
            let keys = RateKeys {
                scope,
                enabled: per_minute > 0,
                tokens: Arc::clone(tokens),
                proxies: Arc::clone(&proxies),
                metrics: metrics.clone(),
            };
            // A whole minute's allowance may be spent at once; it then refills evenly.
            let per_minute = per_minute.max(1);
            GovernorConfigBuilder::default()
                .key_extractor(keys)
                .period(Duration::from_secs(60) / per_minute)
                .burst_size(per_minute)
                .finish()
        };
        Some(Self {
            api: config(Scope::Api, settings.per_minute)?,
            auth: config(Scope::Auth, settings.auth_per_minute)?,
        })
    }

    /// The general limit's middleware.
    pub(crate) fn api_middleware(&self) -> Governor<RateKeys, NoOpMiddleware<QuantaInstant>> {
        Governor::new(&self.api)
    }

    /// The password routes' middleware.
    pub(crate) fn auth_middleware(&self) -> Governor<RateKeys, NoOpMiddleware<QuantaInstant>> {
        Governor::new(&self.auth)
    }

    /// Forgets buckets that have refilled completely: they hold nothing a fresh bucket would
    /// not, so memory stays bounded under a flood of distinct clients.
    pub fn prune(&self) {
        for config in [&self.api, &self.auth] {
            let limiter = config.limiter();
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Buckets held right now, over both limits.
    pub fn tracked_keys(&self) -> usize {
        self.api.limiter().len() + self.auth.limiter().len()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        assert_eq!(whole_seconds_at_least_one(Duration::ZERO), 1);
        assert_eq!(whole_seconds_at_least_one(Duration::from_millis(10)), 1);
        assert_eq!(whole_seconds_at_least_one(Duration::from_millis(1_000)), 1);
        assert_eq!(whole_seconds_at_least_one(Duration::from_millis(1_001)), 2);
        assert_eq!(whole_seconds_at_least_one(Duration::from_millis(5_999)), 6);
    }
}
