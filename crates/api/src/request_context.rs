//! The middleware every request passes first: it names the request (`X-Request-Id`), bounds
//! its time, writes the access log line and records the request metrics.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use uuid::Uuid;

use crate::error::ApiError;
use crate::request_id::{REQUEST_ID, REQUEST_ID_HEADER, new_request_id};
use crate::state::AppState;

/// The authenticated user of the request, recorded by the caller extractor for the log line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoggedUser(pub Uuid);

/// Paths remembered per worker by [`RouteTemplates`] before it starts afresh.
const REMEMBERED_PATHS: usize = 4096;

/// The route template of each path seen, per worker. Actix's `match_pattern` runs the
/// router's regexes a second time; remembering its answer per path avoids that on the hot
/// paths. Bounded: it is emptied when full.
#[derive(Debug, Default)]
pub(crate) struct RouteTemplates(RefCell<HashMap<String, Rc<str>>>);

impl RouteTemplates {
    fn of(&self, request: &HttpRequest) -> Rc<str> {
        if let Some(template) = self.0.borrow().get(request.path()) {
            return Rc::clone(template);
        }
        let template: Rc<str> =
            request.match_pattern().map_or_else(|| "unmatched".into(), Rc::from);
        let mut remembered = self.0.borrow_mut();
        if remembered.len() >= REMEMBERED_PATHS {
            remembered.clear();
        }
        remembered.insert(request.path().to_owned(), Rc::clone(&template));
        template
    }
}

/// A client's own id is kept when it is a plausible one (so ids can be followed across
/// services); anything else is replaced, so a log line cannot be forged through it.
fn request_id(request: &ServiceRequest) -> Arc<str> {
    let given = request.headers().get(&REQUEST_ID_HEADER).and_then(|value| value.to_str().ok());
    match given {
        Some(id)
            if (1..=128).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) =>
        {
            Arc::from(id)
        }
        _ => new_request_id(),
    }
}

/// Request id, time limit, access log and metrics around everything else.
pub(crate) async fn observe<B: MessageBody + 'static>(
    request: ServiceRequest,
    next: Next<B>,
    time_limit: Duration,
    templates: Rc<RouteTemplates>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(&request);
    let method = request.method().clone();
    let state = request.app_data::<web::Data<AppState>>().cloned();
    // The request must not be cloned before routing (Actix needs it unshared), so failures
    // that lose it are answered through an error that carries the id instead.
    let served =
        REQUEST_ID.scope(Arc::clone(&id), tokio::time::timeout(time_limit, next.call(request)));
    let (outcome, route, user) = match served.await {
        Ok(Ok(mut response)) => {
            if let Ok(value) = HeaderValue::from_str(&id) {
                response.headers_mut().insert(REQUEST_ID_HEADER, value);
            }
            let request = response.request();
            // The template, not the path: bounded label values, no ids or emails in the log.
            let route = templates.of(request);
            let user = request.extensions().get::<LoggedUser>().map(|user| user.0);
            (Ok(response), route, user)
        }
        Ok(Err(error)) => {
            (Err(Identified { error, request_id: Arc::clone(&id) }), Rc::from("unmatched"), None)
        }
        Err(_) => {
            let error = ApiError::Unavailable(format!(
                "The request took longer than {} s; try again shortly.",
                time_limit.as_secs_f64()
            ));
            let failed = Identified { error: error.into(), request_id: Arc::clone(&id) };
            (Err(failed), Rc::from("timed_out"), None)
        }
    };
    let status = match &outcome {
        Ok(response) => response.status().as_u16(),
        Err(failed) => failed.status_code().as_u16(),
    };
    let latency = started.elapsed();
    let method = method.as_str();
    if let Some(state) = &state {
        state.metrics.observe_request(method, &route, status, latency.as_secs_f64());
    }
    let latency_ms = (latency.as_secs_f64() * 1_000_000.0).round() / 1_000.0;
    let id: &str = &id;
    let route: &str = &route;
    match user.map(|user| user.to_string()) {
        Some(user_id) => log::info!(
            target: "companion::http",
            request_id = id, method, route, status, latency_ms, user_id = user_id.as_str();
            "{method} {route} {status} {latency_ms}ms"
        ),
        None => log::info!(
            target: "companion::http",
            request_id = id, method, route, status, latency_ms;
            "{method} {route} {status} {latency_ms}ms"
        ),
    }
    outcome.map_err(actix_web::Error::from)
}

/// A failure answered without the request at hand, still naming the request id.
#[derive(Debug)]
struct Identified {
    error: actix_web::Error,
    request_id: Arc<str>,
}

impl std::fmt::Display for Identified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for Identified {
    fn status_code(&self) -> StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = self.error.error_response();
        if let Ok(value) = HeaderValue::from_str(&self.request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        response
    }
}
