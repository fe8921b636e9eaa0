//! Post-processing of the document paperclip generates (Swagger 2 converted to OpenAPI 3.0).

use serde_json::{Value, json};

use crate::ApiSettings;

/// Fills what paperclip leaves out: title, version and `servers`.
pub fn finish_document(mut document: Value, settings: &ApiSettings) -> Value {
    if let Some(root) = document.as_object_mut() {
        root.insert(
            "info".into(),
            json!({
                "title": "Course Companion API",
                "version": settings.version,
                "description": "Deterministic backend of an AI tutor: course content verbatim, \
                    navigation, search, rule-graded quizzes, progress and streaks.",
                "license": { "name": "GPL-3.0-or-later" },
            }),
        );
        root.insert("servers".into(), json!([{ "url": settings.public_url }]));
    }
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_come_from_the_public_url() {
        let settings = ApiSettings {
            public_url: "https://api.example.com".into(),
            version: "1.2.3".into(),
            access_policy: domain::AccessPolicy::default(),
            upgrade_url: String::new(),
        };
        let document = finish_document(json!({ "openapi": "3.0.0" }), &settings);
        assert_eq!(document["servers"][0]["url"], "https://api.example.com");
        assert_eq!(document["info"]["version"], "1.2.3");
    }
}
