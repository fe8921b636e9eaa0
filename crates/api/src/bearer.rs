//! The bearer token of a request: what the caller extractor, the rate limiter and the
//! metrics endpoint read.

use actix_web::http::header::{AUTHORIZATION, HeaderMap};

/// The token of an `Authorization: Bearer <token>` header.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}
