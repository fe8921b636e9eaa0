//! The MCP server handler: `initialize`, the tool, prompt and resource lists, and the calls,
//! each for the caller the bearer check admitted.

use app::{App, AppError, Caller};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ErrorData, GetPromptRequestParams, GetPromptResponse,
    Implementation, InitializeResult, ListPromptsResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    ServerCapabilities,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};
use rmcp_actix_web::transport::on_request_extensions;

use crate::{prompts, resources, tools};

const INSTRUCTIONS: &str = "Course Companion serves one course verbatim and keeps the \
    learner's progress. Quote chapters from read_chapter instead of paraphrasing them as the \
    course's words; grade quizzes only with submit_quiz; take numbers (progress, streaks, \
    scores) only from the tools. A tool result with isError carries an error code: \
    upgrade_required means the learner's tier does not open it (say so once, with the upgrade \
    URL); validation_failed names the arguments to fix.";

/// One MCP request's handler (the transport builds one per request: it is stateless).
#[derive(Debug, Clone)]
pub(crate) struct CourseServer {
    app: App,
}

impl CourseServer {
    pub(crate) fn new(app: App) -> Self {
        Self { app }
    }
}

/// The caller the bearer check admitted; the check runs before every request reaches here.
fn caller(context: &RequestContext<RoleServer>) -> Result<Caller, ErrorData> {
    on_request_extensions(&context.extensions)
        .and_then(|extensions| extensions.get::<Caller>().copied())
        .ok_or_else(|| ErrorData::internal_error("the request was not authenticated", None))
}

/// A refusal of a prompt or resource request (tools answer with `isError` results instead).
fn protocol_error(error: AppError) -> ErrorData {
    match error {
        AppError::NotFound(message) => ErrorData::resource_not_found(message, None),
        AppError::UpgradeRequired { .. } | AppError::Invalid { .. } | AppError::Forbidden(_) => {
            ErrorData::invalid_params(error.to_string(), None)
        }
        other => {
            log::warn!("MCP request failed: {other}");
            ErrorData::internal_error("Something went wrong on our side; try again.", None)
        }
    }
}

impl ServerHandler for CourseServer {
    fn get_info(&self) -> InitializeResult {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_prompts()
            .enable_resources()
            .build();
        InitializeResult::new(capabilities)
            .with_server_info(
                Implementation::new("course-companion", env!("CARGO_PKG_VERSION"))
                    .with_title("Course Companion"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::catalogue()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = caller(&context)?;
        match tools::call(&self.app, &caller, &request.name, request.arguments).await {
            Some(result) => Ok(result.into()),
            None => {
                Err(ErrorData::invalid_params(format!("No tool named {}.", request.name), None))
            }
        }
    }

    async fn list_prompts(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(prompts::list()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let chapter = request.arguments.as_ref().and_then(|args| args.get("chapter"));
        let chapter = chapter.and_then(|value| value.as_str());
        prompts::get(&request.name, chapter)
            .map(Into::into)
            .map_err(|error| ErrorData::invalid_params(error.to_string(), None))
    }

    async fn list_resources(
        &self,
        _: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let caller = caller(&context)?;
        let resources = resources::list(&self.app, &caller).await.map_err(protocol_error)?;
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let caller = caller(&context)?;
        match resources::read(&self.app, &caller, &request.uri).await.map_err(protocol_error)? {
            Some(contents) => Ok(ReadResourceResult::new(vec![contents]).into()),
            None => {
                Err(ErrorData::resource_not_found(format!("No resource {}.", request.uri), None))
            }
        }
    }
}
