//! The tools: each one's descriptor (title, description, input and output schemas, honest
//! annotations) and its call, which parses the arguments and asks one `app` service method,
//! the one its REST twin asks.

use std::collections::HashMap;
use std::sync::Arc;

use app::{App, AppError, Caller};
use rmcp::handler::server::common::{schema_for_input, schema_for_output};
use rmcp::model::{CallToolResult, JsonObject, MetaObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use views::{
    AccessCheckResponse, AnswerValue, ChapterDetail, ChapterList, CheckInResult, NextStep,
    Progress, QuizResults, QuizView, ReviewQueue, ReviewResult, SearchResults, StreakView,
    SubmissionResult,
};

use crate::documents::{chapter_page, outline_document};
use crate::errors::tool_error;
use crate::resources::{QUIZ_APP_URI, QUIZ_WIDGET_URI};

/// No arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArguments {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChapterArguments {
    /// The chapter's slug (e.g. `what-is-an-ai-agent`) or UUID, from get_course_outline.
    pub chapter: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArguments {
    /// What to look for, 2–200 characters: words, "quoted phrases", identifiers.
    pub query: String,
    /// Results to return, 1–50 (default 10).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuizArguments {
    /// The quiz's UUID: `quiz_id` of read_chapter.
    pub quiz_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitArguments {
    /// The quiz's UUID.
    pub quiz_id: String,
    /// Question id → answer: an option key (`"B"`), `"true"`/`"false"`, or a list of keys
    /// for multiple choice (`["A", "C"]`).
    pub answers: HashMap<String, AnswerValue>,
    /// Optional idempotency key: a retry with the same key returns the first result.
    pub submission_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewQueueArguments {
    /// Cards to return, 1–50 (default 10).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewArguments {
    /// The card's question id: `question.id` of get_review_queue.
    pub question_id: String,
    /// The learner's answer: an option key (`"B"`), `"true"`/`"false"`, or a list of keys
    /// for multiple choice (`["A", "C"]`).
    pub answer: AnswerValue,
    /// Optional idempotency key: a retry with the same key returns the first result.
    pub review_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessArguments {
    /// `chapter:<slug or id>`, `chapter-<order>` or `quiz:<id>`.
    pub resource: String,
}

/// How a tool behaves, as its annotations say it.
#[derive(Clone, Copy)]
enum Nature {
    /// Reads only (opening a chapter also bookmarks it as the current one).
    Read,
    /// Adds to the learner's record; calling it twice changes nothing more.
    IdempotentWrite,
    /// Adds to the learner's record each time it is called.
    Write,
}

fn annotations(title: &str, nature: Nature) -> ToolAnnotations {
    let (read_only, idempotent) = match nature {
        Nature::Read => (true, true),
        Nature::IdempotentWrite => (false, true),
        Nature::Write => (false, false),
    };
    ToolAnnotations::with_title(title)
        .read_only(read_only)
        .destructive(false)
        .idempotent(idempotent)
        .open_world(false)
}

fn tool<I: JsonSchema + 'static, O: JsonSchema + 'static>(
    name: &'static str,
    title: &str,
    nature: Nature,
    description: &'static str,
) -> Tool {
    let mut input =
        schema_for_input::<I>().map(|schema| schema.as_ref().clone()).unwrap_or_else(|problem| {
            log::error!("tool {name}: input schema: {problem}");
            JsonObject::new()
        });
    drop_rust_formats(&mut input);
    let mut output = schema_for_output::<O>().as_ref().clone();
    drop_rust_formats(&mut output);
    Tool::new(name, description, Arc::new(input))
        .with_title(title)
        .with_raw_output_schema(Arc::new(output))
        .with_annotations(annotations(title, nature))
}

/// Removes the `format`s the schema generator names after Rust number types (`uint32`…):
/// JSON Schema does not define them, and hosts' validators warn about each one.
fn drop_rust_formats(schema: &mut JsonObject) {
    let rust_format = |format: &Value| {
        format.as_str().is_some_and(|name| {
            name.starts_with("uint")
                || name.starts_with("int")
                || matches!(name, "float" | "double")
        })
    };
    if schema.get("format").is_some_and(rust_format) {
        schema.remove("format");
    }
    for value in schema.values_mut() {
        match value {
            Value::Object(inner) => drop_rust_formats(inner),
            Value::Array(items) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    drop_rust_formats(item);
                }
            }
            _ => {}
        }
    }
}

/// Every tool, in the order an assistant would use them.
pub(crate) fn catalogue() -> Vec<Tool> {
    let widget: JsonObject = serde_json::from_value(json!({
        "openai/outputTemplate": QUIZ_WIDGET_URI,
        "openai/toolInvocation/invoking": "Opening the quiz…",
        "openai/toolInvocation/invoked": "Quiz ready.",
        "openai/widgetAccessible": true,
        "ui": { "resourceUri": QUIZ_APP_URI },
    }))
    .unwrap_or_default();
    // The widget submits through the host, which lets it call only tools that say so.
    let callable_from_widget: JsonObject =
        serde_json::from_value(json!({ "openai/widgetAccessible": true })).unwrap_or_default();
    vec![
        tool::<NoArguments, NextStep>(
            "what_next",
            "What next?",
            Nature::Read,
            "Start every session here: one recommendation of what the learner should do now, as              an action code (`review`, `retake_quiz`, `continue_chapter`, `start_chapter`,              `upgrade`, `done`), its target chapter or quiz, the rule that matched (`reason`) and              the numbers behind it (cards due, streak at risk today, current chapter, last failed              quiz). First match wins: due review cards, then a failed quiz to retake, then the              open current chapter, then the next unread chapter, then upgrade, else done.              Explain it to the learner in your own words.",
        ),
        tool::<NoArguments, ChapterList>(
            "get_course_outline",
            "Course outline",
            Nature::Read,
            "List every chapter of the course in order: slug, title, difficulty, estimated \
             minutes, and whether the learner's tier opens it (`locked`, `required_tier`). Start \
             here to find a chapter's slug.",
        ),
        tool::<ChapterArguments, ChapterDetail>(
            "read_chapter",
            "Read a chapter",
            Nature::Read,
            "Read one chapter by slug or id: its markdown exactly as the author wrote it (quote \
             it, do not paraphrase it as the course's words), its quiz id and its neighbours' \
             ids. A chapter above the learner's tier is an error `upgrade_required` with the \
             upgrade URL. Opening a chapter makes it the learner's current chapter.",
        ),
        tool::<SearchArguments, SearchResults>(
            "search_course",
            "Search the course",
            Nature::Read,
            "Search the chapters the learner can open for passages matching a query (words, \
             \"quoted phrases\", identifiers); each result names its chapter and section and \
             quotes the original text with matches in **bold**. Locked chapters whose title \
             matches are listed by title only.",
        ),
        tool::<QuizArguments, QuizView>(
            "get_quiz",
            "Get a quiz",
            Nature::Read,
            "Get a quiz's questions and options, never its answers. Ask the learner the \
             questions, then grade their answers with submit_quiz; do not grade them yourself.",
        )
        .with_meta(MetaObject(widget)),
        tool::<SubmitArguments, SubmissionResult>(
            "submit_quiz",
            "Submit quiz answers",
            Nature::Write,
            "Grade the learner's answers by the quiz's answer key and record the attempt: the \
             score, whether it passed, and per question whether it was right, the right answer \
             and the explanation (unless the quiz reveals them only after a pass). Counts as \
             the day's check-in.",
        )
        .with_meta(MetaObject(callable_from_widget)),
        tool::<ReviewQueueArguments, ReviewQueue>(
            "get_review_queue",
            "Review cards",
            Nature::Read,
            "The learner's spaced-review cards due now (questions they answered before,              scheduled by FSRS in their own days; oldest due first), then new cards from              completed chapters, with the totals due now, later today and new. Questions come              without answers: ask them one at a time and grade each with answer_review.",
        ),
        tool::<ReviewArguments, ReviewResult>(
            "answer_review",
            "Answer a review card",
            Nature::Write,
            "Grade the learner's answer to one review card by the quiz's answer key and              reschedule the card: wrong means due again at once, right means due on a later day              (`next_due_at`). Returns whether it was right, the right answer and explanation              (unless the quiz reveals them only after a pass). Counts as the day's check-in.",
        ),
        tool::<QuizArguments, QuizResults>(
            "get_quiz_results",
            "Quiz results",
            Nature::Read,
            "The learner's attempts at a quiz, newest first, with best and last score and \
             whether they ever passed.",
        ),
        tool::<NoArguments, Progress>(
            "get_progress",
            "Learner progress",
            Nature::Read,
            "The learner's progress: completed chapters, percentage of the course, the current \
             chapter, last activity and streak.",
        ),
        tool::<ChapterArguments, Progress>(
            "mark_chapter_complete",
            "Mark a chapter complete",
            Nature::IdempotentWrite,
            "Record that the learner finished a chapter (by slug or id); marking it again \
             changes nothing. Returns the updated progress.",
        ),
        tool::<NoArguments, CheckInResult>(
            "check_in",
            "Daily check-in",
            Nature::IdempotentWrite,
            "Record today's study for the learner's streak, in their own timezone's days; a \
             second check-in the same day changes nothing (`incremented: false`).",
        ),
        tool::<NoArguments, StreakView>(
            "get_streak",
            "Study streak",
            Nature::Read,
            "The learner's current and longest daily streak and whether they checked in today.",
        ),
        tool::<AccessArguments, AccessCheckResponse>(
            "check_access",
            "Check access",
            Nature::Read,
            "Whether the learner's tier opens a chapter or quiz (`chapter:<slug>`, \
             `chapter-<order>` or `quiz:<id>`), which tier would, and the upgrade URL if not.",
        ),
    ]
}

/// The arguments as `T`, or `validation_failed` naming the field that does not fit.
fn arguments<T: DeserializeOwned>(arguments: Option<JsonObject>) -> Result<T, AppError> {
    serde_json::from_value(Value::Object(arguments.unwrap_or_default())).map_err(|error| {
        let message = error.to_string();
        // serde names the field in backquotes: "missing field `answers`".
        let field = message.split('`').nth(1).unwrap_or("arguments").to_owned();
        let problem = message.split(" at line").next().unwrap_or(&message).to_owned();
        AppError::invalid(&field, problem)
    })
}

/// A view as structured content.
fn answer<T: serde::Serialize>(view: &T) -> Result<Value, AppError> {
    serde_json::to_value(view).map_err(AppError::internal)
}

/// Calls the tool `name` for `caller`; an unknown tool is `None`.
pub(crate) async fn call(
    app: &App,
    caller: &Caller,
    name: &str,
    raw: Option<JsonObject>,
) -> Option<CallToolResult> {
    let result = match name {
        "get_course_outline" => outline(app, caller, raw).await,
        "read_chapter" => read_chapter(app, caller, raw).await,
        "search_course" => search(app, caller, raw),
        "get_quiz" => get_quiz(app, caller, raw).await,
        "submit_quiz" => submit_quiz(app, caller, raw).await,
        "get_quiz_results" => quiz_results(app, caller, raw).await,
        "what_next" => what_next(app, caller, raw).await,
        "get_review_queue" => review_queue(app, caller, raw).await,
        "answer_review" => answer_review(app, caller, raw).await,
        "get_progress" => progress(app, caller, raw).await,
        "mark_chapter_complete" => complete(app, caller, raw).await,
        "check_in" => check_in(app, caller, raw).await,
        "get_streak" => streak(app, caller, raw).await,
        "check_access" => check_access(app, caller, raw).await,
        _ => return None,
    };
    Some(result.map_or_else(tool_error, CallToolResult::structured))
}

async fn outline(app: &App, caller: &Caller, raw: Option<JsonObject>) -> Result<Value, AppError> {
    let NoArguments {} = arguments(raw)?;
    outline_document(app, caller).await
}

async fn read_chapter(
    app: &App,
    caller: &Caller,
    raw: Option<JsonObject>,
) -> Result<Value, AppError> {
    let ChapterArguments { chapter } = arguments(raw)?;
    let page = chapter_page(app, caller, "chapter", &chapter).await?;
    serde_json::from_slice(&page.json).map_err(AppError::internal)
}

fn search(app: &App, caller: &Caller, raw: Option<JsonObject>) -> Result<Value, AppError> {
    let SearchArguments { query, limit } = arguments(raw)?;
    let limit = limit.unwrap_or(10) as usize;
    answer(&SearchResults::from(app.search().search(caller, "query", &query, limit, 0)?))
}

async fn get_quiz(app: &App, caller: &Caller, raw: Option<JsonObject>) -> Result<Value, AppError> {
    let QuizArguments { quiz_id } = arguments(raw)?;
    let quiz = app.quizzes().open(caller, &quiz_id).await?;
    answer(&QuizView::from(quiz.as_ref()))
}

async fn submit_quiz(
    app: &App,
    caller: &Caller,
    raw: Option<JsonObject>,
) -> Result<Value, AppError> {
    let SubmitArguments { quiz_id, answers, submission_id } = arguments(raw)?;
    let answers = answers.into_iter().map(|(id, value)| (id, value.into())).collect();
    let submission = app.quizzes().submit(caller, &quiz_id, answers, submission_id).await?;
    answer(&SubmissionResult::from(&submission))
}

async fn quiz_results(
    app: &App,
    caller: &Caller,
    raw: Option<JsonObject>,
) -> Result<Value, AppError> {
    let QuizArguments { quiz_id } = arguments(raw)?;
    answer(&QuizResults::from(app.quizzes().results(caller, &quiz_id, 20, 0).await?))
}

async fn what_next(app: &App, caller: &Caller, raw: Option<JsonObject>) -> Result<Value, AppError> {
    let NoArguments {} = arguments(raw)?;
    answer(&NextStep::from(app.plan().next(caller).await?))
}

async fn review_queue(
    app: &App,
    caller: &Caller,
    raw: Option<JsonObject>,
) -> Result<Value, AppError> {
    let ReviewQueueArguments { limit } = arguments(raw)?;
    answer(&ReviewQueue::from(app.review().queue(caller, limit.unwrap_or(10)).await?))
}

async fn answer_review(
    app: &App,
    caller: &Caller,
    raw: Option<JsonObject>,
) -> Result<Value, AppError> {
    let ReviewArguments { question_id, answer: given, review_id } = arguments(raw)?;
    let review = app.review().answer(caller, &question_id, given.into(), review_id).await?;
    answer(&ReviewResult::from(&review))
}

async fn progress(app: &App, caller: &Caller, raw: Option<JsonObject>) -> Result<Value, AppError> {
    let NoArguments {} = arguments(raw)?;
    let report = app.progress().of(caller, "me").await?;
    answer(&Progress::new(report, app.course().policy()))
}

async fn complete(app: &App, caller: &Caller, raw: Option<JsonObject>) -> Result<Value, AppError> {
    let ChapterArguments { chapter } = arguments(raw)?;
    let report = app.progress().set_completed(caller, "me", &chapter, true).await?;
    answer(&Progress::new(report, app.course().policy()))
}

async fn check_in(app: &App, caller: &Caller, raw: Option<JsonObject>) -> Result<Value, AppError> {
    let NoArguments {} = arguments(raw)?;
    let (streak, incremented) = app.progress().check_in(caller, "me").await?;
    answer(&CheckInResult::new(streak, incremented))
}

async fn streak(app: &App, caller: &Caller, raw: Option<JsonObject>) -> Result<Value, AppError> {
    let NoArguments {} = arguments(raw)?;
    answer(&StreakView::from(app.progress().streak(caller, "me").await?))
}

async fn check_access(
    app: &App,
    caller: &Caller,
    raw: Option<JsonObject>,
) -> Result<Value, AppError> {
    let AccessArguments { resource } = arguments(raw)?;
    answer(&AccessCheckResponse::from(app.access().check(caller, &resource, None).await?))
}
