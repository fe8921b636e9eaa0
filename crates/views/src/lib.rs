//! The JSON documents both doors answer with: the REST API's response bodies, which the MCP
//! tools return as their structured content, built from the application's results here once.
//! The `openapi` feature derives their OpenAPI schemas (the REST door), `json-schema` their JSON
//! Schemas (the MCP door's `outputSchema`).
//!
//! What lives here: the response types and how each is made from an `app` result. What does
//! not: requests, parameters, errors and anything a single door alone needs.
//! The outline and a chapter are rendered into the application's shared cache of rendered
//! documents by whichever door asks first, which is why both doors must use these types.

use std::collections::HashMap;

use app::{
    AccessCheck, AttemptHistory, ChapterContent, ChapterRecord, NextAction, NextReason,
    ProgressReport, Recommendation, ReviewAnswer, SearchItem, StoredQuestion, StoredQuiz,
    StreakStatus, Submission,
};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{AccessPolicy, Answer, Difficulty, QuestionKind, Submitted, Tier};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A learner's plan: free, premium or pro.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum TierName {
    Free,
    Premium,
    Pro,
}

impl From<Tier> for TierName {
    fn from(tier: Tier) -> Self {
        match tier {
            Tier::Free => Self::Free,
            Tier::Premium => Self::Premium,
            Tier::Pro => Self::Pro,
        }
    }
}

impl From<TierName> for Tier {
    fn from(tier: TierName) -> Self {
        match tier {
            TierName::Free => Self::Free,
            TierName::Premium => Self::Premium,
            TierName::Pro => Self::Pro,
        }
    }
}

/// Difficulty label a chapter's author gave it.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DifficultyLevel {
    Beginner,
    Intermediate,
    Advanced,
}

impl From<Difficulty> for DifficultyLevel {
    fn from(difficulty: Difficulty) -> Self {
        match difficulty {
            Difficulty::Beginner => Self::Beginner,
            Difficulty::Intermediate => Self::Intermediate,
            Difficulty::Advanced => Self::Advanced,
        }
    }
}

/// A chapter's metadata, without its content, and whether the caller may open it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ChapterSummary {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    /// Position in the course, from 1.
    pub order: u32,
    pub difficulty_level: DifficultyLevel,
    /// Estimated reading time in minutes.
    pub estimated_minutes: u32,
    pub word_count: u32,
    /// True when the caller's tier does not open this chapter.
    pub locked: bool,
    /// The lowest tier that opens this chapter.
    pub required_tier: TierName,
}

impl ChapterSummary {
    pub fn new(chapter: &ChapterRecord, tier: Tier, policy: AccessPolicy) -> Self {
        let access = policy.decide(tier, chapter.order);
        Self {
            id: chapter.id,
            slug: chapter.slug.clone(),
            title: chapter.title.clone(),
            order: chapter.order,
            difficulty_level: chapter.difficulty.into(),
            estimated_minutes: chapter.estimated_minutes,
            word_count: chapter.word_count,
            locked: !access.granted,
            required_tier: access.required_tier.into(),
        }
    }
}

/// The course outline, in order.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ChapterList {
    pub items: Vec<ChapterSummary>,
    pub total: usize,
}

impl ChapterList {
    /// The outline as `tier` sees it.
    pub fn new(chapters: &[ChapterRecord], tier: Tier, policy: AccessPolicy) -> Self {
        let items: Vec<ChapterSummary> =
            chapters.iter().map(|chapter| ChapterSummary::new(chapter, tier, policy)).collect();
        Self { total: items.len(), items }
    }
}

/// One chapter with its markdown exactly as authored.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ChapterDetail {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub order: u32,
    pub difficulty_level: DifficultyLevel,
    pub estimated_minutes: u32,
    pub word_count: u32,
    /// The chapter body in markdown, byte for byte as the author wrote it.
    pub content: String,
    /// SHA-256 of `content`, hex.
    pub content_sha256: String,
    /// The chapter's quiz, if it has one.
    pub quiz_id: Option<Uuid>,
    pub previous_chapter_id: Option<Uuid>,
    pub next_chapter_id: Option<Uuid>,
}

impl From<ChapterContent<'_>> for ChapterDetail {
    fn from(found: ChapterContent<'_>) -> Self {
        let chapter = found.chapter;
        Self {
            id: chapter.id,
            slug: chapter.slug.clone(),
            title: chapter.title.clone(),
            order: chapter.order,
            difficulty_level: chapter.difficulty.into(),
            estimated_minutes: chapter.estimated_minutes,
            word_count: chapter.word_count,
            content: found.content,
            content_sha256: chapter.content_sha256.clone(),
            quiz_id: found.quiz_id,
            previous_chapter_id: found.previous.map(|c| c.id),
            next_chapter_id: found.next.map(|c| c.id),
        }
    }
}

/// One matching passage, or a chapter the caller's tier does not open.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
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
    /// Relevance (higher is better); null when locked: a locked chapter is listed by its
    /// title, not ranked by its text.
    pub score: Option<f32>,
    /// True when the caller's tier does not open the chapter. Locked chapters are listed
    /// once each, first, when the query names a word of their title; their text is never
    /// searched for the caller, so neither their presence, their order nor `total` says
    /// anything about it.
    pub locked: bool,
}

/// Ranked results.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SearchResults {
    /// The query as searched (trimmed).
    pub query: String,
    /// Results in all pages: the matching sections the caller may read, plus the locked
    /// chapters listed.
    pub total: usize,
    pub results: Vec<SearchResult>,
}

impl From<app::SearchResults> for SearchResults {
    fn from(found: app::SearchResults) -> Self {
        let results = found
            .results
            .into_iter()
            .map(|result| match result {
                SearchItem::Passage(hit) => SearchResult {
                    chapter_id: hit.chapter_id,
                    chapter_slug: hit.chapter_slug,
                    chapter_title: hit.chapter_title,
                    section: Some(hit.section),
                    section_anchor: Some(hit.section_anchor),
                    snippet: Some(hit.snippet),
                    score: Some(hit.score),
                    locked: false,
                },
                SearchItem::Locked(chapter) => SearchResult {
                    chapter_id: chapter.chapter_id,
                    chapter_slug: chapter.chapter_slug,
                    chapter_title: chapter.chapter_title,
                    section: None,
                    section_anchor: None,
                    snippet: None,
                    score: None,
                    locked: true,
                },
            })
            .collect();
        Self { query: found.query, total: found.total, results }
    }
}

/// An answer: one option key (`"B"`), `"true"`/`"false"`, or an array of keys for multiple
/// choice (`["A", "C"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum AnswerValue {
    One(String),
    Many(Vec<String>),
}

// Documented as "any" here; the REST door's document post-processing writes its oneOf.
#[cfg(feature = "openapi")]
impl paperclip::v2::schema::Apiv2Schema for AnswerValue {}

impl From<&Answer> for AnswerValue {
    fn from(answer: &Answer) -> Self {
        match answer {
            Answer::Single(key) => Self::One(key.clone()),
            Answer::Multiple(keys) => Self::Many(keys.iter().cloned().collect()),
            Answer::TrueFalse(value) => Self::One(value.to_string()),
        }
    }
}

impl From<AnswerValue> for Submitted {
    fn from(value: AnswerValue) -> Self {
        match value {
            AnswerValue::One(text) => Self::One(text),
            AnswerValue::Many(keys) => Self::Many(keys),
        }
    }
}

/// One choice of a question.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct QuizOption {
    /// `A`, `B`, …
    pub key: String,
    pub text: String,
}

/// Question kind: single_choice, multiple_choice or true_false.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum QuestionKindName {
    SingleChoice,
    MultipleChoice,
    TrueFalse,
}

impl From<QuestionKind> for QuestionKindName {
    fn from(kind: QuestionKind) -> Self {
        match kind {
            QuestionKind::SingleChoice => Self::SingleChoice,
            QuestionKind::MultipleChoice => Self::MultipleChoice,
            QuestionKind::TrueFalse => Self::TrueFalse,
        }
    }
}

/// A question as a learner sees it: never its answer or explanation.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct QuizQuestion {
    pub id: Uuid,
    /// Position in the quiz, from 1.
    pub order: u32,
    pub kind: QuestionKindName,
    pub text: String,
    /// Empty for true_false (answer "true" or "false").
    pub options: Vec<QuizOption>,
}

/// A quiz ready to be taken.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct QuizView {
    pub id: Uuid,
    pub chapter_id: Uuid,
    pub title: String,
    pub pass_mark: u8,
    /// Attempts allowed per learner; null for unlimited.
    pub max_attempts: Option<u32>,
    /// `always`, or `after_pass`: the key and explanations are shown only after a pass.
    pub reveal_answers: String,
    pub questions: Vec<QuizQuestion>,
}

impl From<&StoredQuiz> for QuizView {
    fn from(quiz: &StoredQuiz) -> Self {
        let questions = quiz.questions.iter().map(quiz_question).collect();
        Self {
            id: quiz.id,
            chapter_id: quiz.chapter_id,
            title: quiz.title.clone(),
            pass_mark: quiz.pass_mark,
            max_attempts: quiz.max_attempts,
            reveal_answers: quiz.reveal_answers.as_str().to_owned(),
            questions,
        }
    }
}

/// Feedback on one question.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct QuestionResult {
    pub question_id: Uuid,
    /// The answer as graded; null when unanswered.
    pub selected: Option<AnswerValue>,
    /// Whether the answer was right. Null when the quiz reveals answers only after a pass
    /// (`reveal_answers: after_pass`) and this attempt failed: the attempt then shows only
    /// its score, so the key cannot be worked out by elimination.
    pub is_correct: Option<bool>,
    /// Null when the quiz reveals answers only after a pass and this attempt failed.
    pub correct_answer: Option<AnswerValue>,
    /// Null when the quiz reveals answers only after a pass and this attempt failed.
    pub explanation: Option<String>,
}

/// A graded attempt.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct SubmissionResult {
    pub attempt_id: Uuid,
    pub attempt_number: u32,
    pub score: u8,
    pub correct_count: u32,
    pub total: u32,
    pub passed: bool,
    pub pass_mark: u8,
    pub results: Vec<QuestionResult>,
}

impl From<&Submission> for SubmissionResult {
    fn from(submission: &Submission) -> Self {
        let Submission { quiz, attempt, grade, reveals_key, .. } = submission;
        let reveal = *reveals_key;
        let questions: HashMap<Uuid, &domain::Question> =
            quiz.questions.iter().map(|q| (q.id, &q.question)).collect();
        let results = grade
            .outcomes
            .iter()
            .map(|outcome| {
                let question = questions.get(&outcome.question_id).filter(|_| reveal);
                QuestionResult {
                    question_id: outcome.question_id,
                    selected: outcome.selected.as_ref().map(AnswerValue::from),
                    is_correct: reveal.then_some(outcome.is_correct),
                    correct_answer: question.map(|q| AnswerValue::from(&q.answer)),
                    explanation: question.map(|q| q.explanation.clone()),
                }
            })
            .collect();
        Self {
            attempt_id: attempt.id,
            attempt_number: attempt.attempt_number,
            score: attempt.score,
            correct_count: attempt.correct_count,
            total: attempt.total,
            passed: attempt.passed,
            pass_mark: quiz.pass_mark,
            results,
        }
    }
}

/// One past attempt.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct AttemptSummary {
    pub attempt_id: Uuid,
    pub attempt_number: u32,
    pub score: u8,
    pub correct_count: u32,
    pub total: u32,
    pub passed: bool,
    pub completed_at: DateTime<Utc>,
}

/// The caller's attempts at a quiz, newest first.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct QuizResults {
    pub items: Vec<AttemptSummary>,
    /// Attempts in all pages.
    pub total: usize,
    pub attempt_count: usize,
    pub best_score: Option<u8>,
    pub last_score: Option<u8>,
    pub passed_ever: bool,
}

impl From<AttemptHistory> for QuizResults {
    fn from(history: AttemptHistory) -> Self {
        let items = history
            .page
            .iter()
            .map(|a| AttemptSummary {
                attempt_id: a.id,
                attempt_number: a.attempt_number,
                score: a.score,
                correct_count: a.correct_count,
                total: a.total,
                passed: a.passed,
                completed_at: a.completed_at,
            })
            .collect();
        Self {
            items,
            total: history.attempt_count as usize,
            attempt_count: history.attempt_count as usize,
            best_score: history.best_score,
            last_score: history.last_score,
            passed_ever: history.passed_ever,
        }
    }
}

/// A completed chapter.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct CompletedChapter {
    pub chapter_id: Uuid,
    pub slug: String,
    pub title: String,
    pub completed_at: DateTime<Utc>,
}

/// The streak as part of progress.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct StreakSummary {
    pub current: u32,
    pub longest: u32,
    pub checked_in_today: bool,
}

/// A learner's progress through the course.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Progress {
    pub user_id: Uuid,
    /// Completed chapters that exist now, in course order.
    pub completed_chapters: Vec<CompletedChapter>,
    pub completed_count: usize,
    pub total_chapters: u64,
    /// 0–100 with one decimal, over the chapters that exist now.
    pub percentage: f64,
    /// The chapter opened last (or the next one after completing it).
    pub current_chapter: Option<ChapterSummary>,
    /// May lag by up to a minute.
    pub last_activity: Option<DateTime<Utc>>,
    pub streak: StreakSummary,
}

impl Progress {
    pub fn new(report: ProgressReport, policy: AccessPolicy) -> Self {
        let completed_count = report.completed.len();
        Self {
            user_id: report.user_id,
            percentage: report.percentage,
            completed_chapters: report
                .completed
                .into_iter()
                .map(|(chapter, completed_at)| CompletedChapter {
                    chapter_id: chapter.id,
                    slug: chapter.slug,
                    title: chapter.title,
                    completed_at,
                })
                .collect(),
            completed_count,
            total_chapters: report.total_chapters as u64,
            current_chapter: report
                .current_chapter
                .map(|chapter| ChapterSummary::new(&chapter, report.tier, policy)),
            last_activity: report.last_activity,
            streak: StreakSummary {
                current: report.streak.current,
                longest: report.streak.longest,
                checked_in_today: report.streak.checked_in_today,
            },
        }
    }
}

/// A learner's daily streak, counted in their own timezone.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct StreakView {
    pub current_streak: u32,
    pub longest_streak: u32,
    /// Local date (YYYY-MM-DD) of the last check-in, in the learner's timezone.
    pub last_checkin: Option<NaiveDate>,
    pub timezone: String,
    pub checked_in_today: bool,
    /// Streak freezes earned (one per 7 days in a row; at most 2 on free, 3 on premium and
    /// pro) and not used yet: each covers one missed day at the next check-in.
    pub freezes_banked: u8,
    /// Freezes used so far.
    pub freezes_used: u32,
    /// The current streak's days covered by a freeze (YYYY-MM-DD, oldest first).
    pub frozen_days: Vec<NaiveDate>,
}

impl From<StreakStatus> for StreakView {
    fn from(streak: StreakStatus) -> Self {
        Self {
            current_streak: streak.current,
            longest_streak: streak.longest,
            last_checkin: streak.last_checkin,
            timezone: streak.timezone.name().to_owned(),
            checked_in_today: streak.checked_in_today,
            freezes_banked: streak.freezes_banked,
            freezes_used: streak.freezes_used,
            frozen_days: streak.frozen_days,
        }
    }
}

/// The streak after a check-in.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct CheckInResult {
    pub current_streak: u32,
    pub longest_streak: u32,
    pub last_checkin: Option<NaiveDate>,
    pub timezone: String,
    pub checked_in_today: bool,
    /// Streak freezes earned (one per 7 days in a row; at most 2 on free, 3 on premium and
    /// pro) and not used yet: each covers one missed day at the next check-in.
    pub freezes_banked: u8,
    /// Freezes used so far.
    pub freezes_used: u32,
    /// The current streak's days covered by a freeze (YYYY-MM-DD, oldest first).
    pub frozen_days: Vec<NaiveDate>,
    /// False when the learner had already checked in today.
    pub incremented: bool,
}

impl CheckInResult {
    pub fn new(streak: StreakStatus, incremented: bool) -> Self {
        let view = StreakView::from(streak);
        Self {
            current_streak: view.current_streak,
            longest_streak: view.longest_streak,
            last_checkin: view.last_checkin,
            timezone: view.timezone,
            checked_in_today: view.checked_in_today,
            freezes_banked: view.freezes_banked,
            freezes_used: view.freezes_used,
            frozen_days: view.frozen_days,
            incremented,
        }
    }
}

/// Whether the user may open the resource, and what would open it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct AccessCheckResponse {
    pub access_granted: bool,
    /// The user's tier.
    pub tier: TierName,
    /// The lowest tier that opens the resource.
    pub required_tier: TierName,
    /// For a human.
    pub reason: String,
    /// Where to upgrade; present when access is refused.
    pub upgrade_url: Option<String>,
}

impl From<AccessCheck> for AccessCheckResponse {
    fn from(check: AccessCheck) -> Self {
        Self {
            access_granted: check.granted,
            tier: check.tier.into(),
            required_tier: check.required_tier.into(),
            reason: check.reason,
            upgrade_url: check.upgrade_url,
        }
    }
}

/// The chapter a card, a recommendation or a quiz belongs to.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ChapterRefView {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    /// Position in the course, from 1.
    pub order: u32,
}

impl From<&ChapterRecord> for ChapterRefView {
    fn from(chapter: &ChapterRecord) -> Self {
        Self {
            id: chapter.id,
            slug: chapter.slug.clone(),
            title: chapter.title.clone(),
            order: chapter.order,
        }
    }
}

fn quiz_question(stored: &StoredQuestion) -> QuizQuestion {
    QuizQuestion {
        id: stored.id,
        order: stored.question.position,
        kind: stored.question.kind.into(),
        text: stored.question.text.clone(),
        options: stored
            .question
            .options
            .iter()
            .map(|(key, text)| QuizOption { key: key.clone(), text: text.clone() })
            .collect(),
    }
}

/// A review card: the question as its quiz shows it (never its answer), and where it stands.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ReviewCard {
    /// Answer it with answerReview on this question's id.
    pub question: QuizQuestion,
    pub quiz_id: Uuid,
    pub chapter: ChapterRefView,
    /// `new` (never answered), `learning`, `review` or `relearning`.
    pub state: String,
    /// When it fell due; null for a new card.
    pub due_at: Option<DateTime<Utc>>,
    /// Whole days (the learner's local days) since it fell due, 0 when due today; null for a
    /// new card.
    pub overdue_days: Option<u32>,
    /// Reviews so far, and how many of them were forgotten after being learnt.
    pub reps: u32,
    pub lapses: u32,
}

/// The caller's review queue.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ReviewQueue {
    /// Due cards, oldest due first, then new cards of completed chapters in course order.
    pub items: Vec<ReviewCard>,
    /// Cards due now.
    pub due_now: u32,
    /// Cards that fall due later in the learner's local day.
    pub due_later_today: u32,
    /// Questions of completed chapters never answered yet.
    pub new_available: u32,
}

impl From<app::ReviewQueue> for ReviewQueue {
    fn from(queue: app::ReviewQueue) -> Self {
        let items = queue
            .items
            .iter()
            .filter_map(|item| {
                item.question().map(|question| ReviewCard {
                    question: quiz_question(question),
                    quiz_id: item.quiz.id,
                    chapter: ChapterRefView::from(&item.chapter),
                    state: item.card.map_or("new", |card| card.state.as_str()).to_owned(),
                    due_at: item.card.map(|card| card.due),
                    overdue_days: item.overdue_days,
                    reps: item.card.map_or(0, |card| card.reps),
                    lapses: item.card.map_or(0, |card| card.lapses),
                })
            })
            .collect();
        Self {
            items,
            due_now: queue.due_now,
            due_later_today: queue.due_later_today,
            new_available: queue.new_available,
        }
    }
}

/// A graded review card.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ReviewResult {
    pub question_id: Uuid,
    /// The idempotency key sent with the answer, if any.
    pub review_id: Option<String>,
    /// The answer as graded.
    pub selected: AnswerValue,
    pub is_correct: bool,
    /// How the answer rated the card: `again` (wrong: due again at once), `hard` (right at
    /// the second try) or `good`.
    pub rating: String,
    /// Null when the quiz reveals answers only after a pass and the learner has not passed
    /// it yet.
    pub correct_answer: Option<AnswerValue>,
    /// Null when the quiz reveals answers only after a pass and the learner has not passed
    /// it yet.
    pub explanation: Option<String>,
    /// When the card is due next: now after a wrong answer, else the start of a later local
    /// day.
    pub next_due_at: DateTime<Utc>,
}

impl From<&ReviewAnswer> for ReviewResult {
    fn from(answer: &ReviewAnswer) -> Self {
        let question = answer
            .quiz
            .questions
            .iter()
            .find(|q| q.id == answer.question_id)
            .filter(|_| answer.reveals_key);
        let review = &answer.review;
        Self {
            question_id: answer.question_id,
            review_id: review.review_id.clone(),
            selected: answer
                .outcome
                .selected
                .as_ref()
                .map_or(AnswerValue::Many(Vec::new()), AnswerValue::from),
            is_correct: review.correct,
            rating: review.rating.as_str().to_owned(),
            correct_answer: question.map(|q| AnswerValue::from(&q.question.answer)),
            explanation: question.map(|q| q.question.explanation.clone()),
            next_due_at: review.next_due,
        }
    }
}

/// What the recommendation asks the learner to do.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum NextActionName {
    Review,
    RetakeQuiz,
    ContinueChapter,
    StartChapter,
    Upgrade,
    Done,
}

impl From<NextAction> for NextActionName {
    fn from(action: NextAction) -> Self {
        match action {
            NextAction::Review => Self::Review,
            NextAction::RetakeQuiz => Self::RetakeQuiz,
            NextAction::ContinueChapter => Self::ContinueChapter,
            NextAction::StartChapter => Self::StartChapter,
            NextAction::Upgrade => Self::Upgrade,
            NextAction::Done => Self::Done,
        }
    }
}

/// Which rule of the recommendation matched.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum NextReasonName {
    CardsDue,
    QuizFailed,
    ChapterInProgress,
    NextInCourse,
    LockedChaptersRemain,
    CourseComplete,
}

impl From<NextReason> for NextReasonName {
    fn from(reason: NextReason) -> Self {
        match reason {
            NextReason::CardsDue => Self::CardsDue,
            NextReason::QuizFailed => Self::QuizFailed,
            NextReason::ChapterInProgress => Self::ChapterInProgress,
            NextReason::NextInCourse => Self::NextInCourse,
            NextReason::LockedChaptersRemain => Self::LockedChaptersRemain,
            NextReason::CourseComplete => Self::CourseComplete,
        }
    }
}

/// A quiz a recommendation names, and the learner's standing on it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct QuizStandingView {
    pub quiz_id: Uuid,
    pub chapter_id: Uuid,
    pub title: String,
    pub attempts: u32,
    pub last_score: u8,
    pub pass_mark: u8,
    /// Attempts allowed; null for unlimited.
    pub max_attempts: Option<u32>,
    pub passed_ever: bool,
}

/// The numbers behind a recommendation.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct NextNumbers {
    pub due_now: u32,
    pub due_later_today: u32,
    pub new_available: u32,
    pub current_streak: u32,
    pub checked_in_today: bool,
    /// A streak is running and nothing has been done today: any learning today keeps it.
    pub streak_at_risk: bool,
    pub freezes_banked: u8,
    pub completed_chapters: u32,
    pub total_chapters: u32,
    /// The chapter opened last, if any.
    pub current_chapter: Option<ChapterRefView>,
    /// The most recently attempted quiz whose last attempt failed, if any.
    pub last_failed_quiz: Option<QuizStandingView>,
}

/// One deterministic recommendation: an action code, its target, the rule that matched and
/// the numbers behind it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(paperclip::actix::Apiv2Schema))]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct NextStep {
    pub action: NextActionName,
    pub reason: NextReasonName,
    /// The chapter to start, continue or unlock, or the chapter of the quiz to retake.
    pub chapter: Option<ChapterRefView>,
    /// For `retake_quiz`: the quiz.
    pub quiz_id: Option<Uuid>,
    /// For `upgrade`: the tier that opens the chapter.
    pub required_tier: Option<TierName>,
    pub numbers: NextNumbers,
}

impl From<Recommendation> for NextStep {
    fn from(plan: Recommendation) -> Self {
        Self {
            action: plan.action.into(),
            reason: plan.action.reason().into(),
            chapter: plan.chapter.as_ref().map(ChapterRefView::from),
            quiz_id: plan.quiz.as_ref().map(|quiz| quiz.id),
            required_tier: plan.required_tier.map(TierName::from),
            numbers: NextNumbers {
                due_now: plan.due_now,
                due_later_today: plan.due_later_today,
                new_available: plan.new_available,
                current_streak: plan.streak.current,
                checked_in_today: plan.streak.checked_in_today,
                streak_at_risk: plan.streak_at_risk,
                freezes_banked: plan.streak.freezes_banked,
                completed_chapters: plan.completed_chapters,
                total_chapters: plan.total_chapters,
                current_chapter: plan.current_chapter.as_ref().map(ChapterRefView::from),
                last_failed_quiz: plan.last_failed_quiz.map(|failed| QuizStandingView {
                    quiz_id: failed.quiz.id,
                    chapter_id: failed.quiz.chapter_id,
                    title: failed.quiz.title.clone(),
                    attempts: failed.standing.attempts,
                    last_score: failed.standing.last_score,
                    pass_mark: failed.quiz.pass_mark,
                    max_attempts: failed.quiz.max_attempts,
                    passed_ever: failed.standing.passed_ever,
                }),
            },
        }
    }
}
