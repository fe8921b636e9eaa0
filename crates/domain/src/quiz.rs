//! Quizzes as authored: kinds of question, answer keys and their validation.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use toml::Spanned;

use crate::source::{PackageError, line_at};

/// The kinds of question the grader knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// One option key out of 2–6 (`A`…`F`).
    SingleChoice,
    /// A set of option keys, graded as an exact set match.
    MultipleChoice,
    /// `"true"` or `"false"`.
    TrueFalse,
}

impl QuestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SingleChoice => "single_choice",
            Self::MultipleChoice => "multiple_choice",
            Self::TrueFalse => "true_false",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::SingleChoice, Self::MultipleChoice, Self::TrueFalse]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// When a learner sees the answer key and explanations after submitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevealAnswers {
    #[default]
    Always,
    AfterPass,
}

impl RevealAnswers {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::AfterPass => "after_pass",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Always, Self::AfterPass].into_iter().find(|reveal| reveal.as_str() == text)
    }

    /// Whether feedback on an attempt that `passed` (or not) may say which questions were
    /// right, and show the key and explanations. Hidden correctness is hidden entirely: a
    /// failed attempt that still said which answers were wrong would let the key be read off
    /// by elimination, so it shows only its score.
    pub fn shows_key(self, passed: bool) -> bool {
        self == Self::Always || passed
    }
}

/// The correct answer of a question; option keys are upper-case letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Single(String),
    Multiple(BTreeSet<String>),
    TrueFalse(bool),
}

impl Answer {
    /// The answer as a list of keys (`["B"]`, `["A", "C"]`, `["true"]`), the stored form.
    pub fn keys(&self) -> Vec<String> {
        match self {
            Self::Single(key) => vec![key.clone()],
            Self::Multiple(keys) => keys.iter().cloned().collect(),
            Self::TrueFalse(value) => vec![value.to_string()],
        }
    }

    /// Rebuilds an answer from its stored keys; `None` when they do not fit the kind.
    pub fn from_keys(kind: QuestionKind, keys: &[String]) -> Option<Self> {
        match (kind, keys) {
            (QuestionKind::SingleChoice, [key]) => Some(Self::Single(key.clone())),
            (QuestionKind::MultipleChoice, keys) if !keys.is_empty() => {
                Some(Self::Multiple(keys.iter().cloned().collect()))
            }
            (QuestionKind::TrueFalse, [value]) => value.parse().ok().map(Self::TrueFalse),
            _ => None,
        }
    }
}

/// One validated question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// 1-based position in the quiz.
    pub position: u32,
    pub kind: QuestionKind,
    pub text: String,
    /// Option key (`A`…`F`) to option text; empty for true/false.
    pub options: BTreeMap<String, String>,
    pub answer: Answer,
    pub explanation: String,
}

/// One validated quiz file, attached to a chapter by slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuizSource {
    pub file: String,
    /// Line of the `chapter = …` key, for cross-file messages.
    pub chapter_line: usize,
    pub chapter_slug: String,
    pub title: String,
    pub pass_mark: u8,
    pub reveal_answers: RevealAnswers,
    pub max_attempts: Option<u32>,
    pub questions: Vec<Question>,
}

pub const DEFAULT_PASS_MARK: u8 = 70;
const OPTION_KEYS: [&str; 6] = ["A", "B", "C", "D", "E", "F"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuizFile {
    chapter: Spanned<String>,
    title: String,
    #[serde(default)]
    pass_mark: Option<Spanned<i64>>,
    #[serde(default)]
    reveal_answers: RevealAnswers,
    #[serde(default)]
    max_attempts: Option<Spanned<i64>>,
    questions: Vec<Spanned<QuestionFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionFile {
    kind: QuestionKind,
    text: String,
    #[serde(default)]
    options: BTreeMap<String, String>,
    answer: AnswerFile,
    explanation: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AnswerFile {
    One(String),
    Many(Vec<String>),
}

impl QuizSource {
    /// Parses and validates a quiz file written in TOML.
    pub fn parse_toml(file: &str, text: &str) -> Result<Self, Vec<PackageError>> {
        let line_of = |offset: usize| line_at(text, offset);
        let raw: QuizFile = toml::from_str(text).map_err(|error| {
            let line = error.span().map_or(1, |span| line_of(span.start));
            vec![PackageError::new(file, line, error.message().trim().to_owned())]
        })?;
        let mut errors = Vec::new();
        let pass_mark = match raw.pass_mark {
            None => DEFAULT_PASS_MARK,
            Some(mark) => {
                u8::try_from(*mark.get_ref()).ok().filter(|m| *m <= 100).unwrap_or_else(|| {
                    errors.push(PackageError::new(
                        file,
                        line_of(mark.span().start),
                        "pass_mark must be 0 to 100".into(),
                    ));
                    DEFAULT_PASS_MARK
                })
            }
        };
        let max_attempts = raw.max_attempts.and_then(|max| {
            let value = u32::try_from(*max.get_ref()).ok().filter(|m| *m > 0);
            if value.is_none() {
                errors.push(PackageError::new(
                    file,
                    line_of(max.span().start),
                    "max_attempts must be a positive whole number".into(),
                ));
            }
            value
        });
        if raw.title.trim().is_empty() {
            errors.push(PackageError::new(file, 1, "title must not be empty".into()));
        }
        if raw.questions.is_empty() {
            errors.push(PackageError::new(file, 1, "a quiz needs at least one question".into()));
        }
        let mut questions = Vec::with_capacity(raw.questions.len());
        for (index, spanned) in raw.questions.into_iter().enumerate() {
            let line = line_of(spanned.span().start);
            let position = u32::try_from(index + 1).unwrap_or(u32::MAX);
            match validate_question(position, spanned.into_inner()) {
                Ok(question) => questions.push(question),
                Err(reason) => errors.push(PackageError::new(file, line, reason)),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            file: file.to_owned(),
            chapter_line: line_of(raw.chapter.span().start),
            chapter_slug: raw.chapter.into_inner(),
            title: raw.title,
            pass_mark,
            reveal_answers: raw.reveal_answers,
            max_attempts,
            questions,
        })
    }
}

fn validate_question(position: u32, raw: QuestionFile) -> Result<Question, String> {
    if raw.text.trim().is_empty() {
        return Err(format!("question {position}: text must not be empty"));
    }
    if raw.explanation.trim().is_empty() {
        return Err(format!("question {position}: explanation must not be empty"));
    }
    let kind = raw.kind;
    let options = raw.options;
    let upper = |key: &str| key.trim().to_ascii_uppercase();
    let answer = match kind {
        QuestionKind::TrueFalse => {
            if !options.is_empty() {
                return Err(format!("question {position}: true_false takes no options"));
            }
            match raw.answer {
                AnswerFile::One(value) if value == "true" || value == "false" => {
                    Answer::TrueFalse(value == "true")
                }
                _ => {
                    return Err(format!(
                        "question {position}: answer must be \"true\" or \"false\""
                    ));
                }
            }
        }
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
            let expected: Vec<&str> = OPTION_KEYS.iter().take(options.len()).copied().collect();
            let keys: Vec<&str> = options.keys().map(String::as_str).collect();
            if !(2..=6).contains(&options.len()) || keys != expected {
                return Err(format!(
                    "question {position}: options must be keyed A, B, … with 2 to 6 of them"
                ));
            }
            if options.values().any(|text| text.trim().is_empty()) {
                return Err(format!("question {position}: an option's text is empty"));
            }
            let check = |key: String| {
                if options.contains_key(&key) {
                    Ok(key)
                } else {
                    Err(format!("question {position}: answer `{key}` is not one of the options"))
                }
            };
            match (kind, raw.answer) {
                (QuestionKind::SingleChoice, AnswerFile::One(key)) => {
                    Answer::Single(check(upper(&key))?)
                }
                (QuestionKind::MultipleChoice, AnswerFile::Many(keys)) if !keys.is_empty() => {
                    let keys: BTreeSet<String> =
                        keys.iter().map(|key| check(upper(key))).collect::<Result<_, _>>()?;
                    Answer::Multiple(keys)
                }
                (QuestionKind::SingleChoice, _) => {
                    return Err(format!("question {position}: single_choice takes one answer key"));
                }
                _ => {
                    return Err(format!(
                        "question {position}: multiple_choice takes a non-empty array of answer keys"
                    ));
                }
            }
        }
    };
    Ok(Question { position, kind, text: raw.text, options, answer, explanation: raw.explanation })
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUIZ: &str = r#"chapter = "tools"
title = "Quiz: Tools"

[[questions]]
kind = "single_choice"
text = "Pick one"
options = { A = "a", B = "b", C = "c", D = "d" }
answer = "b"
explanation = "Because."

[[questions]]
kind = "multiple_choice"
text = "Pick some"
options = { A = "a", B = "b", C = "c" }
answer = ["A", "C"]
explanation = "Because."

[[questions]]
kind = "true_false"
text = "Yes?"
answer = "false"
explanation = "No."
"#;

    #[test]
    fn a_valid_quiz_parses_with_defaults_and_upper_case_keys() {
        let quiz = QuizSource::parse_toml("q.toml", QUIZ).unwrap();
        assert_eq!(quiz.chapter_slug, "tools");
        assert_eq!(quiz.pass_mark, DEFAULT_PASS_MARK);
        assert_eq!(quiz.reveal_answers, RevealAnswers::Always);
        assert_eq!(quiz.questions.len(), 3);
        assert_eq!(quiz.questions[0].answer, Answer::Single("B".into()));
        assert_eq!(quiz.questions[1].answer.keys(), vec!["A", "C"]);
        assert_eq!(quiz.questions[2].answer, Answer::TrueFalse(false));
        assert_eq!(quiz.questions[2].position, 3);
    }

    #[test]
    fn an_answer_outside_the_options_is_reported_at_its_question() {
        let text = QUIZ.replace("answer = \"b\"", "answer = \"E\"");
        let errors = QuizSource::parse_toml("q.toml", &text).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].reason.contains("not one of the options"), "{errors:?}");
        assert!((4..=9).contains(&errors[0].line), "{errors:?}");
    }

    #[test]
    fn option_keys_must_run_from_a_with_two_to_six() {
        let text = QUIZ.replace("{ A = \"a\", B = \"b\", C = \"c\" }", "{ A = \"a\", C = \"c\" }");
        assert!(QuizSource::parse_toml("q.toml", &text).is_err());
        let text = QUIZ.replace("{ A = \"a\", B = \"b\", C = \"c\" }", "{ A = \"a\" }");
        assert!(QuizSource::parse_toml("q.toml", &text).is_err());
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        let text = QUIZ.replace("title = \"Quiz: Tools\"", "title = ");
        let errors = QuizSource::parse_toml("q.toml", &text).unwrap_err();
        assert_eq!(errors[0].line, 2, "{errors:?}");
    }

    #[test]
    fn answers_round_trip_through_their_stored_keys() {
        for (kind, answer) in [
            (QuestionKind::SingleChoice, Answer::Single("C".into())),
            (QuestionKind::MultipleChoice, Answer::Multiple(["A".into(), "D".into()].into())),
            (QuestionKind::TrueFalse, Answer::TrueFalse(true)),
        ] {
            assert_eq!(Answer::from_keys(kind, &answer.keys()), Some(answer));
        }
        assert_eq!(Answer::from_keys(QuestionKind::TrueFalse, &["maybe".into()]), None);
    }

    #[test]
    fn after_pass_shows_the_key_only_for_a_passed_attempt_and_always_shows_it_for_both() {
        assert!(RevealAnswers::Always.shows_key(false));
        assert!(RevealAnswers::Always.shows_key(true));
        assert!(!RevealAnswers::AfterPass.shows_key(false));
        assert!(RevealAnswers::AfterPass.shows_key(true));
    }

    #[test]
    fn pass_mark_and_max_attempts_are_bounded() {
        let text = QUIZ
            .replace("title = \"Quiz: Tools\"", "title = \"T\"\npass_mark = 101\nmax_attempts = 0");
        let errors = QuizSource::parse_toml("q.toml", &text).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].line, 3);
    }
}
