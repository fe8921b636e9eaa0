//! `GET /api/v1/search`: ranked passages, locked chapters shown without their text.

use paperclip::actix::web::{Data, Json, Query};
use paperclip::actix::{Apiv2Schema, api_v2_operation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::dto::check_line;
use crate::{ApiError, AppState};

/// Search parameters.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct SearchParams {
    /// What to look for: 2–200 characters, at least two of them not spaces; "quoted phrases"
    /// match in order.
    #[validate(
        length(max = 200, message = "must be at most 200 characters"),
        custom(function = "check_line")
    )]
    pub q: String,
    /// 1–50, default 10.
    #[validate(range(min = 1, max = 50, message = "must be 1 to 50"))]
    pub limit: Option<u32>,
    /// Default 0, at most 1000.
    #[validate(range(max = 1000, message = "must be at most 1000"))]
    pub offset: Option<u32>,
}

/// One matching passage.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SearchResult {
    pub chapter_id: Uuid,
    pub chapter_slug: String,
    pub chapter_title: String,
    /// The section heading; null when the chapter is locked for the caller.
    pub section: Option<String>,
    /// URL fragment of the section; null when locked.
    pub section_anchor: Option<String>,
    /// The original text around the matches, matches in `**`, at most 300 characters; null
    /// when locked.
    pub snippet: Option<String>,
    pub score: f32,
    /// True when the caller's tier does not open the chapter.
    pub locked: bool,
}

/// Ranked results.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SearchResults {
    /// The query as searched (trimmed).
    pub query: String,
    /// Matching sections in all pages.
    pub total: usize,
    pub results: Vec<SearchResult>,
}

/// Search the course
///
/// Ranked sections for a query, with a snippet quoting the original text. Results in
/// chapters the caller's tier does not open show only the chapter and `locked: true`.
#[api_v2_operation(operation_id = "searchCourse", tags(Search))]
pub async fn search_course(
    state: Data<AppState>,
    caller: Caller,
    params: Query<SearchParams>,
) -> Result<Json<SearchResults>, ApiError> {
    params.validate().map_err(|errors| ApiError::from_validation(&errors))?;
    let query = params.q.trim();
    if !(2..=200).contains(&query.chars().count()) {
        return Err(ApiError::validation("q", "must be 2 to 200 characters once trimmed"));
    }
    let limit = params.limit.unwrap_or(10) as usize;
    let offset = params.offset.unwrap_or(0) as usize;
    let index = state.search.current();
    if !index.is_built() {
        return Err(ApiError::Unavailable(
            "The search index is being built; try again in a few seconds.".into(),
        ));
    }
    let page = index.search(query, limit, offset).map_err(ApiError::internal)?;
    let policy = state.settings.access_policy;
    let results = page
        .hits
        .iter()
        .map(|hit| {
            let locked = !policy.decide(caller.tier, hit.chapter_order).granted;
            // A locked chapter's passage never leaves the server: not even its section name.
            let open = |text: &String| (!locked).then(|| text.clone());
            SearchResult {
                chapter_id: hit.chapter_id,
                chapter_slug: hit.chapter_slug.clone(),
                chapter_title: hit.chapter_title.clone(),
                section: open(&hit.section),
                section_anchor: open(&hit.section_anchor),
                snippet: open(&hit.snippet),
                score: hit.score,
                locked,
            }
        })
        .collect();
    Ok(Json(SearchResults { query: query.to_owned(), total: page.total, results }))
}
