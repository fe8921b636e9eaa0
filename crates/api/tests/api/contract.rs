//! The served OpenAPI document as a contract: every JSON answer a test receives is validated
//! against the schema the document declares for that operation and status, so the document
//! and the code cannot drift apart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};

/// `/openapi.json`, with a compiled validator per (operation, status) once used.
pub struct Contract {
    document: Value,
    validators: Mutex<HashMap<(String, u16), Arc<jsonschema::Validator>>>,
}

impl Contract {
    pub fn new(document: Value) -> Self {
        Self { document, validators: Mutex::default() }
    }

    /// The operation a request reached, if it is a documented one.
    fn operation(&self, method: &str, path: &str) -> Option<&Value> {
        let paths = self.document["paths"].as_object()?;
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        paths.iter().find_map(|(template, item)| {
            let pattern: Vec<&str> = template.split('/').collect();
            let matches = pattern.len() == segments.len()
                && pattern
                    .iter()
                    .zip(&segments)
                    .all(|(want, got)| (want.starts_with('{') && !got.is_empty()) || want == got);
            matches.then(|| item.get(method)).flatten()
        })
    }

    /// Panics unless `body` is what the document promises for this request and status.
    pub fn check(&self, method: &str, path: &str, status: u16, body: &Value) {
        let Some(operation) = self.operation(method, path) else {
            return; // An unknown route or method: its 404/405 is not an operation's answer.
        };
        let id = operation["operationId"].as_str().unwrap().to_owned();
        let response = operation["responses"].get(status.to_string()).unwrap_or_else(|| {
            panic!("{id} answered {status}, which /openapi.json does not declare: {body}")
        });
        let Some(schema) = response.pointer("/content/application~1json/schema") else {
            assert!(body.is_null(), "{id} {status} declares no body but sent {body}");
            return;
        };
        let validator = self.validator(&id, status, schema);
        let problems: Vec<String> = validator
            .iter_errors(body)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(
            problems.is_empty(),
            "{id} {status} does not match its documented schema:\n{}\nbody: {body}",
            problems.join("\n")
        );
    }

    fn validator(&self, id: &str, status: u16, schema: &Value) -> Arc<jsonschema::Validator> {
        let mut validators = self.validators.lock().unwrap();
        let key = (id.to_owned(), status);
        if let Some(validator) = validators.get(&key) {
            return Arc::clone(validator);
        }
        let validator = Arc::new(self.compile(schema, &format!("{id} {status}")));
        validators.insert(key, Arc::clone(&validator));
        validator
    }

    /// A validator for one of the document's schemas.
    fn compile(&self, schema: &Value, what: &str) -> jsonschema::Validator {
        // `$ref`s point into `#/components/schemas`, so the components travel along.
        let components: Map<String, Value> = self.document["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, schema)| (name.clone(), json_schema(schema)))
            .collect();
        let root =
            json!({ "allOf": [json_schema(schema)], "components": { "schemas": components } });
        jsonschema::validator_for(&root)
            .unwrap_or_else(|error| panic!("{what}: unusable schema: {error}"))
    }

    pub fn document(&self) -> &Value {
        &self.document
    }

    /// Whether the document's schema (of a body, a parameter, a component) admits `value`.
    pub fn admits(&self, schema: &Value, value: &Value) -> bool {
        self.compile(schema, "a request schema").is_valid(value)
    }

    /// `(method, path template, operation)` of every documented operation.
    pub fn operations(&self) -> Vec<(String, String, &Value)> {
        let paths = self.document["paths"].as_object().into_iter().flatten();
        paths
            .flat_map(|(path, item)| {
                let methods = item.as_object().into_iter().flatten();
                methods.map(move |(method, operation)| (method.clone(), path.clone(), operation))
            })
            .collect()
    }

    /// The request body schema of an operation (resolved), if it takes one.
    pub fn request_schema(&self, operation: &Value) -> Option<&Value> {
        let reference =
            operation.pointer("/requestBody/content/application~1json/schema/$ref")?.as_str()?;
        let name = reference.trim_start_matches("#/components/schemas/");
        self.document["components"]["schemas"].get(name)
    }
}

/// An OpenAPI 3.0 schema as JSON Schema: `nullable` becomes "or null", and objects with
/// declared properties admit no undeclared ones (an undocumented field is drift too).
fn json_schema(schema: &Value) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    let mut converted = Map::new();
    for (key, value) in object {
        let value = match key.as_str() {
            "properties" => Value::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, property)| (name.clone(), json_schema(property)))
                    .collect(),
            ),
            "items" | "additionalProperties" | "not" => json_schema(value),
            "allOf" | "oneOf" | "anyOf" => {
                Value::Array(value.as_array().into_iter().flatten().map(json_schema).collect())
            }
            "nullable" | "discriminator" | "example" => continue,
            _ => value.clone(),
        };
        converted.insert(key.clone(), value);
    }
    if converted.contains_key("properties") && !converted.contains_key("additionalProperties") {
        converted.insert("additionalProperties".into(), json!(false));
    }
    if object.get("nullable") == Some(&json!(true)) {
        return json!({ "anyOf": [Value::Object(converted), { "type": "null" }] });
    }
    Value::Object(converted)
}

#[tokio::test]
#[should_panic(expected = "does not match its documented schema")]
async fn a_body_that_breaks_the_documented_schema_is_caught() {
    let app = crate::helpers::spawn_app().await;
    let outline = json!({ "items": [{ "id": "not-a-chapter" }], "total": "ten" });
    app.contract.check("get", "/api/v1/chapters", 200, &outline);
}

#[tokio::test]
#[should_panic(expected = "does not declare")]
async fn a_status_the_document_does_not_declare_is_caught() {
    let app = crate::helpers::spawn_app().await;
    app.contract.check("get", "/api/v1/chapters", 409, &json!({}));
}
