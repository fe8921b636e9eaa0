//! `GET /oauth/authorize` and its forms: sign in or sign up, then consent, then a redirect
//! back to the client with a code.
//!
//! Rules (RFC 6749 §4.1, §10.12; RFC 7636):
//! - The client and an exact redirect URI are checked first; if either is wrong, an error page
//!   is shown and nothing redirects. Every later error redirects back with `error` and the
//!   unchanged `state`.
//! - Every form carries a CSRF token that must equal the `cc_csrf` cookie (HttpOnly,
//!   SameSite=Lax), so another site cannot post our forms with the learner's session.
//! - The session is a short-lived signed cookie (`cc_session`, HttpOnly, SameSite=Lax, Secure
//!   behind https), so a learner signed in once is asked only for consent next time, and not
//!   even that when they allowed this client before.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use app::{AuthorizationRequest, NextStep, OAuthError, Refusal, UserRecord, ValidRequest};
use domain::oauth::constant_time_eq;
use minijinja::context;
use serde::Deserialize;

use super::pages::{error_page, page};
use crate::error::ApiError;
use crate::sign_up::{RegisterRequest, count_login, new_account};
use crate::state::AppState;

const CSRF_COOKIE: &str = "cc_csrf";
const SESSION_COOKIE: &str = "cc_session";

/// The authorization request, as received and as carried through the forms.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    resource: Option<String>,
}

impl AuthorizeParams {
    /// The parameters as hidden form fields, in a fixed order.
    fn hidden_fields(&self) -> Vec<(&'static str, &str)> {
        self.request()
            .fields()
            .into_iter()
            .filter_map(|(name, value)| value.map(|value| (name, value)))
            .collect()
    }

    fn request(&self) -> AuthorizationRequest<'_> {
        AuthorizationRequest {
            response_type: self.response_type.as_deref(),
            client_id: self.client_id.as_deref(),
            redirect_uri: self.redirect_uri.as_deref(),
            scope: self.scope.as_deref(),
            state: self.state.as_deref(),
            code_challenge: self.code_challenge.as_deref(),
            code_challenge_method: self.code_challenge_method.as_deref(),
            resource: self.resource.as_deref(),
        }
    }
}

/// Back to the client with `pairs` and the unchanged `state`.
fn redirect(request: &ValidRequest, pairs: &[(&str, &str)]) -> HttpResponse {
    let mut query: Vec<(&str, &str)> = pairs.to_vec();
    if let Some(state) = &request.state {
        query.push(("state", state));
    }
    let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
    let separator = if request.redirect_uri.contains('?') { '&' } else { '?' };
    HttpResponse::Found()
        .insert_header((header::LOCATION, format!("{}{separator}{encoded}", request.redirect_uri)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn redirect_error(request: &ValidRequest, error: &OAuthError) -> HttpResponse {
    redirect(request, &[("error", error.code), ("error_description", &error.description)])
}

fn refused(refusal: Refusal) -> HttpResponse {
    match refusal {
        Refusal::Page(message) => error_page(StatusCode::BAD_REQUEST, &message),
        Refusal::Redirect { request, error } => redirect_error(&request, &error),
    }
}

fn cookie<'a>(state: &AppState, name: &'a str, value: String) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/oauth")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.public_url.starts_with("https://"))
        .finish()
}

/// The CSRF token of this browser, and whether it is new (and must be set).
fn csrf_token(request: &HttpRequest) -> (String, bool) {
    match request.cookie(CSRF_COOKIE) {
        Some(cookie) if cookie.value().len() >= 32 => (cookie.value().to_owned(), false),
        _ => (app::random_secret(), true),
    }
}

/// The learner signed in on this browser, if any.
async fn session_user(state: &AppState, request: &HttpRequest) -> Option<UserRecord> {
    let token = request.cookie(SESSION_COOKIE)?;
    state.app.authorization().session_user(token.value()).await
}

fn with_cookies(mut response: HttpResponse, cookies: Vec<Cookie<'_>>) -> HttpResponse {
    for cookie in cookies {
        if let Err(error) = response.add_cookie(&cookie) {
            log::warn!("cookie not set: {error}");
        }
    }
    response
}

fn sign_in_page(
    status: StatusCode,
    request: &ValidRequest,
    params: &AuthorizeParams,
    csrf: &str,
    error: Option<&str>,
    email: &str,
    open_register: bool,
) -> HttpResponse {
    page(
        status,
        "signin.html",
        context! {
            client_name => request.client.name,
            params => params.hidden_fields(),
            csrf, error, email, open_register,
        },
    )
}

fn consent_page(
    request: &ValidRequest,
    params: &AuthorizeParams,
    csrf: &str,
    user: &UserRecord,
) -> HttpResponse {
    page(
        StatusCode::OK,
        "consent.html",
        context! {
            client_name => request.client.name,
            params => params.hidden_fields(),
            csrf,
            email => user.email.as_str(),
        },
    )
}

/// After a successful sign-in: a code at once if the learner allowed this client before,
/// else the consent page.
async fn signed_in(
    state: &AppState,
    request: &ValidRequest,
    params: &AuthorizeParams,
    csrf: &str,
    user: &UserRecord,
) -> HttpResponse {
    match state.app.authorization().after_sign_in(request, user.id).await {
        Ok(NextStep::Code(code)) => redirect(request, &[("code", &code)]),
        Ok(NextStep::Consent) => consent_page(request, params, csrf, user),
        Err(error) => redirect_error(request, &error),
    }
}

/// After a password check or a sign-up: the session cookie, and the next step.
async fn start_session(
    state: &AppState,
    request: &ValidRequest,
    params: &AuthorizeParams,
    csrf: &str,
    user: &UserRecord,
) -> HttpResponse {
    let response = signed_in(state, request, params, csrf, user).await;
    match state.app.authorization().start_session(user.id) {
        Ok(issued) => with_cookies(response, vec![cookie(state, SESSION_COOKIE, issued.token)]),
        Err(error) => ApiError::from(error).error_response(),
    }
}

/// `GET /oauth/authorize`.
pub(super) async fn start(
    state: web::Data<AppState>,
    request: HttpRequest,
    params: web::Query<AuthorizeParams>,
) -> HttpResponse {
    let params = params.into_inner();
    let valid = match state.app.authorization().validate(&params.request()).await {
        Ok(valid) => valid,
        Err(refusal) => return refused(refusal),
    };
    let (csrf, new_csrf) = csrf_token(&request);
    let response = match session_user(&state, &request).await {
        Some(user) => signed_in(&state, &valid, &params, &csrf, &user).await,
        None => sign_in_page(StatusCode::OK, &valid, &params, &csrf, None, "", false),
    };
    let cookies = if new_csrf { vec![cookie(&state, CSRF_COOKIE, csrf)] } else { Vec::new() };
    with_cookies(response, cookies)
}

/// Form fields every form posts: the request and the CSRF token.
#[derive(Debug, Deserialize)]
pub(super) struct Carried {
    #[serde(flatten)]
    params: AuthorizeParams,
    #[serde(default)]
    csrf: String,
}

/// The CSRF check, then the request check.
async fn accept_form(
    state: &AppState,
    request: &HttpRequest,
    carried: &Carried,
) -> Result<(ValidRequest, String), HttpResponse> {
    let cookie = request.cookie(CSRF_COOKIE).map(|cookie| cookie.value().to_owned());
    let matches = cookie.as_deref().is_some_and(|cookie| {
        !carried.csrf.is_empty() && constant_time_eq(cookie.as_bytes(), carried.csrf.as_bytes())
    });
    if !matches {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            "This form has expired or did not come from this site. Start the sign-in again.",
        ));
    }
    let valid =
        state.app.authorization().validate(&carried.params.request()).await.map_err(refused)?;
    Ok((valid, carried.csrf.clone()))
}

#[derive(Debug, Deserialize)]
pub(super) struct SignInForm {
    #[serde(flatten)]
    carried: Carried,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `POST /oauth/authorize/signin`: the same answer as login for a wrong email or password.
pub(super) async fn sign_in(
    state: web::Data<AppState>,
    request: HttpRequest,
    form: web::Form<SignInForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let (valid, csrf) = match accept_form(&state, &request, &form.carried).await {
        Ok(accepted) => accepted,
        Err(response) => return response,
    };
    let params = &form.carried.params;
    let checked = state.app.accounts().check_credentials(&form.email, form.password).await;
    count_login(&state.metrics, &checked);
    match checked.map_err(ApiError::from) {
        Ok(user) => start_session(&state, &valid, params, &csrf, &user).await,
        Err(ApiError::InvalidCredentials) => sign_in_page(
            StatusCode::UNAUTHORIZED,
            &valid,
            params,
            &csrf,
            Some(&ApiError::InvalidCredentials.to_string()),
            &form.email,
            false,
        ),
        // Too many recent failures for this email: the page says when to try again.
        Err(error @ ApiError::RateLimited { retry_after_secs }) => {
            let mut page = sign_in_page(
                StatusCode::TOO_MANY_REQUESTS,
                &valid,
                params,
                &csrf,
                Some(&error.to_string()),
                &form.email,
                false,
            );
            if let Ok(value) = retry_after_secs.to_string().try_into() {
                page.headers_mut().insert(header::RETRY_AFTER, value);
            }
            page
        }
        Err(ApiError::Validation { details, .. }) => sign_in_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &valid,
            params,
            &csrf,
            Some(&validation_sentence(&details)),
            &form.email,
            false,
        ),
        Err(error) => error.error_response(),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct SignUpForm {
    #[serde(flatten)]
    carried: Carried,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    timezone: String,
}

/// `POST /oauth/authorize/register`: a new free learner, signed in at once.
pub(super) async fn sign_up(
    state: web::Data<AppState>,
    request: HttpRequest,
    form: web::Form<SignUpForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let (valid, csrf) = match accept_form(&state, &request, &form.carried).await {
        Ok(accepted) => accepted,
        Err(response) => return response,
    };
    let params = &form.carried.params;
    let account = RegisterRequest {
        email: form.email.clone(),
        password: form.password,
        name: Some(form.name).filter(|name| !name.trim().is_empty()),
        timezone: Some(form.timezone.trim().to_owned()).filter(|zone| !zone.is_empty()),
        background: None,
    };
    let created = match new_account(account) {
        Ok(account) => state.app.accounts().create(account).await.map_err(ApiError::from),
        Err(error) => Err(error),
    };
    match created {
        Ok(user) => start_session(&state, &valid, params, &csrf, &user).await,
        Err(error @ (ApiError::Validation { .. } | ApiError::Conflict { .. })) => {
            let message = match &error {
                ApiError::Validation { details, .. } => validation_sentence(details),
                other => other.to_string(),
            };
            sign_in_page(
                error.status_code(),
                &valid,
                params,
                &csrf,
                Some(&message),
                &form.email,
                true,
            )
        }
        Err(error) => error.error_response(),
    }
}

/// "password: must be …; timezone: …" from a 422's details.
fn validation_sentence(details: &serde_json::Value) -> String {
    let fields = details.get("fields").and_then(serde_json::Value::as_object);
    let parts: Vec<String> = fields
        .into_iter()
        .flatten()
        .map(|(field, problems)| {
            let problems: Vec<&str> =
                problems.as_array().into_iter().flatten().filter_map(|p| p.as_str()).collect();
            format!("{field}: {}", problems.join(", "))
        })
        .collect();
    format!("Please check the form. {}.", parts.join("; "))
}

#[derive(Debug, Deserialize)]
pub(super) struct ConsentForm {
    #[serde(flatten)]
    carried: Carried,
    #[serde(default)]
    decision: String,
}

/// `POST /oauth/authorize/consent`: Allow issues a code (and is remembered), Deny tells the
/// client `access_denied`.
pub(super) async fn consent(
    state: web::Data<AppState>,
    request: HttpRequest,
    form: web::Form<ConsentForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let (valid, csrf) = match accept_form(&state, &request, &form.carried).await {
        Ok(accepted) => accepted,
        Err(response) => return response,
    };
    let Some(user) = session_user(&state, &request).await else {
        let params = &form.carried.params;
        let message = "Your sign-in expired; sign in again.";
        return sign_in_page(
            StatusCode::UNAUTHORIZED,
            &valid,
            params,
            &csrf,
            Some(message),
            "",
            false,
        );
    };
    match state.app.authorization().consent(&valid, user.id, form.decision == "allow").await {
        Ok(code) => redirect(&valid, &[("code", &code)]),
        Err(error) => redirect_error(&valid, &error),
    }
}
