//! The OAuth protocol's vocabulary that the authorization server's parts share: its refusal
//! and the rule every redirect URI follows.

use crate::error::AppError;

/// An RFC 6749 §5.2 / §4.1.2.1 refusal: its error code and a description for a developer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OAuthError {
    pub code: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: &'static str, description: impl Into<String>) -> Self {
        Self { code, description: description.into() }
    }

    pub fn unavailable() -> Self {
        Self::new("temporarily_unavailable", "Try again shortly.")
    }
}

/// A redirect URI we accept: https, or http on a loopback host; no fragment.
pub(crate) fn check_redirect_uri(uri: &str) -> Result<(), AppError> {
    let invalid = |why: String| AppError::invalid("redirect_uri", why);
    let parsed = url::Url::parse(uri).map_err(|_| invalid(format!("{uri} is not a URL")))?;
    let local = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let scheme_ok = parsed.scheme() == "https" || (parsed.scheme() == "http" && local);
    if !scheme_ok || parsed.host_str().is_none() || uri.contains('#') {
        return Err(invalid(format!(
            "{uri} must be https (http only for localhost) and have no fragment"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_redirect_uri;

    #[test]
    fn a_redirect_uri_is_https_or_local_http_without_a_fragment() {
        for good in [
            "https://chat.openai.com/aip/g-1/oauth/callback",
            "http://localhost:8765/callback",
            "http://127.0.0.1/cb",
            "http://[::1]:9000/cb",
        ] {
            assert!(check_redirect_uri(good).is_ok(), "{good}");
        }
        for bad in
            ["not a url", "http://example.com/cb", "https://example.com/cb#x", "ftp://x.org/", ""]
        {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }
}
