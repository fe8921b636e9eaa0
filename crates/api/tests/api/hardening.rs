//! The contract's edges, one rule per test: a 405 says what the route accepts, request bodies
//! refuse fields they do not declare, an optional field may be null, the document states every
//! validation the server applies, and text no database can store is a 422 — on SQLite and on
//! PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};

use domain::{Role, TextKind, Tier};
use reqwest::Url;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser, error_code, spawn_app, spawn_app_on_postgres};

const SLUG: &str = "what-is-an-ai-agent";

/// `path` with each `{parameter}` given a value that names something real where it matters.
fn concrete(path: &str, quiz: Uuid) -> String {
    path.replace("{user}", "me")
        .replace("{quiz_id}", &quiz.to_string())
        // No such question: a body that passes its checks is answered 404.
        .replace("{question_id}", &Uuid::nil().to_string())
        .replace("{chapter_ref}", SLUG)
}

async fn first_quiz(app: &TestApp, user: &TestUser) -> Value {
    let (_, list) = app.get_as(user, "/api/v1/quizzes").await;
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, quiz) = app.get_as(user, &format!("/api/v1/quizzes/{id}")).await;
    assert_eq!(status, 200, "{quiz}");
    quiz
}

/// A submission the quiz accepts: one valid answer to its first question.
fn valid_submission(quiz: &Value) -> Value {
    let question = &quiz["questions"][0];
    let first_key = question["options"][0]["key"].clone();
    let answer = match question["kind"].as_str().unwrap() {
        "true_false" => json!("true"),
        "multiple_choice" => json!([first_key]),
        _ => first_key,
    };
    json!({ "answers": { question["id"].as_str().unwrap(): answer } })
}

async fn send(
    app: &TestApp,
    user: &TestUser,
    method: &str,
    url: Url,
    body: Option<&Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut request = app.client.request(method, url).bearer_auth(&user.token);
    if let Some(body) = body {
        request = request.json(body);
    }
    app.send(request).await
}

#[tokio::test]
async fn every_405_carries_allow_listing_exactly_the_methods_its_route_accepts() {
    let app = spawn_app().await;
    // Every route a method can miss is in the document (a test compares it with the routes
    // registered in the source); the others take their method as a guard and answer 404.
    let mut routes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (method, path, _) in app.contract.operations() {
        routes.entry(path).or_default().insert(method.to_uppercase());
    }
    assert!(routes.len() >= 18, "too few routes: {routes:?}");
    for (path, methods) in &routes {
        let url = app.url(&concrete(path, Uuid::new_v4()));
        for refused in ["DELETE", "OPTIONS"] {
            let method = reqwest::Method::from_bytes(refused.as_bytes()).unwrap();
            let (status, headers, body) = app.send_full(app.client.request(method, &url)).await;
            assert_eq!(status, 405, "{refused} {path}: {body}");
            assert_eq!(error_code(&body), "method_not_allowed", "{refused} {path}");
            let allow = headers.get("allow").map(|v| v.to_str().unwrap().to_owned());
            let allowed: BTreeSet<String> = allow
                .unwrap_or_else(|| panic!("{refused} {path}: 405 without Allow"))
                .split(',')
                .map(|m| m.trim().to_owned())
                .collect();
            assert_eq!(&allowed, methods, "{refused} {path}");
        }
    }
}

#[tokio::test]
async fn a_body_field_the_schema_does_not_list_is_a_400_and_every_request_schema_says_so() {
    let app = spawn_app().await;
    let admin = app.user_with(Tier::Premium, Role::Admin).await;
    let quiz: Uuid = first_quiz(&app, &admin).await["id"].as_str().unwrap().parse().unwrap();
    let mut checked = 0;
    for (method, path, operation) in app.contract.operations() {
        let id = operation["operationId"].as_str().unwrap();
        let Some(schema) = app.contract.request_schema(operation) else {
            continue;
        };
        assert_eq!(schema["additionalProperties"], false, "{id} must declare it refuses extras");
        let mut body = operation["requestBody"]["content"]["application/json"]["example"].clone();
        assert!(body.is_object(), "{id} has a request example");
        body["surprise"] = json!(true);
        let url = Url::parse(&app.url(&concrete(&path, quiz))).unwrap();
        let (status, answer) = send(&app, &admin, &method, url, Some(&body)).await;
        assert_eq!((status, error_code(&answer)), (400, "bad_request"), "{id}: {answer}");
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} operations take a body");
    let description = app.contract.document()["info"]["description"].as_str().unwrap();
    assert!(description.contains("a field the schema does not list is refused"));
}

#[tokio::test]
async fn an_optional_body_field_may_be_null_which_means_omitted() {
    let app = spawn_app().await;
    for (_, _, operation) in app.contract.operations() {
        let Some(schema) = app.contract.request_schema(operation) else {
            continue;
        };
        let required: Vec<&Value> = schema["required"].as_array().into_iter().flatten().collect();
        for (field, property) in schema["properties"].as_object().unwrap() {
            if !required.contains(&&json!(field)) {
                let id = &operation["operationId"];
                assert_eq!(property["nullable"], true, "{id}.{field} is optional: nullable");
            }
        }
    }
    let body = json!({ "email": "nulls@example.com", "password": "correct horse 1",
        "name": null, "timezone": null, "background": null });
    let (status, created) = app.post_json("/api/v1/auth/register", &body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        (&created["user"]["timezone"], &created["user"]["name"]),
        (&json!("UTC"), &json!(""))
    );
    let user = app.login("nulls@example.com").await;
    let (status, _) = app.patch_as(&user, "/api/v1/me", &json!({ "name": "Ada" })).await;
    assert_eq!(status, 200);
    let unchanged = json!({ "name": null, "timezone": null, "background": null,
        "preferences": null });
    let (status, profile) = app.patch_as(&user, "/api/v1/me", &unchanged).await;
    assert_eq!((status, &profile["name"]), (200, &json!("Ada")), "{profile}");
    let update = json!({ "chapter_id": SLUG, "completed": null });
    let request = app.client.put(app.url("/api/v1/progress/me")).bearer_auth(&user.token);
    let (status, progress) = app.send(request.json(&update)).await;
    assert_eq!((status, &progress["completed_count"]), (200, &json!(1)), "null means the default");
}

#[tokio::test]
async fn an_empty_answers_object_is_a_422_and_the_document_requires_one_answer() {
    let app = spawn_app().await;
    let schema = &app.contract.document()["components"]["schemas"]["SubmitRequest"];
    assert_eq!(schema["properties"]["answers"]["minProperties"], 1);
    let user = app.learner(Tier::Premium).await;
    let quiz = first_quiz(&app, &user).await;
    let path = format!("/api/v1/quizzes/{}/submit", quiz["id"].as_str().unwrap());
    let (status, body) = app.post_as(&user, &path, &json!({ "answers": {} })).await;
    assert_eq!((status, error_code(&body)), (422, "validation_failed"), "{body}");
}

/// Where a test value goes: a path or query parameter, or a body field.
enum Target {
    Parameter(&'static str),
    Field(&'static str),
}

#[tokio::test]
async fn the_document_refuses_exactly_the_inputs_the_server_refuses() {
    let app = spawn_app().await;
    let admin = app.user_with(Tier::Premium, Role::Admin).await;
    let quiz = first_quiz(&app, &admin).await;
    let quiz_id: Uuid = quiz["id"].as_str().unwrap().parse().unwrap();
    let id = Uuid::new_v4();
    let (simple, braced) = (id.simple().to_string().to_uppercase(), id.braced().to_string());
    let long = |n: usize| "a".repeat(n);
    use Target::{Field, Parameter};
    let cases: Vec<(&str, Target, Vec<Value>)> = vec![
        (
            "getChapter",
            Parameter("chapter_ref"),
            vec![
                json!(SLUG),
                json!(id),
                json!(simple),
                json!(braced),
                json!("-".repeat(36)),
                json!("Tool Use"),
                json!("a--b"),
                json!(long(101)),
            ],
        ),
        ("getQuiz", Parameter("quiz_id"), vec![json!(id), json!(simple), json!("quiz")]),
        (
            "getUserTier",
            Parameter("user"),
            vec![json!("me"), json!("ME"), json!(id), json!(simple)],
        ),
        (
            "searchCourse",
            Parameter("q"),
            vec![
                json!("agent"),
                json!("ab"),
                json!("a b"),
                json!(" a "),
                json!("  agent  "),
                json!(long(200)),
                json!(long(201)),
                json!("a\0b"),
                json!("a\tb"),
                json!("a\u{85}b"),
            ],
        ),
        ("searchCourse", Parameter("limit"), vec![json!(0), json!(1), json!(50), json!(51)]),
        ("searchCourse", Parameter("offset"), vec![json!(0), json!(1000), json!(1001)]),
        ("getQuizResults", Parameter("limit"), vec![json!(0), json!(100), json!(101)]),
        (
            "checkAccess",
            Field("resource"),
            vec![
                json!("chapter-4"),
                json!("chapter-04"),
                json!("chapter-+4"),
                json!("chapter-1000000000"),
                json!(format!("chapter:{SLUG}")),
                json!(format!("chapter:{}", long(101))),
                json!(format!("quiz:{id}")),
                json!(format!("quiz:{simple}")),
                json!("lesson-1"),
            ],
        ),
        ("updateProgress", Field("chapter_id"), vec![json!(SLUG), json!("Not A Slug")]),
        (
            "register",
            Field("timezone"),
            vec![
                json!("Europe/Lisbon"),
                json!("Mars/Olympus"),
                json!(null),
                json!("europe/lisbon"),
            ],
        ),
        (
            "register",
            Field("password"),
            vec![
                json!("correct horse 1"),
                json!("abcdefgh"),
                json!("abc\0defg1"),
                json!("abcdefg"),
            ],
        ),
        ("register", Field("name"), vec![json!(long(100)), json!(long(101)), json!("Ada\nL")]),
        (
            "updateMe",
            Field("background"),
            vec![json!("two\r\nlines\tand a tab"), json!("a\0b"), json!(long(501)), json!(null)],
        ),
        (
            "submitQuiz",
            Field("answers"),
            vec![valid_submission(&quiz)["answers"].clone(), json!({})],
        ),
        (
            "submitQuiz",
            Field("submission_id"),
            vec![json!("retry-1"), json!(""), json!(long(101)), json!("a\u{1b}b")],
        ),
        ("upgradeTier", Field("reason"), vec![json!("annual\nplan"), json!(long(501))]),
    ];
    let operations = app.contract.operations();
    for (operation_id, target, values) in cases {
        let (method, path, operation) = operations
            .iter()
            .find(|(_, _, op)| op["operationId"] == operation_id)
            .unwrap_or_else(|| panic!("no operation {operation_id}"));
        for value in values {
            let mut url = Url::parse(&app.url(&concrete(path, quiz_id))).unwrap();
            let example = &operation["requestBody"]["content"]["application/json"]["example"];
            let mut body = match operation_id {
                "submitQuiz" => Some(valid_submission(&quiz)),
                "upgradeTier" => Some(json!({ "user_id": admin.id, "new_tier": "premium" })),
                _ => example.is_object().then(|| example.clone()),
            };
            let admitted = match target {
                Parameter(name) => {
                    let parameters = operation["parameters"].as_array().unwrap();
                    let parameter = parameters.iter().find(|p| p["name"] == name).unwrap();
                    let text = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                    if parameter["in"] == "path" {
                        let template = format!("{{{name}}}");
                        let at = path.split('/').position(|segment| segment == template).unwrap();
                        let mut segments: Vec<String> =
                            url.path_segments().unwrap().map(str::to_owned).collect();
                        segments[at - 1] = text;
                        url.path_segments_mut().unwrap().clear().extend(&segments);
                    } else {
                        if name != "q" && operation_id == "searchCourse" {
                            url.query_pairs_mut().append_pair("q", "agent");
                        }
                        url.query_pairs_mut().append_pair(name, &text);
                    }
                    app.contract.admits(&parameter["schema"], &value)
                }
                Field(name) => {
                    let body = body.as_mut().unwrap();
                    body[name] = value.clone();
                    app.contract.admits(app.contract.request_schema(operation).unwrap(), body)
                }
            };
            let (status, answer) = send(&app, &admin, method, url, body.as_ref()).await;
            let refused = status == 400 || status == 422;
            assert!(status < 500, "{operation_id} {value}: {status} {answer}");
            assert_eq!(
                refused,
                !admitted,
                "{operation_id} with {value}: the document {} it, the server answered {status} {answer}",
                if admitted { "admits" } else { "refuses" }
            );
        }
    }
}

#[tokio::test]
async fn the_documented_text_patterns_refuse_exactly_the_characters_check_text_refuses() {
    let app = spawn_app().await;
    let samples = (0u32..=0x2100).chain([0xfeff, 0x1f680]).filter_map(char::from_u32);
    for kind in [TextKind::Line, TextKind::Multiline] {
        let schema = json!({ "type": "string", "pattern": kind.pattern() });
        for c in samples.clone() {
            let text = format!("a{c}b");
            assert_eq!(
                app.contract.admits(&schema, &json!(text)),
                domain::check_text(&text, kind).is_ok(),
                "{kind:?} U+{:04X}",
                c as u32
            );
        }
    }
}

/// Every text field of every request body, with a NUL, then another control character:
/// 422 `validation_failed` naming the field, and nothing stored.
async fn control_characters_are_refused_in_every_text_field(app: &TestApp) {
    let admin = app.user_with(Tier::Premium, Role::Admin).await;
    let quiz: Uuid = first_quiz(app, &admin).await["id"].as_str().unwrap().parse().unwrap();
    let mut checked = BTreeSet::new();
    for (method, path, operation) in app.contract.operations() {
        let Some(schema) = app.contract.request_schema(operation) else {
            continue;
        };
        let id = operation["operationId"].as_str().unwrap().to_owned();
        let example = &operation["requestBody"]["content"]["application/json"]["example"];
        for (field, property) in schema["properties"].as_object().unwrap() {
            // Typed fields (UUIDs, tiers, objects) are refused as malformed JSON, not as text;
            // a timezone is text checked against the names the document lists.
            let text = property["type"] == "string"
                && property["format"] != "uuid"
                && property.get("enum").is_none()
                || property["allOf"][0]["$ref"] == "#/components/schemas/TimeZone";
            if !text {
                continue;
            }
            for bad in ["ada\0@example.com", "ada\u{1b}@example.com"] {
                let mut body = example.clone();
                body[field] = json!(bad);
                let url = Url::parse(&app.url(&concrete(&path, quiz))).unwrap();
                let (status, answer) = send(app, &admin, &method, url, Some(&body)).await;
                assert_eq!(status, 422, "{id}.{field} = {bad:?}: {answer}");
                assert_eq!(error_code(&answer), "validation_failed");
                assert!(answer["details"]["fields"][field].is_array(), "{id}.{field}: {answer}");
            }
            checked.insert(format!("{id}.{field}"));
        }
    }
    for expected in [
        "register.email",
        "register.password",
        "register.name",
        "register.timezone",
        "register.background",
        "login.email",
        "login.password",
        "updateMe.name",
        "updateMe.background",
        "submitQuiz.submission_id",
        "answerReview.review_id",
        "checkAccess.resource",
        "updateProgress.chapter_id",
        "upgradeTier.reason",
    ] {
        assert!(checked.contains(expected), "{expected} was not checked: {checked:?}");
    }
    // Answers: a question id or an answer with a control character is no answer to grade.
    let (_, quiz_view) = app.get_as(&admin, &format!("/api/v1/quizzes/{quiz}")).await;
    let question = quiz_view["questions"][0]["id"].as_str().unwrap();
    let submit = format!("/api/v1/quizzes/{quiz}/submit");
    for answers in [json!({ format!("{question}\0"): "A" }), json!({ question: "A\0" })] {
        let (status, answer) = app.post_as(&admin, &submit, &json!({ "answers": answers })).await;
        assert_eq!((status, error_code(&answer)), (422, "validation_failed"), "{answer}");
    }
    let (status, answer) = app.get_as(&admin, "/api/v1/search?q=agent%00loop").await;
    assert_eq!((status, &answer["details"]["fields"]["q"].is_array()), (422, &true), "{answer}");
    let (status, profile) = app.get_as(&admin, "/api/v1/me").await;
    assert_eq!((status, &profile["name"]), (200, &json!("")), "nothing was stored");
}

#[tokio::test]
async fn control_characters_in_any_text_field_are_a_422_naming_it_on_sqlite() {
    control_characters_are_refused_in_every_text_field(&spawn_app().await).await;
}

#[tokio::test]
async fn control_characters_in_any_text_field_are_a_422_naming_it_on_postgres() {
    let test = "control_characters_in_any_text_field_are_a_422_naming_it_on_postgres";
    if let Some(app) = spawn_app_on_postgres(test).await {
        control_characters_are_refused_in_every_text_field(&app).await;
    }
}
