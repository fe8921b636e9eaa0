//! Post-processing of the document paperclip generates (Swagger 2 converted to OpenAPI 3.0):
//! the one place that fills its gaps, so that GPT Actions and SDK generators read the truth.
//!
//! paperclip documents each handler's path, parameters, body and success schema. It cannot
//! say: that tokens are HTTP bearer tokens, where the API lives (`servers`), which `Option`
//! fields serialise as `null`, that an answer is a string *or* an array and a question's
//! shape depends on its kind, which limits the validators enforce, which errors an operation
//! returns, or how ChatGPT should treat it. Each route module declares those facts of its
//! operations and request bodies beside its handlers ([`Facts`]); this module writes them
//! in, with the generic fixes (bearer scheme, `servers`, `nullable`, `oneOf`). Tests fail
//! when a declaration names something the document lacks, so they cannot silently drift.

use serde_json::{Map, Value, json};

use crate::state::ApiSettings;

/// What paperclip cannot say about one operation, declared by its route module beside the
/// handler.
#[derive(Debug)]
pub(crate) struct Operation {
    pub id: &'static str,
    /// Its calls change a learner's data: ChatGPT asks before calling it.
    pub consequential: bool,
    /// Error statuses it can return besides the ones every operation can (429 rate limited,
    /// 500, 503 dependency down or timed out) and the ones its shape implies (401 with a
    /// bearer token, 400/413 with a JSON body, 422 with parameters or a validated body).
    pub errors: &'static [u16],
    /// Descriptions and limits of its parameters, by name.
    pub parameters: Vec<(&'static str, Value)>,
    /// A realistic request body, so that the agent sees what to send.
    pub request_example: Option<Value>,
    /// Realistic answers (status, body), so that the agent knows what comes back; each one
    /// matches its schema (a test validates them).
    pub response_examples: Vec<(&'static str, Value)>,
    /// Responses beyond the success and the errors (a 304, a 201 beside the 200).
    pub more_responses: Option<fn(&mut Map<String, Value>)>,
}

impl Operation {
    pub fn new(id: &'static str) -> Self {
        Self {
            id,
            consequential: false,
            errors: &[],
            parameters: Vec::new(),
            request_example: None,
            response_examples: Vec::new(),
            more_responses: None,
        }
    }
}

/// Limits of a request body's fields, matching the validators, declared beside its DTO.
/// Strings not named here get the one-line text rule, `free_text` fields the multi-line one.
#[derive(Debug)]
pub(crate) struct RequestBody {
    pub schema: &'static str,
    pub fields: Vec<(&'static str, Value)>,
    pub free_text: &'static [&'static str],
}

/// Every operation's and request body's facts.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    pub operations: Vec<Operation>,
    pub bodies: Vec<RequestBody>,
}

impl Facts {
    pub fn extend(&mut self, more: Facts) {
        self.operations.extend(more.operations);
        self.bodies.extend(more.bodies);
    }

    fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|operation| operation.id == id)
    }

    fn is_free_text(&self, schema: &str, field: &str) -> bool {
        self.bodies.iter().any(|body| body.schema == schema && body.free_text.contains(&field))
    }
}

/// The rules every request follows, stated once in the document's description.
const REQUEST_RULES: &str = "Request bodies: a field the schema does not list is refused \
    (400 `bad_request`); an optional field may be omitted or `null`, which mean the same (for \
    updateMe: leave it unchanged); no string accepts control characters (U+0000–U+001F, \
    U+007F–U+009F) except tab and line breaks in free text (`background`, `reason`), which is \
    422 `validation_failed` naming the field.";

/// What every request body shares (`REQUEST_RULES`): no undeclared fields, optional fields
/// nullable, strings free of control characters.
fn finish_request_schema(facts: &Facts, name: &str, schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let required = object_required(object);
    object.entry("additionalProperties").or_insert(json!(false));
    let Some(Value::Object(properties)) = object.get_mut("properties") else {
        return;
    };
    for (field, property) in properties.iter_mut() {
        if !required.contains(field) {
            mark_nullable(property);
        }
        let Some(property) = property.as_object_mut() else {
            continue;
        };
        let plain_string = property.get("type") == Some(&json!("string"))
            && ["pattern", "format", "enum"].iter().all(|key| !property.contains_key(*key));
        if plain_string {
            let kind = if facts.is_free_text(name, field) {
                domain::TextKind::Multiline
            } else {
                domain::TextKind::Line
            };
            property.insert("pattern".into(), json!(kind.pattern()));
        }
    }
}

/// Fills what paperclip leaves out; see the module documentation.
pub(crate) fn finish_document(mut document: Value, settings: &ApiSettings, facts: &Facts) -> Value {
    let Some(root) = document.as_object_mut() else {
        return document;
    };
    root.insert(
        "info".into(),
        json!({
            "title": "Course Companion API",
            "version": settings.version,
            "description": format!("Deterministic backend of an AI tutor: course content \
                verbatim, navigation, search, rule-graded quizzes, progress and streaks. Every \
                error is JSON `{{error, message, details?}}`; `error` is a stable snake_case \
                code. {REQUEST_RULES}"),
            "license": { "name": "GPL-3.0-or-later" },
        }),
    );
    root.insert("servers".into(), json!([{ "url": settings.public_url }]));
    let components = root.entry("components").or_insert_with(|| json!({}));
    let base = settings.public_url.trim_end_matches('/');
    set(
        components,
        "securitySchemes",
        json!({
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "An access token from login or register (`access_token`).",
            },
            "oauth2": {
                "type": "oauth2",
                "description": "Each learner signs in from ChatGPT (authorization code, PKCE \
                    S256 supported); the access token is then sent as a bearer token.",
                "flows": { "authorizationCode": {
                    "authorizationUrl": format!("{base}/oauth/authorize"),
                    "tokenUrl": format!("{base}/oauth/token"),
                    "refreshUrl": format!("{base}/oauth/token"),
                    "scopes": { "learner": "Read the course and record your own progress." },
                } },
            },
        }),
    );
    let schemas = components
        .as_object_mut()
        .map(|components| components.entry("schemas").or_insert_with(|| json!({})));
    if let Some(Value::Object(schemas)) = schemas {
        describe_answers_and_questions(schemas);
        schemas.insert("Error".into(), error_schema());
        schemas.insert(
            "TimeZone".into(),
            json!({ "type": "string", "description": "An IANA timezone name.",
                "enum": domain::account::timezone_names().collect::<Vec<_>>() }),
        );
    }
    let request_schemas = request_schema_names(&document);
    if let Some(Value::Object(schemas)) = document.pointer_mut("/components/schemas") {
        for (name, schema) in schemas.iter_mut() {
            if !request_schemas.contains(name) && name != "Error" {
                require_and_null_optionals(schema);
            }
        }
        for body in &facts.bodies {
            for (property, rules) in &body.fields {
                if let Some(target) = schemas
                    .get_mut(body.schema)
                    .and_then(|s| s.pointer_mut(&format!("/properties/{property}")))
                {
                    if rules.get("allOf").is_some() {
                        // A `$ref` takes no siblings in OpenAPI 3.0: the property becomes the
                        // rules.
                        *target = rules.clone();
                    } else {
                        merge(target, rules);
                    }
                }
            }
        }
        for name in &request_schemas {
            if let Some(schema) = schemas.get_mut(name) {
                finish_request_schema(facts, name, schema);
            }
        }
    }
    if let Some(Value::Object(paths)) = document.get_mut("paths") {
        for operation in
            paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut())
        {
            finish_operation(facts, operation);
        }
    }
    document
}

/// The shared error body.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "Every error: a stable code, a message for a human, optional details.",
        "required": ["error", "message"],
        "properties": {
            "error": { "type": "string", "pattern": "^[a-z_]+$",
                "description": "Stable snake_case code, e.g. `upgrade_required`, `rate_limited`." },
            "message": { "type": "string", "description": "For a human; may change." },
            "details": { "type": "object", "additionalProperties": true,
                "description": "422: `fields` (field → problems). 403 upgrade_required: \
                    `required_tier`, `upgrade_url`. 429: `retry_after_secs`. 500: `request_id`." },
        },
        "example": { "error": "upgrade_required", "message": "This needs the premium tier.",
            "details": { "required_tier": "premium", "upgrade_url": "https://example.com/upgrade" } },
    })
}

/// One option key (`"B"`), `"true"`/`"false"`, or the keys of a multiple-choice answer.
fn answer_value(description: &str, nullable: bool) -> Value {
    let mut schema = json!({
        "description": description,
        "oneOf": [
            { "type": "string", "description": "An option key, or `true`/`false`.", "example": "B" },
            { "type": "array", "items": { "type": "string" }, "description": "Option keys of a \
                multiple-choice answer.", "example": ["A", "C"] },
        ],
    });
    if nullable {
        set(&mut schema, "nullable", json!(true));
    }
    schema
}

/// Answers are a string or an array of strings, and a question's shape depends on its kind:
/// paperclip documents both as bare objects.
fn describe_answers_and_questions(schemas: &mut Map<String, Value>) {
    if let Some(answers) =
        schemas.get_mut("SubmitRequest").and_then(|s| s.pointer_mut("/properties/answers"))
    {
        set(answers, "additionalProperties", answer_value("The answer to one question.", false));
        set(answers, "example", json!({ "0b6f1c52-8d3e-4f7a-9c61-2d4e5f6a7b80": "B" }));
    }
    if let Some(result) = schemas
        .get_mut("SubmissionResult")
        .and_then(|s| s.pointer_mut("/properties/results/items/properties"))
    {
        set(result, "selected", answer_value("The answer as graded; null when unanswered.", true));
        set(
            result,
            "correct_answer",
            answer_value(
                "The correct answer; null when the quiz reveals answers only after a pass and this \
                attempt failed.",
                true,
            ),
        );
    }
    if let Some(answer) =
        schemas.get_mut("ReviewRequest").and_then(|s| s.pointer_mut("/properties"))
    {
        set(answer, "answer", answer_value("The answer to the card's question.", false));
    }
    if let Some(result) = schemas.get_mut("ReviewResult").and_then(|s| s.pointer_mut("/properties"))
    {
        set(result, "selected", answer_value("The answer as graded.", false));
        set(
            result,
            "correct_answer",
            answer_value(
                "The correct answer; null when the quiz reveals answers only after a pass and the \
                learner has not passed it yet.",
                true,
            ),
        );
    }
    // A card's question is the quiz's question, one of the kinds below.
    if let Some(card_question) = schemas
        .get_mut("ReviewQueue")
        .and_then(|s| s.pointer_mut("/properties/items/items/properties/question"))
    {
        *card_question = json!({ "$ref": "#/components/schemas/QuizQuestion" });
    }
    let question = schemas
        .get_mut("QuizView")
        .and_then(|s| s.pointer_mut("/properties/questions/items"))
        .map(|items| {
            std::mem::replace(items, json!({ "$ref": "#/components/schemas/QuizQuestion" }))
        });
    let Some(question) = question else {
        return;
    };
    let kinds = [
        (
            "single_choice",
            "SingleChoiceQuestion",
            json!({ "minItems": 2, "maxItems": 6 }),
            "Answer with one option key.",
        ),
        (
            "multiple_choice",
            "MultipleChoiceQuestion",
            json!({ "minItems": 2, "maxItems": 6 }),
            "Answer with an array of option keys; graded as an exact set.",
        ),
        (
            "true_false",
            "TrueFalseQuestion",
            json!({ "maxItems": 0 }),
            "Answer `true` or `false`; no options.",
        ),
    ];
    let mut mapping = Map::new();
    let mut variants = Vec::new();
    for (kind, name, options, description) in kinds {
        let mut variant = question.clone();
        set(
            &mut variant,
            "description",
            json!(format!("A {} question. {description}", kind.replace('_', " "))),
        );
        if let Some(properties) = variant.get_mut("properties") {
            set(properties, "kind", json!({ "type": "string", "enum": [kind] }));
        }
        if let Some(option_list) = variant.pointer_mut("/properties/options") {
            merge(option_list, &options);
        }
        let reference = format!("#/components/schemas/{name}");
        mapping.insert(kind.into(), json!(reference));
        variants.push(json!({ "$ref": reference }));
        schemas.insert(name.into(), variant);
    }
    schemas.insert(
        "QuizQuestion".into(),
        json!({
            "description": "A question as a learner sees it: never its answer or explanation.",
            "oneOf": variants,
            "discriminator": { "propertyName": "kind", "mapping": mapping },
        }),
    );
}

/// Names of the component schemas that are request bodies.
fn request_schema_names(document: &Value) -> Vec<String> {
    let mut names = Vec::new();
    let paths =
        document.get("paths").and_then(Value::as_object).into_iter().flat_map(|p| p.values());
    for operation in paths.filter_map(Value::as_object).flat_map(|item| item.values()) {
        if let Some(reference) = operation
            .pointer("/requestBody/content/application~1json/schema/$ref")
            .and_then(Value::as_str)
        {
            names.push(reference.trim_start_matches("#/components/schemas/").to_owned());
        }
    }
    names
}

/// In a response, a field paperclip left optional is an `Option` serialised as `null`: it is
/// always present, so it is required and nullable.
fn require_and_null_optionals(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let already = object_required(object);
    let mut every_field = None;
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for (name, property) in properties.iter_mut() {
            if !already.contains(name) {
                mark_nullable(property);
            }
            require_and_null_optionals(property);
        }
        every_field = Some(properties.keys().map(|name| json!(name)).collect());
    }
    if let Some(names) = every_field {
        object.insert("required".into(), Value::Array(names));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = object.get_mut(key) {
            require_and_null_optionals(inner);
        }
    }
}

fn object_required(object: &Map<String, Value>) -> Vec<String> {
    object
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn mark_nullable(property: &mut Value) {
    if let Some(reference) = property.get("$ref").cloned() {
        // OpenAPI 3.0 ignores siblings of `$ref`.
        *property = json!({ "allOf": [{ "$ref": reference }], "nullable": true });
    } else if let Some(object) = property.as_object_mut() {
        object.insert("nullable".into(), json!(true));
        // OpenAPI 3.0.3: a nullable enum admits null only if the enum lists it (generators
        // such as openapi-python-client refuse a null otherwise).
        if let Some(Value::Array(values)) = object.get_mut("enum")
            && !values.contains(&Value::Null)
        {
            values.push(Value::Null);
        }
    }
}

/// An idempotent creation's responses: a 201 (`created`) beside the documented 200, which
/// becomes the replay of a known idempotency key (`replayed`).
pub(crate) fn created_beside_replayed(
    responses: &mut Map<String, Value>,
    created: &str,
    replayed: &str,
) {
    if let Some(Value::Object(mut first)) = responses.get("200").cloned() {
        first.insert("description".into(), json!(created));
        responses.insert("201".into(), Value::Object(first));
    }
    if let Some(replay) = responses.get_mut("200").and_then(Value::as_object_mut) {
        replay.insert("description".into(), json!(replayed));
    }
}

/// Sets `key` on an object schema (and leaves anything else alone).
fn set(target: &mut Value, key: &str, value: Value) {
    if let Some(object) = target.as_object_mut() {
        object.insert(key.to_owned(), value);
    }
}

fn merge(target: &mut Value, additions: &Value) {
    if let (Some(target), Some(additions)) = (target.as_object_mut(), additions.as_object()) {
        for (key, value) in additions {
            match (target.get_mut(key), value) {
                (Some(existing @ Value::Object(_)), Value::Object(_)) => merge(existing, value),
                _ => {
                    target.insert(key.clone(), value.clone());
                }
            }
        }
    }
}

fn error_response(status: u16) -> Value {
    let description = match status {
        400 => "Malformed JSON body, or a field the schema does not list (`bad_request`).",
        401 => {
            "No bearer token, or one that is invalid or expired (`unauthorized`); at login, \
            a wrong email or password (`invalid_credentials`)."
        }
        403 => {
            "Not allowed: another user's data or an admin route (`forbidden`), or a chapter \
            the learner's tier does not open (`upgrade_required`, with `details.upgrade_url`)."
        }
        404 => "No such resource (`not_found`).",
        409 => "Conflict with stored data (`email_taken`, `attempt_limit_reached`).",
        413 => "JSON body over 64 KiB (`payload_too_large`).",
        422 => "Invalid input (`validation_failed`); `details.fields` names each field.",
        429 => "Too many requests (`rate_limited`); retry after `Retry-After` seconds.",
        503 => {
            "A dependency is down or the request took too long (`service_unavailable`); \
            retry shortly."
        }
        _ => "Internal error (`internal_error`); quote `details.request_id` when reporting it.",
    };
    let mut response = json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
    });
    if status == 429 || status == 503 {
        set(
            &mut response,
            "headers",
            json!({ "Retry-After": {
            "description": "Seconds to wait before retrying.",
            "schema": { "type": "integer", "minimum": 1 } } }),
        );
    }
    response
}

fn finish_operation(facts: &Facts, operation: &mut Value) {
    let Some(id) = operation.get("operationId").and_then(Value::as_str).map(str::to_owned) else {
        return;
    };
    let declared = facts.operation(&id);
    let secured = operation.get("security").is_some();
    if secured {
        // Either scheme opens every learner route: a password login's token or an OAuth one.
        set(operation, "security", json!([{ "bearerAuth": [] }, { "oauth2": ["learner"] }]));
    }
    let has_body = operation.get("requestBody").is_some();
    let has_parameters =
        operation.get("parameters").and_then(Value::as_array).is_some_and(|p| !p.is_empty());
    let mut statuses: Vec<u16> = vec![500, 503];
    if id != "getHealth" {
        statuses.push(429);
    }
    if secured {
        statuses.push(401);
    }
    if has_body {
        statuses.extend([400, 413, 422]);
    }
    if has_parameters {
        statuses.push(422);
    }
    if let Some(declared) = declared {
        statuses.extend(declared.errors.iter());
    }
    statuses.sort_unstable();
    statuses.dedup();

    let responses =
        operation.as_object_mut().map(|o| o.entry("responses").or_insert_with(|| json!({})));
    if let Some(Value::Object(responses)) = responses {
        if let Some(more) = declared.and_then(|declared| declared.more_responses) {
            more(responses);
        }
        for status in statuses {
            responses.entry(status.to_string()).or_insert_with(|| error_response(status));
        }
    }

    let consequential = declared.is_some_and(|declared| declared.consequential);
    set(operation, "x-openai-isConsequential", json!(consequential));
    let Some(declared) = declared else { return };
    if let Some(parameters) = operation.get_mut("parameters").and_then(Value::as_array_mut) {
        for parameter in parameters.iter_mut() {
            let name = parameter.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
            for (parameter_name, rules) in &declared.parameters {
                if *parameter_name == name {
                    merge(parameter, rules);
                }
            }
        }
    }
    if let Some(example) = &declared.request_example
        && let Some(media) = operation.pointer_mut("/requestBody/content/application~1json")
    {
        set(media, "example", example.clone());
    }
    for (status, example) in &declared.response_examples {
        let pointer = format!("/responses/{status}/content/application~1json");
        if let Some(media) = operation.pointer_mut(&pointer) {
            set(media, "example", example.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ApiSettings {
        ApiSettings {
            public_url: "https://api.example.com".into(),
            version: "1.2.3".into(),
            metrics_token: None,
        }
    }

    #[test]
    fn servers_come_from_the_public_url() {
        let document =
            finish_document(json!({ "openapi": "3.0.0" }), &settings(), &crate::routes::facts());
        assert_eq!(document["servers"][0]["url"], "https://api.example.com");
        assert_eq!(document["info"]["version"], "1.2.3");
        assert_eq!(document["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
    }

    #[test]
    fn optional_response_fields_become_required_and_nullable() {
        let document = json!({
            "openapi": "3.0.0",
            "paths": { "/x": { "post": { "operationId": "x",
                "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/In" } } } } } } },
            "components": { "schemas": {
                "In": { "type": "object", "properties": { "a": { "type": "string" } } },
                "Out": { "type": "object", "required": ["id"], "properties": {
                    "id": { "type": "string" },
                    "tier": { "type": "string", "enum": ["free", "pro"] },
                    "nested": { "type": "object", "properties": { "b": { "type": "integer" } } } } },
            } },
        });
        let document = finish_document(document, &settings(), &crate::routes::facts());
        let out = &document["components"]["schemas"]["Out"];
        // The order follows serde_json's maps, sorted or as inserted depending on its features.
        let mut required: Vec<&str> =
            out["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        required.sort_unstable();
        assert_eq!(required, ["id", "nested", "tier"]);
        assert_eq!(out["properties"]["tier"]["enum"], json!(["free", "pro", null]));
        assert_eq!(out["properties"]["nested"]["nullable"], true);
        assert_eq!(out["properties"]["nested"]["properties"]["b"]["nullable"], true);
        assert!(out["properties"]["id"].get("nullable").is_none());
        let request = &document["components"]["schemas"]["In"];
        assert!(request.get("required").is_none(), "a request's optional fields stay optional");
    }

    #[test]
    fn request_bodies_refuse_extras_take_null_for_optionals_and_refuse_control_characters() {
        let body = |schema: &str| {
            json!({ "requestBody": { "content": { "application/json": {
                "schema": { "$ref": format!("#/components/schemas/{schema}") } } } } })
        };
        let mut register = body("RegisterRequest");
        register["operationId"] = json!("register");
        let document = json!({
            "openapi": "3.0.0",
            "paths": { "/r": { "post": register } },
            "components": { "schemas": { "RegisterRequest": { "type": "object",
                "required": ["email"],
                "properties": {
                    "email": { "type": "string" },
                    "name": { "type": "string" },
                    "background": { "type": "string" },
                } } } },
        });
        let document = finish_document(document, &settings(), &crate::routes::facts());
        let request = &document["components"]["schemas"]["RegisterRequest"];
        assert_eq!(request["additionalProperties"], false);
        assert!(request["properties"]["email"].get("nullable").is_none(), "required");
        assert_eq!(request["properties"]["name"]["nullable"], true);
        assert_eq!(request["properties"]["name"]["pattern"], domain::TextKind::Line.pattern());
        assert_eq!(
            request["properties"]["background"]["pattern"],
            domain::TextKind::Multiline.pattern()
        );
        assert_eq!(request["properties"]["email"]["format"], "email", "from the field rules");
        let description = document["info"]["description"].as_str().unwrap_or_default();
        assert!(description.contains(REQUEST_RULES));
    }
}
