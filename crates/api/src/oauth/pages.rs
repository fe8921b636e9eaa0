//! The sign-in, consent and error pages (minijinja templates compiled into the binary) and
//! their stylesheet and script.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use minijinja::Environment;
use serde::Serialize;

/// Our own stylesheet and script only; no framing (clickjacking); no form target restriction,
/// because the consent form's answer is a redirect to the client.
const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
    base-uri 'none'; frame-ancestors 'none'";

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut templates = Environment::new();
    for (name, source) in [
        ("base.html", include_str!("../../assets/oauth/base.html")),
        ("hidden.html", include_str!("../../assets/oauth/hidden.html")),
        ("signin.html", include_str!("../../assets/oauth/signin.html")),
        ("consent.html", include_str!("../../assets/oauth/consent.html")),
        ("error.html", include_str!("../../assets/oauth/error.html")),
    ] {
        // The templates are ours and tested; one that does not parse is a build mistake.
        if let Err(error) = templates.add_template(name, source) {
            log::error!("template {name}: {error}");
        }
    }
    templates
});

/// A rendered page (HTML-escaped), or a plain 500 if a template is broken.
pub(super) fn page(status: StatusCode, template: &str, context: impl Serialize) -> HttpResponse {
    let html = TEMPLATES.get_template(template).and_then(|template| template.render(context));
    match html {
        Ok(html) => HttpResponse::build(status)
            .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((CACHE_CONTROL, "no-store"))
            .insert_header((CONTENT_SECURITY_POLICY, PAGE_CSP))
            .body(html),
        Err(error) => actix_web::ResponseError::error_response(&crate::error::ApiError::internal(
            format!("page {template}: {error}"),
        )),
    }
}

/// The error page: for requests we must not redirect (unknown client, wrong redirect URI).
pub(super) fn error_page(status: StatusCode, message: &str) -> HttpResponse {
    page(status, "error.html", minijinja::context! { message })
}

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

pub(super) async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", include_str!("../../assets/oauth/style.css"))
}

pub(super) async fn timezone_script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", include_str!("../../assets/oauth/timezone.js"))
}
