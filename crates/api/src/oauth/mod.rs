//! An OAuth 2 authorization server (RFC 6749 authorization code grant, RFC 7636 PKCE, RFC 7009
//! revocation, RFC 8414 metadata, RFC 7591 dynamic registration, RFC 8707 resource indicators), so that each learner signs in from ChatGPT once and the GPT
//! then calls the API with that learner's own access token (our usual JWT, in a revocable
//! token family).
//!
//! The rules live in `app::Authorization`; here are the pages, the forms and the protocol's
//! responses. The protocol is small enough that a framework would cost more than it saves (oxide-auth was
//! considered: its actix front-end lags actix-web 4's current API and it would still need our
//! own storage, pages and client authentication); every rule written here has a test.

mod authorize;
mod pages;
mod register;
mod token;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::rate_limit::RateLimits;
use crate::state::AppState;

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
async fn metadata(state: web::Data<AppState>) -> HttpResponse {
    let base = state.settings.public_url.trim_end_matches('/');
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=3600")).json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "registration_endpoint": format!("{base}/oauth/register"),
        "scopes_supported": [domain::oauth::LEARNER_SCOPE],
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "client_id_metadata_document_supported": true,
    }))
}

/// The authorization server's routes: outside `/api/v1` and the API document. The pages that
/// check a password carry the per-IP password limit; `/oauth/token` limits per client itself.
pub fn configure(config: &mut web::ServiceConfig, limits: &RateLimits) {
    config
        .route("/.well-known/oauth-authorization-server", web::get().to(metadata))
        .route("/oauth/authorize", web::get().to(authorize::start))
        .service(
            web::resource("/oauth/authorize/signin")
                .route(web::post().to(authorize::sign_in))
                .wrap(limits.auth_middleware()),
        )
        .service(
            web::resource("/oauth/authorize/register")
                .route(web::post().to(authorize::sign_up))
                .wrap(limits.auth_middleware()),
        )
        .route("/oauth/authorize/consent", web::post().to(authorize::consent))
        .service(
            web::resource("/oauth/register")
                .route(web::post().to(register::register))
                .wrap(limits.registration_middleware()),
        )
        .route("/oauth/token", web::post().to(token::token))
        .route("/oauth/revoke", web::post().to(token::revoke))
        .route("/oauth/static/style.css", web::get().to(pages::style))
        .route("/oauth/static/timezone.js", web::get().to(pages::timezone_script));
}
