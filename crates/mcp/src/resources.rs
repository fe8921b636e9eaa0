//! Resources: each chapter the caller can open as `course://chapters/{slug}` (its markdown
//! verbatim), and the quiz widget that hosts render `get_quiz` results with.

use app::{App, AppError, Caller, RenderedPage};
use rmcp::model::{JsonObject, MetaObject, Resource, ResourceContents};
use serde_json::{Value, json};

use crate::documents::{ChapterDocument, chapter_page, outline_document};

/// The quiz widget for ChatGPT (the Apps SDK's `openai/outputTemplate`) …
pub(crate) const QUIZ_WIDGET_URI: &str = "ui://widget/quiz.html";
/// … and for MCP Apps hosts (`_meta.ui.resourceUri`): the same page under the MIME type each
/// kind of host looks for.
pub(crate) const QUIZ_APP_URI: &str = "ui://widget/quiz-app.html";
const WIDGET_MIME: &str = "text/html+skybridge";
const APP_MIME: &str = "text/html;profile=mcp-app";
const WIDGET_HTML: &str = include_str!("../assets/quiz-widget.html");
const CHAPTER_PREFIX: &str = "course://chapters/";

/// The chapters the caller can open, then the widget.
pub(crate) async fn list(app: &App, caller: &Caller) -> Result<Vec<Resource>, AppError> {
    let outline = outline_document(app, caller).await?;
    let chapters = outline.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut resources: Vec<Resource> = chapters
        .iter()
        .filter(|chapter| chapter.get("locked") == Some(&Value::Bool(false)))
        .filter_map(|chapter| {
            let slug = chapter.get("slug")?.as_str()?;
            let title = chapter.get("title").and_then(Value::as_str).unwrap_or(slug);
            let order = chapter.get("order").and_then(Value::as_u64).unwrap_or_default();
            Some(
                Resource::new(format!("{CHAPTER_PREFIX}{slug}"), slug)
                    .with_title(title)
                    .with_description(format!("Chapter {order}: {title}"))
                    .with_mime_type("text/markdown"),
            )
        })
        .collect();
    for (uri, name, mime) in
        [(QUIZ_WIDGET_URI, "quiz-widget", WIDGET_MIME), (QUIZ_APP_URI, "quiz-app", APP_MIME)]
    {
        resources.push(
            Resource::new(uri, name)
                .with_title("Quiz widget")
                .with_description("Renders get_quiz as a form and submits it with submit_quiz.")
                .with_mime_type(mime),
        );
    }
    Ok(resources)
}

/// What reading `uri` gives; `Ok(None)` for a URI we do not serve.
pub(crate) async fn read(
    app: &App,
    caller: &Caller,
    uri: &str,
) -> Result<Option<ResourceContents>, AppError> {
    let widget_mime = match uri {
        QUIZ_WIDGET_URI => Some(WIDGET_MIME),
        QUIZ_APP_URI => Some(APP_MIME),
        _ => None,
    };
    if let Some(mime) = widget_mime {
        let meta: JsonObject = serde_json::from_value(json!({
            "openai/widgetDescription": "The quiz's questions as a form; Submit grades them.",
            "openai/widgetPrefersBorder": true,
            "openai/widgetCSP": { "connect_domains": [], "resource_domains": [] },
            "ui": { "csp": { "connectDomains": [], "resourceDomains": [] }, "prefersBorder": true },
        }))
        .unwrap_or_default();
        return Ok(Some(
            ResourceContents::text(WIDGET_HTML, uri)
                .with_mime_type(mime)
                .with_meta(MetaObject(meta)),
        ));
    }
    let Some(slug) = uri.strip_prefix(CHAPTER_PREFIX) else {
        return Ok(None);
    };
    let page: RenderedPage = chapter_page(app, caller, "uri", slug).await?;
    let document: ChapterDocument =
        serde_json::from_slice(&page.json).map_err(AppError::internal)?;
    Ok(Some(ResourceContents::text(document.content, uri).with_mime_type("text/markdown")))
}
