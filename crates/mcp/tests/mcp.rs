//! The MCP door over HTTP, as an MCP client sees it: a real server on a loopback port (the
//! application on a fresh SQLite database with the sample course, `/mcp` mounted as the binary
//! mounts it), spoken to in JSON-RPC with reqwest.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use app::{
    App, AppSettings, AuthSettings, AuthorizationRequest, ClientMetadata, DatabaseSettings,
    NewAccount, OAuthSettings, PoolOptions, Refusal, StorageSettings,
};
use domain::{AccessPolicy, Email, Password, Tier, TimeZone};
use serde_json::{Value, json};

const JWT_SECRET: &[u8] = b"mcp-tests-secret-that-is-long-enough-for-hs256";
const ISSUER: &str = "course-companion-tests";

struct TestServer {
    base: String,
    app: App,
    client: reqwest::Client,
    _folder: tempfile::TempDir,
}

async fn spawn() -> TestServer {
    let folder = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let settings = AppSettings {
        database: DatabaseSettings {
            url: format!("sqlite://{}?mode=rwc", folder.path().join("mcp.db").display()),
            pool: PoolOptions::default(),
            migrate: true,
        },
        storage: StorageSettings::Folder {
            path: folder.path().join("content"),
            cache_bytes: 8 * 1024 * 1024,
        },
        auth: AuthSettings {
            jwt_secret: JWT_SECRET.to_vec(),
            jwt_issuer: ISSUER.into(),
            token_lifetime: Duration::from_secs(3600),
            bcrypt_cost: 4,
            failed_logins_per_account: 10,
            failed_login_window: Duration::from_secs(60),
        },
        oauth: OAuthSettings {
            mcp_resource: format!("{base}/mcp"),
            client_documents_over_loopback_http: true,
            ..OAuthSettings::default()
        },
        access_policy: AccessPolicy { free_chapters: 3 },
        upgrade_url: format!("{base}/upgrade"),
        review_retention: domain::review::Retention::DEFAULT,
        import_on_first_start: Some(Path::new(&testkit::sample_course()).to_path_buf()),
    };
    let app = App::build(settings).await.unwrap();
    app.search().refresh().await.unwrap();
    let (served, public_url) = (app.clone(), base.clone());
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new().configure(|config| mcp::configure(config, &served, &public_url))
    })
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    TestServer { base, app, client: reqwest::Client::new(), _folder: folder }
}

impl TestServer {
    /// A new learner of `tier` and their password-login token.
    async fn learner(&self, email: &str, tier: Tier) -> String {
        let signed_in = self
            .app
            .accounts()
            .register(NewAccount {
                email: Email::parse(email).unwrap(),
                password: Password::parse("correct horse 42".into()).unwrap(),
                name: "MCP Learner".into(),
                timezone: TimeZone::parse("Europe/Paris").unwrap(),
                background: String::new(),
                tier,
                role: domain::Role::Student,
            })
            .await
            .unwrap();
        signed_in.token.token
    }

    /// One JSON-RPC call at `/mcp`; the HTTP status and the body.
    async fn rpc(&self, token: Option<&str>, method: &str, params: Value) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/mcp", self.base))
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-06-18")
            .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn call_tool(&self, token: &str, name: &str, arguments: Value) -> Value {
        let (status, body) = self
            .rpc(Some(token), "tools/call", json!({ "name": name, "arguments": arguments }))
            .await;
        assert_eq!(status, 200, "{body}");
        body["result"].clone()
    }
}

/// A token signed with the server's secret, for `audience` (the claims an OAuth token has).
fn token_for(user: &str, audience: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims =
        json!({ "sub": user, "iat": now, "exp": now + 600, "iss": ISSUER, "aud": audience });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET),
    )
    .unwrap()
}

#[tokio::test]
async fn a_request_without_a_token_is_told_where_to_sign_in() {
    let server = spawn().await;
    let response =
        server.client.post(format!("{}/mcp", server.base)).json(&json!({})).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
    let metadata_url = format!("{}/.well-known/oauth-protected-resource/mcp", server.base);
    assert_eq!(challenge, format!("Bearer resource_metadata=\"{metadata_url}\""));
    let metadata: Value =
        server.client.get(&metadata_url).send().await.unwrap().json().await.unwrap();
    assert_eq!(metadata["resource"], format!("{}/mcp", server.base));
    assert_eq!(metadata["authorization_servers"], json!([server.base]));
}

#[tokio::test]
async fn a_token_bound_to_another_resource_is_refused_and_one_bound_to_ours_works() {
    let server = spawn().await;
    server.learner("bound@example.com", Tier::Free).await;
    let user = server
        .app
        .accounts()
        .login("bound@example.com", "correct horse 42".into())
        .await
        .unwrap()
        .user
        .id;
    let elsewhere = token_for(&user.to_string(), "https://elsewhere.example/mcp");
    let (status, _) = server.rpc(Some(&elsewhere), "tools/list", json!({})).await;
    assert_eq!(status, 401);
    let ours = token_for(&user.to_string(), &format!("{}/mcp", server.base));
    let (status, body) = server.rpc(Some(&ours), "tools/list", json!({})).await;
    assert_eq!(status, 200, "{body}");
    // A token bound to the MCP endpoint is not one of our API's tokens.
    assert!(server.app.accounts().verify_token(&ours).is_none());
}

#[tokio::test]
async fn the_tools_say_truthfully_whether_they_change_anything() {
    let server = spawn().await;
    let token = server.learner("tools@example.com", Tier::Free).await;
    let (_, body) = server.rpc(Some(&token), "tools/list", json!({})).await;
    let tools = body["result"]["tools"].as_array().unwrap();
    let writes = ["submit_quiz", "mark_chapter_complete", "check_in", "answer_review"];
    let repeatable = ["submit_quiz", "answer_review"];
    let mut names: Vec<&str> = Vec::new();
    for tool in tools {
        let name = tool["name"].as_str().unwrap();
        names.push(name);
        let hints = &tool["annotations"];
        assert_eq!(hints["readOnlyHint"], json!(!writes.contains(&name)), "{name}");
        assert_eq!(hints["destructiveHint"], json!(false), "{name}");
        assert_eq!(hints["openWorldHint"], json!(false), "{name}");
        assert_eq!(hints["idempotentHint"], json!(!repeatable.contains(&name)), "{name}");
        assert_eq!(tool["inputSchema"]["type"], "object", "{name}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{name}");
        assert!(!tool["outputSchema"].to_string().contains("uint"), "{name}");
    }
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "answer_review",
            "check_access",
            "check_in",
            "get_course_outline",
            "get_progress",
            "get_quiz",
            "get_quiz_results",
            "get_review_queue",
            "get_streak",
            "mark_chapter_complete",
            "read_chapter",
            "search_course",
            "submit_quiz",
            "what_next",
        ]
    );
}

#[tokio::test]
async fn a_free_learner_reading_chapter_four_gets_upgrade_required_as_a_tool_error() {
    let server = spawn().await;
    let token = server.learner("free@example.com", Tier::Free).await;
    let outline = server.call_tool(&token, "get_course_outline", json!({})).await;
    let fourth = outline["structuredContent"]["items"][3]["slug"].as_str().unwrap().to_owned();
    let result = server.call_tool(&token, "read_chapter", json!({ "chapter": fourth })).await;
    assert_eq!(result["isError"], true);
    assert_eq!(result["structuredContent"]["error"], "upgrade_required");
    assert_eq!(result["structuredContent"]["details"]["required_tier"], "premium");
    // Nothing of the chapter leaks, and a premium learner reads it.
    assert!(result["structuredContent"].get("content").is_none());
    let premium = server.learner("premium@example.com", Tier::Premium).await;
    let read = server.call_tool(&premium, "read_chapter", json!({ "chapter": fourth })).await;
    assert_eq!(read["isError"], false);
    assert!(read["structuredContent"]["content"].as_str().unwrap().len() > 100);
    // Its resource is not listed for the free learner.
    let (_, listed) = server.rpc(Some(&token), "resources/list", json!({})).await;
    let uris = listed["result"]["resources"].to_string();
    assert!(uris.contains("course://chapters/what-is-an-ai-agent"));
    assert!(!uris.contains(&format!("course://chapters/{fourth}")));
}

#[tokio::test]
async fn tool_input_that_fails_validation_is_a_tool_error_naming_the_fields() {
    let server = spawn().await;
    let token = server.learner("inputs@example.com", Tier::Free).await;
    let cases = [
        ("submit_quiz", json!({ "quiz_id": "x" }), "answers"),
        ("submit_quiz", json!({ "quiz_id": "not-a-uuid", "answers": {} }), "quiz_id"),
        ("search_course", json!({ "query": "a" }), "query"),
        ("search_course", json!({ "query": "agents", "limit": 0 }), "limit"),
        ("read_chapter", json!({ "chapter": "intro", "extra": 1 }), "extra"),
        ("check_in", json!({ "when": "now" }), "when"),
    ];
    for (tool, arguments, field) in cases {
        let result = server.call_tool(&token, tool, arguments.clone()).await;
        assert_eq!(result["isError"], true, "{tool} {arguments}");
        assert_eq!(result["structuredContent"]["error"], "validation_failed", "{tool} {arguments}");
        assert!(
            result["structuredContent"]["details"]["fields"].get(field).is_some(),
            "{tool} {arguments}: {result}"
        );
    }
}

#[tokio::test]
async fn a_quiz_taken_over_mcp_is_graded_and_the_chapter_shows_in_progress() {
    let server = spawn().await;
    let token = server.learner("journey@example.com", Tier::Free).await;
    let chapter =
        server.call_tool(&token, "read_chapter", json!({ "chapter": "what-is-an-ai-agent" })).await;
    let quiz_id = chapter["structuredContent"]["quiz_id"].as_str().unwrap().to_owned();
    let quiz = server.call_tool(&token, "get_quiz", json!({ "quiz_id": quiz_id })).await;
    let questions = quiz["structuredContent"]["questions"].as_array().unwrap();
    assert!(!quiz.to_string().contains("explanation"), "a quiz never carries its key");
    let answers: serde_json::Map<String, Value> = questions
        .iter()
        .map(|q| {
            let answer = match q["kind"].as_str().unwrap() {
                "multiple_choice" => json!(["A"]),
                "true_false" => json!("true"),
                _ => json!("A"),
            };
            (q["id"].as_str().unwrap().to_owned(), answer)
        })
        .collect();
    let graded = server
        .call_tool(&token, "submit_quiz", json!({ "quiz_id": quiz_id, "answers": answers }))
        .await;
    assert_eq!(graded["isError"], false, "{graded}");
    assert_eq!(graded["structuredContent"]["total"], questions.len());
    let done = server
        .call_tool(&token, "mark_chapter_complete", json!({ "chapter": "what-is-an-ai-agent" }))
        .await;
    assert_eq!(done["structuredContent"]["completed_count"], 1);
    let progress = server.call_tool(&token, "get_progress", json!({})).await;
    assert_eq!(
        progress["structuredContent"]["completed_chapters"][0]["slug"],
        "what-is-an-ai-agent"
    );
    // Submitting counted as the day's check-in.
    let streak = server.call_tool(&token, "get_streak", json!({})).await;
    assert_eq!(streak["structuredContent"]["checked_in_today"], true);
}

#[tokio::test]
async fn what_next_asks_for_review_after_a_failed_quiz_and_a_review_over_mcp_reschedules_the_card()
{
    let server = spawn().await;
    let token = server.learner("review@example.com", Tier::Free).await;
    let first = server.call_tool(&token, "what_next", json!({})).await;
    assert_eq!(first["structuredContent"]["action"], "start_chapter", "{first}");
    let chapter =
        server.call_tool(&token, "read_chapter", json!({ "chapter": "what-is-an-ai-agent" })).await;
    let quiz_id = chapter["structuredContent"]["quiz_id"].as_str().unwrap().to_owned();
    let quiz = server.call_tool(&token, "get_quiz", json!({ "quiz_id": quiz_id })).await;
    // Only the first question answered (wrongly, or by luck): the rest are wrong, so it fails.
    let first_question = quiz["structuredContent"]["questions"][0]["id"].as_str().unwrap();
    let answers = json!({ first_question: "D" });
    let graded = server
        .call_tool(&token, "submit_quiz", json!({ "quiz_id": quiz_id, "answers": answers }))
        .await;
    assert_eq!(graded["structuredContent"]["passed"], false, "{graded}");
    let next = server.call_tool(&token, "what_next", json!({})).await;
    assert_eq!(next["structuredContent"]["action"], "review", "{next}");
    let queue = server.call_tool(&token, "get_review_queue", json!({ "limit": 50 })).await;
    let due = queue["structuredContent"]["due_now"].as_u64().unwrap();
    assert!(due >= 4, "{queue}");
    let card = &queue["structuredContent"]["items"][0]["question"];
    let answer = match card["kind"].as_str().unwrap() {
        "multiple_choice" => json!(["A"]),
        "true_false" => json!("true"),
        _ => json!("A"),
    };
    let reviewed = server
        .call_tool(
            &token,
            "answer_review",
            json!({ "question_id": card["id"], "answer": answer, "review_id": "mcp-1" }),
        )
        .await;
    assert_eq!(reviewed["isError"], false, "{reviewed}");
    assert!(["again", "good"].contains(&reviewed["structuredContent"]["rating"].as_str().unwrap()));
    assert!(reviewed["structuredContent"]["next_due_at"].is_string());
    let refused = server
        .call_tool(&token, "answer_review", json!({ "question_id": "nope", "answer": "A" }))
        .await;
    assert_eq!(refused["isError"], true);
    assert_eq!(refused["structuredContent"]["error"], "validation_failed");
}

#[tokio::test]
async fn a_public_client_registers_itself_and_must_use_pkce_and_our_resource() {
    let server = spawn().await;
    let authorization = server.app.authorization();
    let client = authorization
        .register_client(ClientMetadata {
            redirect_uris: vec!["http://127.0.0.1:9/callback".into()],
            client_name: Some("Inspector".into()),
            token_endpoint_auth_method: Some("none".into()),
            ..ClientMetadata::default()
        })
        .await
        .unwrap();
    assert!(client.client_secret.is_none());
    let request = AuthorizationRequest {
        response_type: Some("code"),
        client_id: Some(&client.client_id),
        redirect_uri: Some("http://127.0.0.1:9/callback"),
        ..AuthorizationRequest::default()
    };
    let refused = |outcome: Result<app::ValidRequest, Refusal>| match outcome {
        Err(Refusal::Redirect { error, .. }) => error.code,
        other => panic!("expected a refusal back to the client, got {other:?}"),
    };
    assert_eq!(refused(authorization.validate(&request).await), "invalid_request");
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let with_pkce = AuthorizationRequest {
        code_challenge: Some(challenge),
        code_challenge_method: Some("S256"),
        ..request
    };
    let elsewhere =
        AuthorizationRequest { resource: Some("https://elsewhere.example/mcp"), ..with_pkce };
    assert_eq!(refused(authorization.validate(&elsewhere).await), "invalid_target");
    let ours = format!("{}/mcp", server.base);
    let valid = authorization
        .validate(&AuthorizationRequest { resource: Some(&ours), ..with_pkce })
        .await
        .unwrap();
    assert_eq!(valid.resource.as_deref(), Some(ours.as_str()));
    // Registration refuses what it cannot honour.
    for (metadata, code) in [
        (ClientMetadata::default(), "invalid_redirect_uri"),
        (
            ClientMetadata {
                redirect_uris: vec!["http://example.com/cb".into()],
                ..ClientMetadata::default()
            },
            "invalid_redirect_uri",
        ),
        (
            ClientMetadata {
                redirect_uris: vec!["https://example.com/cb".into()],
                token_endpoint_auth_method: Some("private_key_jwt".into()),
                ..ClientMetadata::default()
            },
            "invalid_client_metadata",
        ),
    ] {
        assert_eq!(authorization.register_client(metadata).await.unwrap_err().code, code);
    }
}

/// An authorization request with PKCE from `client_id` returning to `redirect`.
fn request<'a>(client_id: &'a str, redirect: &'a str) -> AuthorizationRequest<'a> {
    AuthorizationRequest {
        response_type: Some("code"),
        client_id: Some(client_id),
        redirect_uri: Some(redirect),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        code_challenge_method: Some("S256"),
        ..AuthorizationRequest::default()
    }
}

#[tokio::test]
async fn a_client_known_by_its_metadata_document_signs_in_without_registering() {
    let server = spawn().await;
    // The documents' base is only known once bound, so the ids are written relative to it.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = format!("http://127.0.0.1:{port}");
    let callback = "http://127.0.0.1:9/callback";
    let document = |id: String| {
        json!({ "client_id": id, "client_name": "Doc Client", "redirect_uris": [callback],
                "token_endpoint_auth_method": "none" })
        .to_string()
    };
    let documents = vec![
        ("/client.json", document(format!("{base}/client.json"))),
        ("/liar.json", document("https://elsewhere.example/client.json".into())),
        ("/huge.json", format!("{{\"padding\": \"{}\"}}", "x".repeat(70_000))),
    ];
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let served = actix_web::HttpServer::new(move || {
        let mut app = actix_web::App::new();
        for (path, body) in documents.clone() {
            app = app.route(
                path,
                actix_web::web::get().to(move || {
                    let body = body.clone();
                    async move {
                        actix_web::HttpResponse::Ok().content_type("application/json").body(body)
                    }
                }),
            );
        }
        app
    })
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(served);

    let authorization = server.app.authorization();
    let client_id = format!("{base}/client.json");
    let valid = authorization.validate(&request(&client_id, callback)).await.unwrap();
    assert!(valid.client.public);
    assert_eq!(valid.client.name, "Doc Client");
    assert!(authorization.public_client(&client_id).await.is_ok());
    let page = |outcome: Result<app::ValidRequest, Refusal>| match outcome {
        Err(Refusal::Page(text)) => text,
        other => panic!("expected an error page, got {other:?}"),
    };
    let elsewhere =
        page(authorization.validate(&request(&client_id, "http://127.0.0.1:9/x")).await);
    assert!(elsewhere.contains("return address"), "{elsewhere}");
    let liar = format!("{base}/liar.json");
    assert!(page(authorization.validate(&request(&liar, callback)).await).contains("its own URL"));
    let huge = format!("{base}/huge.json");
    assert!(page(authorization.validate(&request(&huge, callback)).await).contains("64 KiB"));
    // An https id on a private address is never fetched.
    let private = format!("https://127.0.0.1:{port}/client.json");
    let refused = page(authorization.validate(&request(&private, callback)).await);
    assert!(refused.contains("not a public address"), "{refused}");
}
