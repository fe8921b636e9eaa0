//! OAuth 2 rules that need no I/O: the scope we grant, PKCE (RFC 7636, S256 only), and how
//! secrets are stored (SHA-256, hex).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Compares secrets without leaking, through timing, how much of a guess was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The one scope: read the course and record one's own progress.
pub const LEARNER_SCOPE: &str = "learner";

/// Why an authorization request's parameters are refused (RFC 6749 §4.1.2.1 codes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestProblem {
    #[error("only the `learner` scope exists")]
    InvalidScope,
    #[error("only `code_challenge_method=S256` is supported, with a 43–128 character challenge")]
    InvalidChallenge,
}

/// The granted scope: empty means `learner`; anything else but `learner` is refused.
pub fn parse_scope(requested: Option<&str>) -> Result<&'static str, RequestProblem> {
    let mut words = requested.unwrap_or_default().split_whitespace().peekable();
    if words.peek().is_none() {
        return Ok(LEARNER_SCOPE);
    }
    if words.all(|word| word == LEARNER_SCOPE) {
        Ok(LEARNER_SCOPE)
    } else {
        Err(RequestProblem::InvalidScope)
    }
}

/// A PKCE challenge to store: none, or an S256 one (the `plain` method is refused).
pub fn parse_challenge(
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<String>, RequestProblem> {
    match (challenge.filter(|c| !c.is_empty()), method.filter(|m| !m.is_empty())) {
        (None, None) => Ok(None),
        (Some(challenge), Some("S256")) if is_pkce_text(challenge) => {
            Ok(Some(challenge.to_owned()))
        }
        _ => Err(RequestProblem::InvalidChallenge),
    }
}

/// RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]`.
fn is_pkce_text(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Whether `verifier` answers `challenge` (S256).
pub fn verifier_matches(challenge: &str, verifier: &str) -> bool {
    is_pkce_text(verifier)
        && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

/// How codes, client secrets and refresh tokens are stored: they are long random strings, so
/// one SHA-256 is enough to make a stolen table useless.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_scope_means_learner_and_an_unknown_one_is_refused() {
        assert_eq!(parse_scope(None), Ok("learner"));
        assert_eq!(parse_scope(Some("  ")), Ok("learner"));
        assert_eq!(parse_scope(Some("learner")), Ok("learner"));
        assert_eq!(parse_scope(Some("learner admin")), Err(RequestProblem::InvalidScope));
    }

    #[test]
    fn the_rfc_7636_example_verifier_matches_its_challenge() {
        // RFC 7636, appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verifier_matches(challenge, verifier));
        assert!(!verifier_matches(challenge, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx"));
        assert_eq!(parse_challenge(Some(challenge), Some("S256")), Ok(Some(challenge.to_owned())));
    }

    #[test]
    fn the_plain_method_and_malformed_challenges_are_refused() {
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(
            parse_challenge(Some(challenge), Some("plain")),
            Err(RequestProblem::InvalidChallenge)
        );
        assert_eq!(parse_challenge(Some(challenge), None), Err(RequestProblem::InvalidChallenge));
        assert_eq!(
            parse_challenge(Some("short"), Some("S256")),
            Err(RequestProblem::InvalidChallenge)
        );
        assert_eq!(parse_challenge(None, None), Ok(None));
    }
}
