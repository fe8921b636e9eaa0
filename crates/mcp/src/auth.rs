//! Who calls `/mcp`: a bearer token good at this resource (one of our API's tokens, or one an
//! MCP client obtained for `{public_url}/mcp`), checked before the MCP transport sees the
//! request. A missing or bad token is 401 with `WWW-Authenticate` pointing at the
//! protected-resource metadata (RFC 9728), which is how an MCP client finds where to sign in.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use app::{App, Caller};
use serde_json::json;

/// Where the protected-resource metadata is served (RFC 9728 §3), also under `…/mcp`.
pub(crate) const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// What the door needs to know beyond the application.
#[derive(Debug, Clone)]
pub(crate) struct McpSettings {
    app: App,
    /// The public base URL, without a trailing slash.
    base: String,
    /// `{base}/mcp`: the resource tokens are bound to.
    resource: String,
}

impl McpSettings {
    pub(crate) fn new(app: &App, public_url: &str) -> Self {
        let base = public_url.trim_end_matches('/').to_owned();
        let resource = app.authorization().mcp_resource().to_owned();
        Self { app: app.clone(), base, resource }
    }

    /// The `Host` values the transport accepts (it refuses others, against DNS rebinding):
    /// the public URL's host and loopback.
    pub(crate) fn allowed_hosts(&self) -> Vec<String> {
        let mut hosts = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "[::1]".to_owned()];
        let authority = self.base.split_once("://").map_or(self.base.as_str(), |(_, rest)| rest);
        let authority = authority.split('/').next().unwrap_or_default();
        let host = authority.rsplit_once(':').map_or(authority, |(host, _)| host);
        for name in [authority, host] {
            if !name.is_empty() && !hosts.iter().any(|known| known == name) {
                hosts.push(name.to_owned());
            }
        }
        hosts
    }
}

/// The protected-resource metadata's URL for a server at `public_url`.
pub fn protected_resource_metadata_url(public_url: &str) -> String {
    format!("{}{METADATA_PATH}/mcp", public_url.trim_end_matches('/'))
}

/// `GET /.well-known/oauth-protected-resource[/mcp]` (RFC 9728).
pub(crate) async fn metadata(settings: web::Data<McpSettings>) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=3600")).json(json!({
        "resource": settings.resource,
        "authorization_servers": [settings.base],
        "scopes_supported": [domain::oauth::LEARNER_SCOPE],
        "bearer_methods_supported": ["header"],
        "resource_name": "Course Companion",
        "resource_documentation": format!("{}/docs", settings.base),
    }))
}

fn bearer_token(request: &HttpRequest) -> Option<&str> {
    let value = request.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// 401 with the challenge an MCP client follows to sign in (RFC 9728 §5.1).
fn challenge(settings: &McpSettings, error: Option<&str>) -> HttpResponse {
    let metadata = protected_resource_metadata_url(&settings.base);
    let mut value = format!("Bearer resource_metadata=\"{metadata}\"");
    if let Some(error) = error {
        value.push_str(&format!(", error=\"invalid_token\", error_description=\"{error}\""));
    }
    HttpResponse::Unauthorized().insert_header((header::WWW_AUTHENTICATE, value)).json(json!({
        "error": "unauthorized",
        "message": error.unwrap_or("A bearer token is required."),
    }))
}

/// Admits a request whose bearer token names a current learner, with that [`Caller`] in its
/// extensions; answers anything else 401.
pub(crate) async fn require_bearer(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(settings) = request.app_data::<web::Data<McpSettings>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError("MCP settings are missing"));
    };
    let accounts = settings.app.accounts();
    let subject = bearer_token(request.request()).map(|token| accounts.verify_mcp_token(token));
    let refusal = match subject {
        None => challenge(&settings, None),
        Some(None) => challenge(&settings, Some("The token is invalid or expired.")),
        Some(Some(subject)) => match accounts.caller(subject).await {
            Ok(caller) => {
                request.extensions_mut().insert(caller);
                return next.call(request).await.map(ServiceResponse::map_into_left_body);
            }
            Err(app::AppError::Unauthorized(message)) => challenge(&settings, Some(&message)),
            Err(error) => HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, "5"))
                .json(json!({ "error": "service_unavailable", "message": error.to_string() })),
        },
    };
    Ok(request.into_response(refusal).map_into_right_body())
}

/// Hands the checked caller from the Actix request to the MCP request's context.
pub(crate) fn hand_over_caller(request: &HttpRequest, extensions: &mut rmcp::model::Extensions) {
    if let Some(caller) = request.extensions().get::<Caller>().copied() {
        extensions.insert(caller);
    }
}
