//! Building the Actix application and serving it on a listener.

use std::collections::HashMap;
use std::net::TcpListener;
use std::rc::Rc;
use std::time::Duration;

use actix_cors::Cors;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceResponse};
use actix_web::error::JsonPayloadError;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers, from_fn};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web as actix};
use paperclip::actix::{OpenApiExt, web};
use paperclip::v2::models::DefaultApiRaw;

use crate::docs;
use crate::error::{ApiError, ErrorBody};
use crate::oauth;
use crate::openapi::finish_document;
use crate::rate_limit::RateLimits;
use crate::request_context::{RouteTemplates, observe};
use crate::request_id::REQUEST_ID_HEADER;
use crate::routes;
use crate::routes::metrics::serve_metrics;
use crate::state::AppState;

/// A bound, not yet running server (zero-to-production's shape): bind port 0 in tests and
/// read back the real port.
pub struct Application {
    port: u16,
    server: Server,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("port", &self.port).finish_non_exhaustive()
    }
}

/// Mounts another door (the MCP endpoint) on the same server, behind the same request ids,
/// metrics, CORS, security headers and rate limits.
pub type OtherDoors = std::sync::Arc<dyn Fn(&mut actix::ServiceConfig) + Send + Sync>;

/// How the server runs, beyond what handlers need.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Seconds in-flight requests get to finish after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// Longest a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// Origins a browser may call us from; empty means no cross-origin access.
    pub cors_origins: Vec<String>,
    pub rate_limits: RateLimits,
}

impl Application {
    pub fn build(
        state: AppState,
        listener: TcpListener,
        options: ServeOptions,
        other_doors: OtherDoors,
    ) -> std::io::Result<Self> {
        let port = listener.local_addr()?.port();
        let data = actix::Data::new(state);
        let shutdown_timeout_secs = options.shutdown_timeout_secs;
        let server = actix_web::HttpServer::new(move || {
            let settings = data.settings.clone();
            let time_limit = options.request_timeout;
            let templates = Rc::new(RouteTemplates::default());
            let limits = options.rate_limits.clone();
            // The last `.wrap` runs first: `observe` sees every request and every answer,
            // 429s and CORS refusals included.
            actix_web::App::new()
                .app_data(data.clone())
                .app_data(path_config())
                .app_data(query_config())
                .app_data(json_config())
                .app_data(actix::Data::new(limits.clone()))
                .wrap(ErrorHandlers::new().default_handler(json_error_body))
                .wrap(limits.api_middleware())
                .wrap(cors(&options.cors_origins))
                .wrap(security_headers(&settings.public_url))
                .wrap(from_fn(move |request, next| {
                    observe(request, next, time_limit, Rc::clone(&templates))
                }))
                .wrap_api_with_spec(DefaultApiRaw::default())
                .configure(|config| routes::configure(config, &limits))
                .with_raw_json_spec_v3(move |app, spec| {
                    let document = finish_document(spec, &settings, &routes::facts());
                    app.app_data(actix::Data::new(AllowedMethods::new(&document))).route(
                        "/openapi.json",
                        web::get().to(move || {
                            let document = document.clone();
                            async move {
                                paperclip::actix::HttpResponseWrapper(
                                    HttpResponse::Ok().json(document),
                                )
                            }
                        }),
                    )
                })
                .build()
                .route("/metrics", actix::get().to(serve_metrics))
                .configure(docs::configure)
                .configure(|config| oauth::configure(config, &limits))
                .configure(|config| other_doors(config))
                .default_service(actix::to(unknown_route))
        })
        .listen(listener)?
        .shutdown_timeout(shutdown_timeout_secs)
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Browsers may call us only from the configured origins. Other origins get no CORS headers
/// (the browser then refuses the answer); non-browser clients are unaffected.
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_NONE_MATCH,
            REQUEST_ID_HEADER,
            header::HeaderName::from_static("mcp-protocol-version"),
            header::HeaderName::from_static("mcp-session-id"),
            header::HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
            REQUEST_ID_HEADER,
            header::HeaderName::from_static("mcp-session-id"),
        ])
        .max_age(3600)
        .block_on_origin_mismatch(false);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Headers every answer carries unless its handler set its own (the docs page sets a CSP
/// that lets its script and styles load).
fn security_headers(public_url: &str) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"));
    if public_url.starts_with("https://") {
        headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains"))
    } else {
        headers
    }
}

async fn unknown_route(request: HttpRequest) -> HttpResponse {
    ApiError::NotFound(format!("No route for {} {}.", request.method(), request.path()))
        .error_response()
}

fn path_config() -> actix::PathConfig {
    actix::PathConfig::default()
        .error_handler(|error, _| ApiError::validation("path", error.to_string()).into())
}

fn query_config() -> actix::QueryConfig {
    actix::QueryConfig::default()
        .error_handler(|error, _| ApiError::validation("query", error.to_string()).into())
}

/// Largest JSON body any route accepts.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

fn json_config() -> actix::JsonConfig {
    actix::JsonConfig::default().limit(JSON_BODY_LIMIT).error_handler(|error, _| {
        match error {
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                ApiError::PayloadTooLarge(format!(
                    "The body is larger than the {} KiB limit.",
                    JSON_BODY_LIMIT / 1024
                ))
            }
            other => ApiError::BadRequest { message: format!("Malformed JSON body: {other}") },
        }
        .into()
    })
}

/// The methods each route pattern accepts, for the `Allow` header a 405 must carry (RFC 9110
/// §15.5.6), from the API document. (Routes outside it are registered with their method as a
/// guard, so another method finds no route: 404, never 405.)
#[derive(Debug)]
struct AllowedMethods(HashMap<String, String>);

impl AllowedMethods {
    fn new(document: &serde_json::Value) -> Self {
        let paths = document["paths"].as_object().into_iter().flatten();
        let allowed = paths.map(|(path, item)| {
            let methods: Vec<String> =
                item.as_object().into_iter().flatten().map(|(m, _)| m.to_uppercase()).collect();
            (path.clone(), methods.join(", "))
        });
        Self(allowed.collect())
    }
}

/// Gives every error response that is not JSON yet (Actix's own 404/405/413…) the JSON
/// error body, so a client never sees HTML or an empty error; a 405 also says what the route
/// accepts (`Allow`).
fn json_error_body<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // Our own answers (JSON errors, the OAuth pages' HTML) are kept as they are.
    let is_ours = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.starts_with("application/json") || value.starts_with("text/html")
        });
    if is_ours {
        return Ok(ErrorHandlerResponse::Response(response.map_into_left_body()));
    }
    let status = response.status();
    let code = match status.as_u16() {
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        400..=499 => "bad_request",
        _ => "internal_error",
    };
    let message = status.canonical_reason().unwrap_or("Error").to_owned();
    let (request, _) = response.into_parts();
    let mut json = HttpResponse::build(status);
    if status == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = request.app_data::<actix::Data<AllowedMethods>>().and_then(|allowed| {
            request.match_pattern().and_then(|pattern| allowed.0.get(&pattern).cloned())
        });
        if let Some(allowed) = allowed {
            json.insert_header((header::ALLOW, allowed));
        }
    }
    let json = json.json(ErrorBody { error: code.to_owned(), message, details: None });
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(request, json).map_into_right_body()))
}
