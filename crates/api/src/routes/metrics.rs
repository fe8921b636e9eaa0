//! `GET /metrics`: Prometheus scrapes this; it is outside the API document and the rate limit.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};
use domain::oauth::constant_time_eq;

use crate::bearer::bearer_token;
use crate::error::ApiError;
use crate::state::AppState;

/// The metrics in OpenMetrics text.
/// With a metrics token configured, only a scraper presenting it as a bearer token is served.
pub async fn serve_metrics(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if let Some(expected) = &state.settings.metrics_token {
        let presented = bearer_token(request.headers()).unwrap_or_default();
        if !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
            return Err(ApiError::Unauthorized("/metrics needs the metrics bearer token.".into()));
        }
    }
    let text = state.metrics.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType(
            "application/openmetrics-text; version=1.0.0; charset=utf-8"
                .parse()
                .map_err(ApiError::internal)?,
        ))
        .body(text))
}
