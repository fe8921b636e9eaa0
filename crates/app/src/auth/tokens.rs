//! HS256 JWTs: `sub` (user id), `iat`, `exp`, `iss`, and for OAuth tokens `fam` (their token
//! family) and `aud` (the resource they are bound to, RFC 8707). Nothing else is accepted.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
    iss: String,
    /// The OAuth token family a token was issued to (revocable); none for password logins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fam: Option<Uuid>,
    /// The one resource the token may be used at (RFC 8707); none: our API, as always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
}

/// Who a verified token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub user: Uuid,
    /// Set on tokens issued through OAuth: they stop working when the family is revoked.
    pub family: Option<Uuid>,
}

/// A freshly signed access token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// Signs and verifies access tokens with one shared secret.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    lifetime: Duration,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl Tokens {
    pub fn new(secret: &[u8], issuer: &str, lifetime: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["sub", "exp", "iat", "iss"]);
        validation.leeway = 5;
        // Checked by `verify` and `verify_at_resource`: a token without an audience is good at
        // both doors, one with an audience only at that resource.
        validation.validate_aud = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            lifetime,
        }
    }

    pub fn issue(&self, user: Uuid) -> Result<IssuedToken, AppError> {
        self.issue_at(user, chrono::Utc::now().timestamp())
    }

    /// Signs a token as if issued at `issued_at` (Unix seconds); tests use it for expiry.
    pub fn issue_at(&self, user: Uuid, issued_at: i64) -> Result<IssuedToken, AppError> {
        self.sign(Subject { user, family: None }, issued_at, self.lifetime, None)
    }

    /// A token of an OAuth token family, living `lifetime`, bound to `resource` if one is
    /// named.
    pub fn issue_in_family(
        &self,
        user: Uuid,
        family: Uuid,
        lifetime: Duration,
        resource: Option<&str>,
    ) -> Result<IssuedToken, AppError> {
        let subject = Subject { user, family: Some(family) };
        self.sign(subject, chrono::Utc::now().timestamp(), lifetime, resource)
    }

    fn sign(
        &self,
        subject: Subject,
        issued_at: i64,
        lifetime: Duration,
        resource: Option<&str>,
    ) -> Result<IssuedToken, AppError> {
        let seconds = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            sub: subject.user.to_string(),
            iat: issued_at,
            exp: issued_at.saturating_add(seconds),
            iss: self.issuer.clone(),
            fam: subject.family,
            aud: resource.map(str::to_owned),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)?;
        Ok(IssuedToken { token, expires_in: lifetime.as_secs() })
    }

    /// Who a valid token for our API names; `None` for anything else (garbage, wrong
    /// signature, another algorithm, `alg: none`, expired, wrong issuer, bound to a resource).
    pub fn verify(&self, token: &str) -> Option<Subject> {
        self.verify_at(token, None)
    }

    /// [`Self::verify`] at `resource`: a token bound to it is good there too.
    pub fn verify_at_resource(&self, token: &str, resource: &str) -> Option<Subject> {
        self.verify_at(token, Some(resource))
    }

    fn verify_at(&self, token: &str, resource: Option<&str>) -> Option<Subject> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        if data.claims.aud.is_some() && data.claims.aud.as_deref() != resource {
            return None;
        }
        let user = Uuid::parse_str(&data.claims.sub).ok()?;
        Some(Subject { user, family: data.claims.fam })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use uuid::Uuid;

    use super::Tokens;

    #[test]
    fn a_token_bound_to_a_resource_is_good_there_only_and_an_unbound_one_everywhere() {
        let tokens =
            Tokens::new(b"a-secret-long-enough-for-the-tests", "issuer", Duration::from_secs(60));
        let (user, family) = (Uuid::new_v4(), Uuid::new_v4());
        let life = Duration::from_secs(60);
        let mcp = "https://example.com/mcp";
        let bound = tokens.issue_in_family(user, family, life, Some(mcp)).unwrap().token;
        assert!(tokens.verify(&bound).is_none());
        assert_eq!(tokens.verify_at_resource(&bound, mcp).map(|s| s.user), Some(user));
        assert!(tokens.verify_at_resource(&bound, "https://other.example/mcp").is_none());
        let unbound = tokens.issue_in_family(user, family, life, None).unwrap().token;
        assert_eq!(tokens.verify(&unbound).map(|s| s.family), Some(Some(family)));
        assert!(tokens.verify_at_resource(&unbound, mcp).is_some());
    }
}
