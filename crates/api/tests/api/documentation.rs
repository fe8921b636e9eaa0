//! The OpenAPI document and `/docs`: complete, within GPT Actions' limits, and safe to browse.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::{error_code, spawn_app};

/// Routes deliberately outside the API document: operations tooling, not API calls.
const UNDOCUMENTED: [&str; 7] = [
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/",
    "/docs/init.js",
    "/docs/swagger-ui-bundle.js",
    "/docs/swagger-ui.css",
];

/// `(method, path)` of every route registered in the crate's sources. A route registered
/// with plain Actix instead of paperclip would be served but silently undocumented; reading
/// the registrations themselves is what catches it.
fn registered_routes() -> BTreeSet<(String, String)> {
    let source_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut routes = BTreeSet::new();
    let mut files = vec![std::path::PathBuf::from(source_dir)];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|entry| entry.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let prefix = if text.contains("web::scope(\"/api/v1\")") { "/api/v1" } else { "" };
        let mut current: Option<String> = None;
        for line in text.lines() {
            if let Some(rest) = line.split("web::resource(\"").nth(1) {
                let resource = rest.split('"').next().unwrap();
                current = Some(if resource == "/health" {
                    resource.into()
                } else {
                    format!("{prefix}{resource}")
                });
            }
            if let Some(rest) = line.split(".route(\"").nth(1) {
                current = Some(rest.split('"').next().unwrap().to_owned());
            }
            for method in ["get", "post", "put", "patch", "delete"] {
                if line.contains(&format!("::{method}()"))
                    && let Some(path) = &current
                {
                    routes.insert((method.to_owned(), path.clone()));
                }
            }
        }
    }
    routes
}

#[tokio::test]
async fn every_registered_route_is_in_the_document_and_nothing_else() {
    let app = spawn_app().await;
    let (_, document) = app.get_json("/openapi.json").await;
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().unwrap().keys().map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    // The OAuth sign-in routes are a browser flow, declared as the `oauth2` security scheme.
    let registered: BTreeSet<(String, String)> = registered_routes()
        .into_iter()
        .filter(|(_, path)| !UNDOCUMENTED.contains(&path.as_str()))
        .filter(|(_, path)| !path.starts_with("/oauth/") && !path.starts_with("/.well-known/"))
        .collect();
    assert!(registered.len() >= 21, "the source scan found too little: {registered:?}");
    assert_eq!(registered, documented);
}

#[tokio::test]
async fn the_document_fits_gpt_actions_limits() {
    let app = spawn_app().await;
    let (_, document) = app.get_json("/openapi.json").await;
    let mut operations = Vec::new();
    for item in document["paths"].as_object().unwrap().values() {
        operations.extend(item.as_object().unwrap().values());
    }
    assert!(operations.len() <= 30, "{} operations; GPT Actions takes 30", operations.len());
    let mut ids = BTreeSet::new();
    for operation in operations {
        let id = operation["operationId"].as_str().expect("every operation has an operationId");
        assert!(
            id.chars().next().unwrap().is_ascii_lowercase()
                && id.chars().all(|c| c.is_ascii_alphanumeric()),
            "{id} is not camelCase"
        );
        assert!(ids.insert(id), "{id} is used twice");
        let summary =
            operation["summary"].as_str().unwrap_or_else(|| panic!("{id} has no summary"));
        assert!(!summary.is_empty() && summary.chars().count() <= 300, "{id}: summary over 300");
        assert!(operation["x-openai-isConsequential"].is_boolean(), "{id}");
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let description = parameter["description"].as_str().unwrap_or_default();
            assert!(description.chars().count() <= 700, "{id}: a parameter description over 700");
        }
        for (status, response) in operation["responses"].as_object().unwrap() {
            if status.starts_with('4') || status.starts_with('5') && id != "getHealth" {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Error",
                    "{id} {status} uses the shared Error schema"
                );
            }
        }
    }
    for consequential in ["submitQuiz", "updateProgress", "recordCheckin", "upgradeTier"] {
        assert!(ids.contains(consequential));
    }
    let is_consequential = |path: &str, method: &str| {
        document["paths"][path][method]["x-openai-isConsequential"].clone()
    };
    assert_eq!(is_consequential("/api/v1/quizzes/{quiz_id}/submit", "post"), true);
    assert_eq!(is_consequential("/api/v1/streaks/{user}/checkin", "post"), true);
    assert_eq!(is_consequential("/api/v1/chapters/{chapter_ref}", "get"), false);
    assert_eq!(is_consequential("/api/v1/search", "get"), false);
}

#[tokio::test]
async fn the_document_declares_bearer_auth_nullables_and_answer_shapes() {
    let app = spawn_app().await;
    let (_, document) = app.get_json("/openapi.json").await;
    let scheme = &document["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(
        (scheme["type"].as_str(), scheme["scheme"].as_str()),
        (Some("http"), Some("bearer"))
    );
    let schemas = &document["components"]["schemas"];
    let last_login = &schemas["AuthResponse"]["properties"]["user"]["properties"]["last_login"];
    assert_eq!(last_login["nullable"], true);
    let question = &schemas["QuizQuestion"];
    assert_eq!(question["discriminator"]["propertyName"], "kind");
    assert_eq!(question["oneOf"].as_array().unwrap().len(), 3);
    let answer = &schemas["SubmitRequest"]["properties"]["answers"]["additionalProperties"];
    let shapes: Vec<&str> =
        answer["oneOf"].as_array().unwrap().iter().map(|s| s["type"].as_str().unwrap()).collect();
    assert_eq!(shapes, ["string", "array"]);
    let password = &schemas["RegisterRequest"]["properties"]["password"];
    assert_eq!(
        (password["minLength"].as_u64(), password["maxLength"].as_u64()),
        (Some(8), Some(72))
    );
    assert_eq!(schemas["RegisterRequest"]["properties"]["email"]["format"], "email");
    let search = &document["paths"]["/api/v1/search"]["get"]["parameters"];
    let limit = search.as_array().unwrap().iter().find(|p| p["name"] == "limit").unwrap();
    assert_eq!(
        (limit["schema"]["minimum"].as_u64(), limit["schema"]["maximum"].as_u64()),
        (Some(1), Some(50))
    );
    let submit = &document["paths"]["/api/v1/quizzes/{quiz_id}/submit"]["post"];
    assert!(submit["requestBody"]["content"]["application/json"]["example"].is_object());
    let declared: Vec<&String> = submit["responses"].as_object().unwrap().keys().collect();
    for status in ["200", "201", "401", "403", "404", "409", "422", "429"] {
        assert!(declared.iter().any(|s| *s == status), "submitQuiz lacks {status}: {declared:?}");
    }
}

#[tokio::test]
async fn docs_are_served_by_us_with_a_strict_policy() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"));
    let html = page.text().await.unwrap();
    for asset in ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js", "/docs/init.js"] {
        assert!(html.contains(asset), "{asset}");
        let response = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert!(!response.text().await.unwrap().is_empty());
    }
    assert!(!html.contains("https://"), "nothing is loaded from elsewhere");
}

#[tokio::test]
async fn unknown_paths_under_docs_are_json_404s_never_500s() {
    let app = spawn_app().await;
    for path in [
        "/docs/nope.js",
        "/docs/swagger-ui-bundle.js.map",
        "/docs/../docs/x",
        "/docs/%ff",
        "/docs/a/b/c",
    ] {
        let (status, body): (u16, Value) = app.get_json(path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(error_code(&body), "not_found", "{path}");
    }
}

#[tokio::test]
async fn every_example_in_the_document_matches_its_schema() {
    let app = spawn_app().await;
    let (_, document) = app.get_json("/openapi.json").await;
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                let example = &response["content"]["application/json"]["example"];
                if example.is_null() {
                    continue;
                }
                let concrete = path
                    .replace("{chapter_ref}", "x")
                    .replace("{quiz_id}", "x")
                    .replace("{user}", "me");
                app.contract.check(method, &concrete, status.parse().unwrap(), example);
                checked += 1;
            }
        }
    }
    assert!(checked >= 3, "the main answers carry examples ({checked})");
}
