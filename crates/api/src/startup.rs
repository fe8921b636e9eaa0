//! Building the Actix application and serving it on a listener.

use std::net::TcpListener;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web as actix};
use paperclip::actix::{OpenApiExt, web};
use paperclip::v2::models::DefaultApiRaw;

use crate::error::{ApiError, ErrorBody};
use crate::openapi::finish_document;
use crate::{AppState, routes};

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

impl Application {
    pub fn build(
        state: AppState,
        listener: TcpListener,
        shutdown_timeout_secs: u64,
    ) -> std::io::Result<Self> {
        let port = listener.local_addr()?.port();
        let data = actix::Data::new(state);
        let server = actix_web::HttpServer::new(move || {
            let settings = data.settings.clone();
            actix_web::App::new()
                .app_data(data.clone())
                .app_data(path_config())
                .app_data(query_config())
                .app_data(json_config())
                .wrap(ErrorHandlers::new().default_handler(json_error_body))
                .wrap_api_with_spec(DefaultApiRaw::default())
                .configure(routes::configure)
                .with_raw_json_spec_v3(move |app, spec| {
                    let document = finish_document(spec, &settings);
                    app.route(
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

fn json_config() -> actix::JsonConfig {
    actix::JsonConfig::default().limit(64 * 1024).error_handler(|error, _| {
        ApiError::BadRequest { message: format!("Malformed JSON body: {error}") }.into()
    })
}

/// Gives every error response that is not JSON yet (Actix's own 404/405/413…) the JSON
/// error body, so a client never sees HTML or an empty error.
fn json_error_body<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if is_json {
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
    let json = HttpResponse::build(status).json(ErrorBody {
        error: code.to_owned(),
        message,
        details: None,
    });
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(request, json).map_into_right_body()))
}
