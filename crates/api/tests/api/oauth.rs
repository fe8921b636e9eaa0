//! The OAuth 2 authorization server, driven as a browser and a client would drive it; one
//! test per rule, each asserting the exact error.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration as Span, Utc};
use persistence::{ClientRecord, NewCode};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_on_postgres};

const REDIRECT: &str = "https://chat.openai.com/aip/g-test/oauth/callback";
const SECRET: &str = "test-client-secret-0123456789";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// A browser: keeps cookies, never follows redirects.
struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Page {
    /// Where a redirect points, parsed: (URL without query, query pairs).
    fn redirect(&self) -> (String, HashMap<String, String>) {
        let location = self.headers.get(LOCATION).expect("a redirect").to_str().unwrap();
        let (base, query) = location.split_once('?').unwrap_or((location, ""));
        (base.to_owned(), serde_urlencoded::from_str(query).unwrap())
    }

    /// The hidden fields of the page's forms (identical in each form).
    fn hidden(&self) -> Vec<(String, String)> {
        let mut fields: Vec<(String, String)> = Vec::new();
        for input in self.text.split("<input type=\"hidden\" ").skip(1) {
            let attribute = |name: &str| {
                let start = input.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                let end = start + input[start..].find('"').unwrap();
                unescape(&input[start..end])
            };
            let (name, value) = (attribute("name"), attribute("value"));
            if !fields.iter().any(|(known, _)| *known == name) {
                fields.push((name, value));
            }
        }
        fields
    }
}

fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { app, client, cookies: HashMap::new() }
    }

    async fn finish(&mut self, request: reqwest::RequestBuilder) -> Page {
        let cookie: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let response = request.header("cookie", cookie.join("; ")).send().await.unwrap();
        for set in response.headers().get_all(SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.insert(name.to_owned(), value.to_owned());
        }
        let (status, headers) = (response.status(), response.headers().clone());
        let text = response.text().await.unwrap();
        assert!(!text.contains(PASSWORD), "a page echoed the password");
        Page { status, headers, text }
    }

    async fn get(&mut self, path_and_query: &str) -> Page {
        let request = self.client.get(self.app.url(path_and_query));
        self.finish(request).await
    }

    async fn post(&mut self, path: &str, fields: &[(String, String)]) -> Page {
        let request = self.client.post(self.app.url(path)).form(fields);
        self.finish(request).await
    }

    /// Signs a new learner up on the authorize page and allows; returns the final redirect.
    async fn sign_up_and_allow(&mut self, query: &str, email: &str) -> Page {
        let signin = self.get(&format!("/oauth/authorize?{query}")).await;
        assert_eq!(signin.status, 200, "{}", signin.text);
        let mut fields = signin.hidden();
        fields.extend(form(&[
            ("email", email),
            ("password", PASSWORD),
            ("timezone", "Europe/Lisbon"),
        ]));
        let consent = self.post("/oauth/authorize/register", &fields).await;
        assert_eq!(consent.status, 200, "{}", consent.text);
        assert!(consent.text.contains("Allow Test GPT?"), "{}", consent.text);
        self.decide(&consent, "allow").await
    }

    async fn decide(&mut self, consent: &Page, decision: &str) -> Page {
        let mut fields = consent.hidden();
        fields.push(("decision".into(), decision.into()));
        let answer = self.post("/oauth/authorize/consent", &fields).await;
        assert_eq!(answer.status, 302, "{}", answer.text);
        answer
    }
}

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

async fn register_client(app: &TestApp, client_id: &str) {
    app.db
        .create_client(ClientRecord {
            client_id: client_id.into(),
            secret_hash: domain::oauth::secret_hash(SECRET),
            name: "Test GPT".into(),
            redirect_uris: vec![REDIRECT.into()],
            created_at: Utc::now(),
            revoked_at: None,
            public: false,
        })
        .await
        .unwrap();
}

fn authorize_query(client_id: &str, state: &str, pkce: bool) -> String {
    let mut pairs = vec![
        ("response_type", "code".to_owned()),
        ("client_id", client_id.to_owned()),
        ("redirect_uri", REDIRECT.to_owned()),
        ("scope", "learner".to_owned()),
        ("state", state.to_owned()),
    ];
    if pkce {
        pairs.push(("code_challenge", URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER))));
        pairs.push(("code_challenge_method", "S256".to_owned()));
    }
    serde_urlencoded::to_string(pairs).unwrap()
}

/// `POST /oauth/token` with client_secret_basic (`basic`) or client_secret_post.
async fn token(
    app: &TestApp,
    client_id: &str,
    basic: bool,
    fields: &[(&str, &str)],
) -> (u16, HeaderMap, Value) {
    let mut fields = form(fields);
    let mut request = app.client.post(app.url("/oauth/token"));
    if basic {
        request = request.basic_auth(client_id, Some(SECRET));
    } else {
        fields.extend(form(&[("client_id", client_id), ("client_secret", SECRET)]));
    }
    let response = request.form(&fields).send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.json().await.unwrap())
}

async fn exchange(
    app: &TestApp,
    client_id: &str,
    code: &str,
    verifier: Option<&str>,
) -> (u16, Value) {
    let mut fields =
        vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)];
    if let Some(verifier) = verifier {
        fields.push(("code_verifier", verifier));
    }
    let (status, _, body) = token(app, client_id, true, &fields).await;
    (status, body)
}

/// A learner signed up through the flow, with the code the client received.
async fn authorized_code(app: &TestApp, client_id: &str, email: &str, pkce: bool) -> String {
    let mut browser = Browser::new(app);
    let answer = browser.sign_up_and_allow(&authorize_query(client_id, "xyz", pkce), email).await;
    let (target, query) = answer.redirect();
    assert_eq!(target, REDIRECT);
    assert_eq!(query["state"], "xyz");
    query["code"].clone()
}

async fn api_status(app: &TestApp, token: &str) -> u16 {
    let request = app.client.get(app.url("/api/v1/me")).bearer_auth(token);
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn the_whole_flow_issues_tokens_that_work_on_the_api_and_refresh_with_rotation() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    let code = authorized_code(&app, "gpt", "flow@example.com", true).await;
    let (status, headers, tokens) = token(
        &app,
        "gpt",
        true,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        (tokens["token_type"].as_str(), tokens["scope"].as_str()),
        (Some("bearer"), Some("learner"))
    );
    assert_eq!(tokens["expires_in"], 3600);
    let access = tokens["access_token"].as_str().unwrap();
    let (status, me) = app.send(app.client.get(app.url("/api/v1/me")).bearer_auth(access)).await;
    assert_eq!((status, me["email"].as_str()), (200, Some("flow@example.com")));
    assert_eq!(me["timezone"], "Europe/Lisbon");

    // client_secret_post, and a JSON body, work as well.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, _, refreshed) =
        token(&app, "gpt", false, &[("grant_type", "refresh_token"), ("refresh_token", refresh)])
            .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_ne!(refreshed["refresh_token"], tokens["refresh_token"], "refresh tokens rotate");
    let body = json!({ "grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"],
        "client_id": "gpt", "client_secret": SECRET });
    let response = app.client.post(app.url("/oauth/token")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_wrong_redirect_uri_or_an_unknown_client_shows_an_error_page_and_never_redirects() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    let mut browser = Browser::new(&app);
    let wrong = authorize_query("gpt", "s", false).replace("chat.openai.com", "evil.example.com");
    let page = browser.get(&format!("/oauth/authorize?{wrong}")).await;
    assert_eq!(page.status, 400);
    assert!(page.headers.get(LOCATION).is_none());
    assert!(page.text.contains("return address is not one it registered"), "{}", page.text);

    let page =
        browser.get(&format!("/oauth/authorize?{}", authorize_query("nobody", "s", false))).await;
    assert_eq!(page.status, 400);
    assert!(page.headers.get(LOCATION).is_none());
    assert!(page.text.contains("is not registered"), "{}", page.text);
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
}

#[tokio::test]
async fn other_request_errors_redirect_back_with_the_state_unchanged() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    let mut browser = Browser::new(&app);
    let state = "opaque state/with spaces&symbols=1";
    let scope = authorize_query("gpt", state, false).replace("scope=learner", "scope=admin");
    let (target, query) = browser.get(&format!("/oauth/authorize?{scope}")).await.redirect();
    assert_eq!(
        (target.as_str(), query["error"].as_str(), query["state"].as_str()),
        (REDIRECT, "invalid_scope", state)
    );
    let plain = format!(
        "{}&code_challenge={}&code_challenge_method=plain",
        authorize_query("gpt", state, false),
        "a".repeat(43)
    );
    let (_, query) = browser.get(&format!("/oauth/authorize?{plain}")).await.redirect();
    assert_eq!((query["error"].as_str(), query["state"].as_str()), ("invalid_request", state));
    let token_type =
        authorize_query("gpt", state, false).replace("response_type=code", "response_type=token");
    let (_, query) = browser.get(&format!("/oauth/authorize?{token_type}")).await.redirect();
    assert_eq!(
        (query["error"].as_str(), query["state"].as_str()),
        ("unsupported_response_type", state)
    );
}

#[tokio::test]
async fn deny_redirects_access_denied_with_the_state_and_allow_is_remembered() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    let mut browser = Browser::new(&app);
    let signin =
        browser.get(&format!("/oauth/authorize?{}", authorize_query("gpt", "st-1", false))).await;
    let mut fields = signin.hidden();
    fields.extend(form(&[
        ("email", "deny@example.com"),
        ("password", PASSWORD),
        ("timezone", "UTC"),
    ]));
    let consent = browser.post("/oauth/authorize/register", &fields).await;
    let (_, query) = browser.decide(&consent, "deny").await.redirect();
    assert_eq!((query["error"].as_str(), query["state"].as_str()), ("access_denied", "st-1"));
    assert!(!query.contains_key("code"));

    let consent =
        browser.get(&format!("/oauth/authorize?{}", authorize_query("gpt", "st-2", false))).await;
    assert!(consent.text.contains("consent-form"), "signed in: straight to consent");
    browser.decide(&consent, "allow").await;
    // Allowed once: the next authorization needs no page at all.
    let again =
        browser.get(&format!("/oauth/authorize?{}", authorize_query("gpt", "st-3", false))).await;
    let (_, query) = again.redirect();
    assert_eq!(query["state"], "st-3");
    assert!(query.contains_key("code"));
}

#[tokio::test]
async fn a_form_posted_without_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    let mut browser = Browser::new(&app);
    let signin =
        browser.get(&format!("/oauth/authorize?{}", authorize_query("gpt", "s", false))).await;
    let mut fields: Vec<(String, String)> =
        signin.hidden().into_iter().filter(|(name, _)| name != "csrf").collect();
    fields.extend(form(&[
        ("email", "csrf@example.com"),
        ("password", PASSWORD),
        ("timezone", "UTC"),
    ]));
    let refused = browser.post("/oauth/authorize/register", &fields).await;
    assert_eq!(refused.status, 403);
    assert!(refused.text.contains("did not come from this site"));
    fields.push(("csrf".into(), "forged-forged-forged-forged-forged-forged".into()));
    assert_eq!(browser.post("/oauth/authorize/register", &fields).await.status, 403);
    assert!(app.db.find_user_by_email("csrf@example.com").await.unwrap().is_none());
}

#[tokio::test]
async fn cookies_are_http_only_and_same_site_lax() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    let response = app
        .client
        .get(app.url(&format!("/oauth/authorize?{}", authorize_query("gpt", "s", false))))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
}

#[tokio::test]
async fn a_wrong_password_on_the_sign_in_page_answers_as_login_does() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    app.register("known@example.com").await;
    let mut browser = Browser::new(&app);
    let signin =
        browser.get(&format!("/oauth/authorize?{}", authorize_query("gpt", "s", false))).await;
    for email in ["known@example.com", "unknown@example.com"] {
        let mut fields = signin.hidden();
        fields.extend(form(&[("email", email), ("password", "wrong password 1")]));
        let page = browser.post("/oauth/authorize/signin", &fields).await;
        assert_eq!(page.status, 401);
        assert!(page.text.contains("The email or password is wrong."), "{}", page.text);
    }
}

/// Nothing we issue or store holds a control character: each OAuth door refuses one before
/// any lookup, in its own protocol's words and naming the field.
async fn control_characters_are_refused_before_any_lookup(app: &TestApp) {
    register_client(app, "gpt").await;
    let mut browser = Browser::new(app);
    let page =
        browser.get(&format!("/oauth/authorize?{}", authorize_query("gpt\0", "s", false))).await;
    assert_eq!(page.status, 400, "an error page, never a redirect");
    assert!(page.text.contains("client_id") && page.text.contains("control characters"));
    let signin =
        browser.get(&format!("/oauth/authorize?{}", authorize_query("gpt", "s", false))).await;
    let mut fields = signin.hidden();
    fields.extend(form(&[("email", "ada\0@example.com"), ("password", PASSWORD)]));
    let page = browser.post("/oauth/authorize/signin", &fields).await;
    assert_eq!(page.status, 422, "{}", page.text);
    assert!(page.text.contains("email: must not contain control characters"), "{}", page.text);
    let refresh = [("grant_type", "refresh_token"), ("refresh_token", "r\0")];
    let (status, _, body) = token(app, "gpt", false, &refresh).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("refresh_token"), "{body}");
    let clean = [("grant_type", "refresh_token"), ("refresh_token", "r")];
    let (status, _, body) = token(app, "gpt\0", true, &clean).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "{body}");
}

#[tokio::test]
async fn control_characters_in_oauth_requests_are_refused_before_any_lookup_on_sqlite() {
    control_characters_are_refused_before_any_lookup(&spawn_app().await).await;
}

#[tokio::test]
async fn control_characters_in_oauth_requests_are_refused_before_any_lookup_on_postgres() {
    let test = "control_characters_in_oauth_requests_are_refused_before_any_lookup_on_postgres";
    if let Some(app) = spawn_app_on_postgres(test).await {
        control_characters_are_refused_before_any_lookup(&app).await;
    }
}

#[tokio::test]
async fn a_code_used_twice_fails_and_revokes_what_its_first_use_issued() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    let code = authorized_code(&app, "gpt", "reuse@example.com", false).await;
    let (status, first) = exchange(&app, "gpt", &code, None).await;
    assert_eq!(status, 200, "{first}");
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(api_status(&app, access).await, 200);

    let (status, again) = exchange(&app, "gpt", &code, None).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(api_status(&app, access).await, 401, "the first token stops working");
    let refresh = first["refresh_token"].as_str().unwrap();
    let (status, _, body) =
        token(&app, "gpt", true, &[("grant_type", "refresh_token"), ("refresh_token", refresh)])
            .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn an_expired_code_is_invalid_grant() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    let learner = app.register("expired@example.com").await;
    app.db
        .store_code(NewCode {
            code_hash: domain::oauth::secret_hash("an-expired-code"),
            client_id: "gpt".into(),
            user_id: learner.id,
            redirect_uri: REDIRECT.into(),
            scope: "learner".into(),
            code_challenge: None,
            expires_at: Utc::now() - Span::seconds(1),
            resource: None,
        })
        .await
        .unwrap();
    let (status, body) = exchange(&app, "gpt", "an-expired-code", None).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert!(body["error_description"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn a_wrong_client_secret_is_401_invalid_client() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    let code = authorized_code(&app, "gpt", "secret@example.com", false).await;
    let fields =
        form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT)]);
    for request in [
        app.client.post(app.url("/oauth/token")).basic_auth("gpt", Some("wrong")).form(&fields),
        app.client.post(app.url("/oauth/token")).form(
            &[fields.clone(), form(&[("client_id", "gpt"), ("client_secret", "wrong")])].concat(),
        ),
        app.client.post(app.url("/oauth/token")).form(&fields),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client");
    }
    // The code was never spent by those attempts.
    assert_eq!(exchange(&app, "gpt", &code, None).await.0, 200);
}

#[tokio::test]
async fn a_pkce_verifier_that_does_not_match_is_invalid_grant() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    let code = authorized_code(&app, "gpt", "pkce@example.com", true).await;
    let wrong = "x".repeat(43);
    let (status, body) = exchange(&app, "gpt", &code, Some(&wrong)).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert!(body["error_description"].as_str().unwrap().contains("code_verifier"));
}

#[tokio::test]
async fn a_code_is_checked_before_it_is_spent_so_a_failed_check_does_not_burn_it() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    register_client(&app, "other").await;
    let code = authorized_code(&app, "gpt", "unburnt@example.com", true).await;
    let wrong = "x".repeat(43);
    assert_eq!(exchange(&app, "gpt", &code, Some(&wrong)).await.0, 400, "wrong verifier");
    assert_eq!(exchange(&app, "gpt", &code, None).await.0, 400, "no verifier");
    assert_eq!(exchange(&app, "other", &code, Some(VERIFIER)).await.0, 400, "another client");
    let elsewhere = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://elsewhere.example.com/cb"),
        ("code_verifier", VERIFIER),
    ];
    assert_eq!(token(&app, "gpt", true, &elsewhere).await.0, 400, "another redirect_uri");
    let (status, tokens) = exchange(&app, "gpt", &code, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(api_status(&app, tokens["access_token"].as_str().unwrap()).await, 200);
}

/// Exchanges one code from ten requests at once: one gets tokens, the others
/// `invalid_grant`, and the replays revoke what the winner got.
async fn concurrent_exchanges_of_one_code_issue_tokens_once_and_revoke_them(app: &TestApp) {
    register_client(app, "gpt").await;
    let code = authorized_code(app, "gpt", "race@example.com", true).await;
    let mut exchanges = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let request =
            app.client.post(app.url("/oauth/token")).basic_auth("gpt", Some(SECRET)).form(&form(
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", VERIFIER),
                ],
            ));
        exchanges.spawn(async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        });
    }
    let answers = exchanges.join_all().await;
    let issued: Vec<&Value> =
        answers.iter().filter(|(status, _)| *status == 200).map(|(_, body)| body).collect();
    assert_eq!(issued.len(), 1, "{answers:?}");
    assert!(
        answers.iter().all(|(status, body)| *status == 200 || body["error"] == "invalid_grant"),
        "{answers:?}"
    );
    let access = issued[0]["access_token"].as_str().unwrap();
    assert_eq!(api_status(app, access).await, 401, "a replay revoked the winner's sign-in");
    let refresh = issued[0]["refresh_token"].as_str().unwrap();
    let (status, _, body) =
        token(app, "gpt", true, &[("grant_type", "refresh_token"), ("refresh_token", refresh)])
            .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn concurrent_exchanges_of_one_code_issue_tokens_once_and_revoke_them_on_sqlite() {
    concurrent_exchanges_of_one_code_issue_tokens_once_and_revoke_them(&spawn_app().await).await;
}

#[tokio::test]
async fn concurrent_exchanges_of_one_code_issue_tokens_once_and_revoke_them_on_postgres() {
    let test = "concurrent_exchanges_of_one_code_issue_tokens_once_and_revoke_them_on_postgres";
    if let Some(app) = spawn_app_on_postgres(test).await {
        concurrent_exchanges_of_one_code_issue_tokens_once_and_revoke_them(&app).await;
    }
}

#[tokio::test]
async fn a_client_cannot_revoke_another_clients_tokens() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    register_client(&app, "other").await;
    let code = authorized_code(&app, "gpt", "theirs@example.com", false).await;
    let (_, tokens) = exchange(&app, "gpt", &code, None).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    for token in [access, refresh] {
        let response = app
            .client
            .post(app.url("/oauth/revoke"))
            .basic_auth("other", Some(SECRET))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized_client", "RFC 7009 §2.1: {body}");
    }
    assert_eq!(api_status(&app, access).await, 200, "the sign-in is untouched");
    let (status, _, _) =
        token(&app, "gpt", true, &[("grant_type", "refresh_token"), ("refresh_token", refresh)])
            .await;
    assert_eq!(status, 200, "its refresh token still works");
}

#[tokio::test]
async fn a_code_is_bound_to_its_redirect_uri_and_client() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    register_client(&app, "other").await;
    let code = authorized_code(&app, "gpt", "bound@example.com", false).await;
    let (status, _, body) = token(
        &app,
        "other",
        true,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT)],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    let code = authorized_code(&app, "gpt", "bound2@example.com", false).await;
    let (status, _, body) = token(
        &app,
        "gpt",
        true,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://elsewhere.example.com/cb"),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_family() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    let code = authorized_code(&app, "gpt", "rotate@example.com", false).await;
    let (_, first) = exchange(&app, "gpt", &code, None).await;
    let old = first["refresh_token"].as_str().unwrap();
    let (_, _, second) =
        token(&app, "gpt", true, &[("grant_type", "refresh_token"), ("refresh_token", old)]).await;
    let access = second["access_token"].as_str().unwrap();
    assert_eq!(api_status(&app, access).await, 200);

    let (status, _, body) =
        token(&app, "gpt", true, &[("grant_type", "refresh_token"), ("refresh_token", old)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(api_status(&app, access).await, 401, "the family's access tokens stop working");
    let newest = second["refresh_token"].as_str().unwrap();
    let (status, _, body) =
        token(&app, "gpt", true, &[("grant_type", "refresh_token"), ("refresh_token", newest)])
            .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "its newest refresh token too"
    );
}

#[tokio::test]
async fn revocation_and_metadata_follow_their_rfcs() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    let (status, metadata) = app.get_json("/.well-known/oauth-authorization-server").await;
    assert_eq!(status, 200);
    assert_eq!(metadata["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(metadata["token_endpoint"], "http://localhost:8000/oauth/token");

    let code = authorized_code(&app, "gpt", "revoke@example.com", false).await;
    let (_, tokens) = exchange(&app, "gpt", &code, None).await;
    let access = tokens["access_token"].as_str().unwrap();
    let response = app
        .client
        .post(app.url("/oauth/revoke"))
        .basic_auth("gpt", Some(SECRET))
        .form(&[("token", tokens["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(api_status(&app, access).await, 401);
    let unknown = app
        .client
        .post(app.url("/oauth/revoke"))
        .basic_auth("gpt", Some(SECRET))
        .form(&[("token", "never-issued")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 200, "RFC 7009: unknown tokens are not an error");
}

#[tokio::test]
async fn two_learners_signing_in_through_one_client_each_see_only_their_own_progress() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    let mut tokens = Vec::new();
    for email in ["one@example.com", "two@example.com"] {
        let code = authorized_code(&app, "gpt", email, false).await;
        let (_, body) = exchange(&app, "gpt", &code, None).await;
        tokens.push(body["access_token"].as_str().unwrap().to_owned());
    }
    let put = |token: &str| {
        let body = json!({ "chapter_id": "what-is-an-ai-agent", "completed": true });
        app.client.put(app.url("/api/v1/progress/me")).bearer_auth(token).json(&body)
    };
    assert_eq!(app.send(put(&tokens[0])).await.0, 200);
    let checkin = app.client.post(app.url("/api/v1/streaks/me/checkin")).bearer_auth(&tokens[0]);
    assert_eq!(app.send(checkin).await.0, 200);

    let (_, first) =
        app.send(app.client.get(app.url("/api/v1/progress/me")).bearer_auth(&tokens[0])).await;
    let (_, second) =
        app.send(app.client.get(app.url("/api/v1/progress/me")).bearer_auth(&tokens[1])).await;
    assert_eq!(
        (first["completed_count"].as_u64(), second["completed_count"].as_u64()),
        (Some(1), Some(0))
    );
    assert_ne!(first["user_id"], second["user_id"]);
    let (_, streak) =
        app.send(app.client.get(app.url("/api/v1/streaks/me")).bearer_auth(&tokens[1])).await;
    assert_eq!(streak["current_streak"], 0);
}

#[tokio::test]
async fn an_oauth_token_never_carries_admin_powers() {
    let app = spawn_app().await;
    register_client(&app, "gpt").await;
    let admin = app.user_with(domain::Tier::Free, domain::Role::Admin).await;
    let email = app.db.find_user(admin.id).await.unwrap().unwrap().email.to_string();
    let mut browser = Browser::new(&app);
    let signin =
        browser.get(&format!("/oauth/authorize?{}", authorize_query("gpt", "s", false))).await;
    let mut fields = signin.hidden();
    fields.extend(form(&[("email", &email), ("password", PASSWORD)]));
    let consent = browser.post("/oauth/authorize/signin", &fields).await;
    assert_eq!(consent.status, 200, "{}", consent.text);
    let (_, query) = browser.decide(&consent, "allow").await.redirect();
    let (_, tokens) = exchange(&app, "gpt", &query["code"], None).await;
    let upgrade = json!({ "user_id": admin.id, "new_tier": "pro" });
    let oauth_token = tokens["access_token"].as_str().unwrap();
    let request =
        app.client.post(app.url("/api/v1/access/upgrade")).bearer_auth(oauth_token).json(&upgrade);
    let (status, body) = app.send(request).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
    let request =
        app.client.post(app.url("/api/v1/access/upgrade")).bearer_auth(&admin.token).json(&upgrade);
    let (status, body) = app.send(request).await;
    assert_eq!(status, 200, "the same admin's password login still may: {body}");
}

#[tokio::test]
async fn an_mcp_client_registers_itself_and_its_resource_bound_tokens_work_only_at_mcp() {
    let app = spawn_app().await;
    let (status, metadata) = app.get_json("/.well-known/oauth-authorization-server").await;
    assert_eq!(status, 200);
    assert_eq!(metadata["registration_endpoint"], "http://localhost:8000/oauth/register");
    assert!(metadata["token_endpoint_auth_methods_supported"].to_string().contains("\"none\""));
    let register = |body: Value| app.client.post(app.url("/oauth/register")).json(&body).send();
    let refused = register(json!({ "redirect_uris": ["http://example.com/cb"] })).await.unwrap();
    assert_eq!(refused.status(), 400);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"], "invalid_redirect_uri");
    let response = register(json!({
        "redirect_uris": [REDIRECT],
        "client_name": "Test GPT",
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    }))
    .await
    .unwrap();
    assert_eq!(response.status(), 201);
    let client: Value = response.json().await.unwrap();
    assert!(client.get("client_secret").is_none(), "a public client gets no secret: {client}");
    assert_eq!(client["token_endpoint_auth_method"], "none");
    let client_id = client["client_id"].as_str().unwrap().to_owned();

    // Without PKCE a public client is sent back with invalid_request.
    let mut browser = Browser::new(&app);
    let (_, query) = browser
        .get(&format!("/oauth/authorize?{}", authorize_query(&client_id, "s", false)))
        .await
        .redirect();
    assert_eq!(query["error"], "invalid_request");

    let resource = "http://localhost:8000/mcp";
    let with_resource = format!(
        "{}&{}",
        authorize_query(&client_id, "xyz", true),
        serde_urlencoded::to_string([("resource", resource)]).unwrap()
    );
    let answer = browser.sign_up_and_allow(&with_resource, "mcp-host@example.com").await;
    let code = answer.redirect().1["code"].clone();
    let post = |fields: Vec<(&str, &str)>| {
        app.client.post(app.url("/oauth/token")).form(&form(&fields)).send()
    };
    let tokens: Value = post(vec![
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_id", &client_id),
        ("resource", resource),
    ])
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let access = tokens["access_token"].as_str().expect("an access token").to_owned();
    assert_eq!(api_status(&app, &access).await, 401, "a token bound to /mcp is refused here");
    assert!(app.app.accounts().verify_mcp_token(&access).is_some());

    // Refreshed with the client id alone, the new token is bound to the same resource.
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refreshed: Value = post(vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", &refresh),
        ("client_id", &client_id),
    ])
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let renewed = refreshed["access_token"].as_str().expect("a refreshed token");
    assert_eq!(api_status(&app, renewed).await, 401);
    assert!(app.app.accounts().verify_mcp_token(renewed).is_some());

    // Another resource is invalid_target; a confidential client's id alone is invalid_client.
    let mut other = Browser::new(&app);
    let elsewhere = format!(
        "{}&resource=https%3A%2F%2Felsewhere.example%2Fmcp",
        authorize_query(&client_id, "s", true)
    );
    let (_, query) = other.get(&format!("/oauth/authorize?{elsewhere}")).await.redirect();
    assert_eq!(query["error"], "invalid_target");
    register_client(&app, "gpt").await;
    let response = post(vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", "whatever"),
        ("client_id", "gpt"),
    ])
    .await
    .unwrap();
    assert_eq!(response.status(), 401);
}
