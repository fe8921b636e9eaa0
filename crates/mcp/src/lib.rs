//! The MCP door: the course, quizzes and progress as Model Context Protocol tools, authored
//! tutoring prompts and chapters as resources, over streamable HTTP at `/mcp` (rmcp, mounted in
//! Actix by rmcp-actix-web, stateless so that any replica answers any request).
//!
//! What lives here: the tool catalogue (names, schemas, annotations), argument parsing,
//! `AppError` → tool error results, the prompts and resources, the
//! bearer check in front of `/mcp` and its protected-resource metadata (RFC 9728).
//! What does not: any rule. Each tool calls one `app` service method, the same one its REST
//! twin calls, so tiers, ownership, validation and rate limits are the same at both doors.
//! Sign-in itself (registration, the pages, tokens) is the authorization server's, in `api`.

mod auth;
mod documents;
mod errors;
mod prompts;
mod resources;
mod server;
mod tools;

use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::web;
use rmcp_actix_web::transport::{LocalSessionManager, StreamableHttpService};

pub use auth::protected_resource_metadata_url;
use auth::{McpSettings, require_bearer};
use server::CourseServer;

/// Mounts `/mcp` and its metadata for the application `app`, reachable at `public_url`.
pub fn configure(config: &mut web::ServiceConfig, app: &app::App, public_url: &str) {
    let settings = McpSettings::new(app, public_url);
    let allowed_hosts = settings.allowed_hosts();
    let server_app = app.clone();
    let transport = StreamableHttpService::builder()
        .service_factory(Arc::new(move || Ok(CourseServer::new(server_app.clone()))))
        .session_manager(Arc::new(LocalSessionManager::default()))
        .stateful_mode(false)
        .json_response(true)
        .allowed_hosts(allowed_hosts)
        .on_request_fn(auth::hand_over_caller)
        .build();
    config
        .app_data(web::Data::new(settings))
        .route(auth::METADATA_PATH, web::get().to(auth::metadata))
        .route(&format!("{}/mcp", auth::METADATA_PATH), web::get().to(auth::metadata))
        .service(transport.scope_with_path("/mcp").wrap(from_fn(require_bearer)));
}
