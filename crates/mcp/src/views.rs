//! What tools answer with: the same documents, field for field, as their REST twins' bodies,
//! with JSON schemas for `outputSchema`. The outline and a chapter are rendered into the
//! application's shared cache of rendered documents, whichever door asks first, so those two
//! must stay byte-for-byte the REST door's (`crates/api/src/routes/chapters.rs`, `dto.rs`).

use std::collections::HashMap;

use app::{AccessCheck, ChapterRecord, ProgressReport, SearchItem, SearchResults, StreakStatus};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{AccessPolicy, Answer, Tier};
use schemars::JsonSchema;
use serde::Serialize;
use uuid::Uuid;

/// A chapter in the outline.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ChapterSummary {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub order: u32,
    /// beginner, intermediate or advanced.
    pub difficulty_level: String,
    pub estimated_minutes: u32,
    pub word_count: u32,
    /// True when the caller's tier does not open it.
    pub locked: bool,
    /// free, premium or pro: the lowest tier that opens it.
    pub required_tier: String,
}

impl ChapterSummary {
    pub fn new(chapter: &ChapterRecord, tier: Tier, policy: AccessPolicy) -> Self {
        let access = policy.decide(tier, chapter.order);
        Self {
            id: chapter.id,
            slug: chapter.slug.clone(),
            title: chapter.title.clone(),
            order: chapter.order,
            difficulty_level: chapter.difficulty.as_str().to_owned(),
            estimated_minutes: chapter.estimated_minutes,
            word_count: chapter.word_count,
            locked: !access.granted,
            required_tier: access.required_tier.as_str().to_owned(),
        }
    }
}

/// The course outline, in order.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ChapterList {
    pub items: Vec<ChapterSummary>,
    pub total: usize,
}

/// One chapter with its markdown exactly as authored.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ChapterDetail {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub order: u32,
    pub difficulty_level: String,
    pub estimated_minutes: u32,
    pub word_count: u32,
    /// The chapter body in markdown, byte for byte as the author wrote it.
    pub content: String,
    /// SHA-256 of `content`, hex.
    pub content_sha256: String,
    /// The chapter's quiz, if it has one (for get_quiz).
    pub quiz_id: Option<Uuid>,
    pub previous_chapter_id: Option<Uuid>,
    pub next_chapter_id: Option<Uuid>,
}

/// One matching passage, or a chapter the caller's tier does not open (title only).
#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchResult {
    pub chapter_id: Uuid,
    pub chapter_slug: String,
    pub chapter_title: String,
    pub section: Option<String>,
    pub section_anchor: Option<String>,
    /// The original text around the matches, matches in `**`; null when locked.
    pub snippet: Option<String>,
    pub score: Option<f32>,
    pub locked: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchAnswer {
    pub query: String,
    pub total: usize,
    pub results: Vec<SearchResult>,
}

impl From<SearchResults> for SearchAnswer {
    fn from(found: SearchResults) -> Self {
        let results = found
            .results
            .into_iter()
            .map(|item| match item {
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

/// One choice of a question.
#[derive(Debug, Serialize, JsonSchema)]
pub struct QuizOption {
    /// `A`, `B`, …
    pub key: String,
    pub text: String,
}

/// A question as a learner sees it: never its answer or explanation.
#[derive(Debug, Serialize, JsonSchema)]
pub struct QuizQuestion {
    pub id: Uuid,
    pub order: u32,
    /// single_choice, multiple_choice or true_false.
    pub kind: String,
    pub text: String,
    /// Empty for true_false (answer "true" or "false").
    pub options: Vec<QuizOption>,
}

/// A quiz ready to be taken.
#[derive(Debug, Serialize, JsonSchema)]
pub struct QuizView {
    pub id: Uuid,
    pub chapter_id: Uuid,
    pub title: String,
    pub pass_mark: u8,
    pub max_attempts: Option<u32>,
    /// `always`, or `after_pass`: the key and explanations are shown only after a pass.
    pub reveal_answers: String,
    pub questions: Vec<QuizQuestion>,
}

impl From<&app::StoredQuiz> for QuizView {
    fn from(quiz: &app::StoredQuiz) -> Self {
        let questions = quiz
            .questions
            .iter()
            .map(|stored| QuizQuestion {
                id: stored.id,
                order: stored.question.position,
                kind: stored.question.kind.as_str().to_owned(),
                text: stored.question.text.clone(),
                options: stored
                    .question
                    .options
                    .iter()
                    .map(|(key, text)| QuizOption { key: key.clone(), text: text.clone() })
                    .collect(),
            })
            .collect();
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

/// An answer: one key (`"B"`), `"true"`/`"false"`, or keys for multiple choice.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum AnswerValue {
    One(String),
    Many(Vec<String>),
}

impl From<&Answer> for AnswerValue {
    fn from(answer: &Answer) -> Self {
        match answer {
            Answer::Single(key) => Self::One(key.clone()),
            Answer::Multiple(keys) => Self::Many(keys.iter().cloned().collect()),
            Answer::TrueFalse(value) => Self::One(value.to_string()),
        }
    }
}

impl From<AnswerValue> for domain::Submitted {
    fn from(value: AnswerValue) -> Self {
        match value {
            AnswerValue::One(text) => Self::One(text),
            AnswerValue::Many(keys) => Self::Many(keys),
        }
    }
}

/// Feedback on one question; the key and explanation only when the quiz reveals them.
#[derive(Debug, Serialize, JsonSchema)]
pub struct QuestionResult {
    pub question_id: Uuid,
    pub selected: Option<AnswerValue>,
    pub is_correct: Option<bool>,
    pub correct_answer: Option<AnswerValue>,
    pub explanation: Option<String>,
}

/// A graded attempt.
#[derive(Debug, Serialize, JsonSchema)]
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

impl From<&app::Submission> for SubmissionResult {
    fn from(submission: &app::Submission) -> Self {
        let app::Submission { quiz, attempt, grade, reveals_key, .. } = submission;
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
#[derive(Debug, Serialize, JsonSchema)]
pub struct AttemptSummary {
    pub attempt_id: Uuid,
    pub attempt_number: u32,
    pub score: u8,
    pub correct_count: u32,
    pub total: u32,
    pub passed: bool,
    pub completed_at: DateTime<Utc>,
}

/// The caller's attempts at a quiz, newest first, with aggregates over all of them.
#[derive(Debug, Serialize, JsonSchema)]
pub struct QuizResults {
    pub items: Vec<AttemptSummary>,
    pub total: usize,
    pub attempt_count: usize,
    pub best_score: Option<u8>,
    pub last_score: Option<u8>,
    pub passed_ever: bool,
}

impl From<app::AttemptHistory> for QuizResults {
    fn from(history: app::AttemptHistory) -> Self {
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

#[derive(Debug, Serialize, JsonSchema)]
pub struct CompletedChapter {
    pub chapter_id: Uuid,
    pub slug: String,
    pub title: String,
    pub completed_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StreakSummary {
    pub current: u32,
    pub longest: u32,
    pub checked_in_today: bool,
}

/// The caller's progress through the course.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Progress {
    pub user_id: Uuid,
    pub completed_chapters: Vec<CompletedChapter>,
    pub completed_count: usize,
    pub total_chapters: u64,
    /// 0–100.
    pub percentage: f64,
    /// The chapter opened last.
    pub current_chapter: Option<ChapterSummary>,
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

/// The caller's daily streak, in their own timezone's days.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StreakView {
    pub current_streak: u32,
    pub longest_streak: u32,
    pub last_checkin: Option<NaiveDate>,
    pub timezone: String,
    pub checked_in_today: bool,
    /// Freezes earned (one per 7 days in a row) and not used yet: each covers one missed day.
    pub freezes_banked: u8,
    pub freezes_used: u32,
    /// The current streak's days covered by a freeze, oldest first.
    pub frozen_days: Vec<NaiveDate>,
    /// For check_in: whether this check-in grew the streak.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incremented: Option<bool>,
}

impl StreakView {
    pub fn new(streak: StreakStatus, incremented: Option<bool>) -> Self {
        Self {
            current_streak: streak.current,
            longest_streak: streak.longest,
            last_checkin: streak.last_checkin,
            timezone: streak.timezone.name().to_owned(),
            checked_in_today: streak.checked_in_today,
            freezes_banked: streak.freezes_banked,
            freezes_used: streak.freezes_used,
            frozen_days: streak.frozen_days,
            incremented,
        }
    }
}

/// Whether the caller may open a chapter or quiz.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AccessAnswer {
    pub access_granted: bool,
    pub tier: String,
    pub required_tier: String,
    pub reason: String,
    pub upgrade_url: Option<String>,
}

impl From<AccessCheck> for AccessAnswer {
    fn from(check: AccessCheck) -> Self {
        Self {
            access_granted: check.granted,
            tier: check.tier.as_str().to_owned(),
            required_tier: check.required_tier.as_str().to_owned(),
            reason: check.reason,
            upgrade_url: check.upgrade_url,
        }
    }
}
