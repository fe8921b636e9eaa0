//! `GET /docs`: interactive documentation (Swagger UI) served entirely from the binary, so it
//! works with no internet access. Only these fixed paths exist; anything else under `/docs`
//! is the ordinary JSON 404 (paperclip's bundled UI panics on unknown asset paths, so it is
//! not used).

use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use actix_web::{HttpResponse, web};

const INDEX: &str = include_str!("../assets/docs/index.html");
const INIT: &str = include_str!("../assets/docs/init.js");
const BUNDLE: &str = include_str!("../assets/swagger-ui/swagger-ui-bundle.js");
const STYLES: &str = include_str!("../assets/swagger-ui/swagger-ui.css");

/// Scripts and styles from us only; Swagger UI sets inline styles and uses data: images, and
/// fetches `/openapi.json` (and, when trying an operation, the API) from the same origin.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: &str, body: &'static str, cache: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((CACHE_CONTROL, cache))
        .insert_header((CONTENT_SECURITY_POLICY, DOCS_CSP))
        .body(body)
}

async fn page() -> HttpResponse {
    asset("text/html; charset=utf-8", INDEX, "no-cache")
}

async fn init() -> HttpResponse {
    asset("text/javascript; charset=utf-8", INIT, "no-cache")
}

async fn bundle() -> HttpResponse {
    asset("text/javascript; charset=utf-8", BUNDLE, "public, max-age=86400")
}

async fn styles() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLES, "public, max-age=86400")
}

/// The docs routes: outside the API document and the rate limit.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/docs", web::get().to(page))
        .route("/docs/", web::get().to(page))
        .route("/docs/init.js", web::get().to(init))
        .route("/docs/swagger-ui-bundle.js", web::get().to(bundle))
        .route("/docs/swagger-ui.css", web::get().to(styles));
}
