//! Rule-based grading of a quiz submission. Deterministic, total, and free of I/O.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use uuid::Uuid;

use crate::quiz::{Answer, QuestionKind};

/// An answer as a client sent it: one string, or a list of strings for multiple choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    One(String),
    Many(Vec<String>),
}

/// A question as the grader needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradedQuestion {
    pub id: Uuid,
    pub kind: QuestionKind,
    /// Option keys (`A`…) to texts; empty for true/false.
    pub options: BTreeMap<String, String>,
    pub answer: Answer,
}

/// One answer that cannot be graded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerProblem {
    /// The question id as the client wrote it (`answers` for a problem with the whole map).
    pub question: String,
    pub reason: String,
}

/// The outcome for one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionOutcome {
    pub question_id: Uuid,
    /// The normalised answer, or `None` when the question was left unanswered.
    pub selected: Option<Answer>,
    pub is_correct: bool,
}

/// The outcome of a whole submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grade {
    /// In the quiz's question order.
    pub outcomes: Vec<QuestionOutcome>,
    pub correct_count: u32,
    pub total: u32,
    /// floor(100 × correct / total).
    pub score: u8,
    pub passed: bool,
}

/// Normalises one submitted answer for a question's kind: letters upper-cased, true/false
/// lower-cased, multiple-choice keys as a set. Errors name what is wrong.
fn normalise(question: &GradedQuestion, submitted: &Submitted) -> Result<Answer, String> {
    let option = |key: &str| {
        let key = key.trim().to_ascii_uppercase();
        if question.options.contains_key(&key) {
            Ok(key)
        } else {
            let keys: Vec<&str> = question.options.keys().map(String::as_str).collect();
            Err(format!("`{key}` is not an option of this question ({})", keys.join(", ")))
        }
    };
    match (question.kind, submitted) {
        (QuestionKind::SingleChoice, Submitted::One(key)) => option(key).map(Answer::Single),
        (QuestionKind::SingleChoice, Submitted::Many(_)) => {
            Err("a single_choice question takes one option key, e.g. \"B\"".into())
        }
        (QuestionKind::MultipleChoice, Submitted::Many(keys)) if !keys.is_empty() => keys
            .iter()
            .map(|key| option(key))
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Answer::Multiple),
        (QuestionKind::MultipleChoice, _) => {
            Err("a multiple_choice question takes a non-empty array of option keys, e.g. [\"A\", \"C\"]".into())
        }
        (QuestionKind::TrueFalse, Submitted::One(value)) => {
            match value.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(Answer::TrueFalse(true)),
                "false" => Ok(Answer::TrueFalse(false)),
                _ => Err(format!("a true_false question takes \"true\" or \"false\", not `{value}`")),
            }
        }
        (QuestionKind::TrueFalse, Submitted::Many(_)) => {
            Err("a true_false question takes \"true\" or \"false\"".into())
        }
    }
}

/// Grades `answers` (question id as sent → answer) against `questions`. Every problem is
/// reported at once; with any problem nothing is graded. Unanswered questions count as wrong.
pub fn grade(
    questions: &[GradedQuestion],
    answers: &HashMap<String, Submitted>,
    pass_mark: u8,
) -> Result<Grade, Vec<AnswerProblem>> {
    let mut problems = Vec::new();
    if answers.is_empty() {
        problems.push(AnswerProblem {
            question: "answers".into(),
            reason: "answer at least one question".into(),
        });
    }
    let by_id: HashMap<Uuid, &GradedQuestion> = questions.iter().map(|q| (q.id, q)).collect();
    let mut selected: HashMap<Uuid, Answer> = HashMap::new();
    for (key, submitted) in answers {
        let question = Uuid::parse_str(key.trim()).ok().and_then(|id| by_id.get(&id));
        match question {
            None => problems.push(AnswerProblem {
                question: key.clone(),
                reason: "no question of this quiz has this id".into(),
            }),
            Some(question) => match normalise(question, submitted) {
                Ok(answer) => {
                    selected.insert(question.id, answer);
                }
                Err(reason) => problems.push(AnswerProblem { question: key.clone(), reason }),
            },
        }
    }
    if !problems.is_empty() {
        problems.sort_by(|a, b| a.question.cmp(&b.question));
        return Err(problems);
    }
    let outcomes: Vec<QuestionOutcome> = questions
        .iter()
        .map(|question| {
            let answer = selected.remove(&question.id);
            let is_correct = answer.as_ref() == Some(&question.answer);
            QuestionOutcome { question_id: question.id, selected: answer, is_correct }
        })
        .collect();
    let total = u32::try_from(outcomes.len()).unwrap_or(u32::MAX);
    let correct_count =
        u32::try_from(outcomes.iter().filter(|o| o.is_correct).count()).unwrap_or(0);
    let score = score(correct_count, total);
    Ok(Grade { outcomes, correct_count, total, score, passed: score >= pass_mark })
}

/// floor(100 × correct / total), 0 for an empty quiz.
pub fn score(correct: u32, total: u32) -> u8 {
    if total == 0 {
        return 0;
    }
    let percent = u64::from(correct.min(total)) * 100 / u64::from(total);
    u8::try_from(percent).unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(keys: &[&str]) -> BTreeMap<String, String> {
        keys.iter().map(|k| ((*k).to_owned(), format!("option {k}"))).collect()
    }

    fn quiz() -> Vec<GradedQuestion> {
        vec![
            GradedQuestion {
                id: Uuid::from_u128(1),
                kind: QuestionKind::SingleChoice,
                options: options(&["A", "B", "C", "D"]),
                answer: Answer::Single("B".into()),
            },
            GradedQuestion {
                id: Uuid::from_u128(2),
                kind: QuestionKind::MultipleChoice,
                options: options(&["A", "B", "C", "D"]),
                answer: Answer::Multiple(["A".into(), "C".into()].into()),
            },
            GradedQuestion {
                id: Uuid::from_u128(3),
                kind: QuestionKind::TrueFalse,
                options: BTreeMap::new(),
                answer: Answer::TrueFalse(false),
            },
        ]
    }

    fn one(text: &str) -> Submitted {
        Submitted::One(text.into())
    }

    fn many(keys: &[&str]) -> Submitted {
        Submitted::Many(keys.iter().map(|k| (*k).to_owned()).collect())
    }

    fn answers(pairs: Vec<(u128, Submitted)>) -> HashMap<String, Submitted> {
        pairs.into_iter().map(|(id, answer)| (Uuid::from_u128(id).to_string(), answer)).collect()
    }

    /// The hand-computed table: each row is the answers, the expected per-question
    /// correctness, and the expected score.
    #[test]
    fn grading_matches_a_hand_computed_table_over_all_kinds_and_mixed_case() {
        /// Answers, expected correctness per question, expected score.
        type Row = (Vec<(u128, Submitted)>, [bool; 3], u8);
        let table: Vec<Row> = vec![
            (
                vec![(1, one("B")), (2, many(&["A", "C"])), (3, one("false"))],
                [true, true, true],
                100,
            ),
            (
                vec![(1, one("b")), (2, many(&["c", "a"])), (3, one("FALSE"))],
                [true, true, true],
                100,
            ),
            (
                vec![(1, one(" b ")), (2, many(&["A", "C", "a"])), (3, one("False"))],
                [true, true, true],
                100,
            ),
            (
                vec![(1, one("A")), (2, many(&["A", "C"])), (3, one("false"))],
                [false, true, true],
                66,
            ),
            (vec![(1, one("B")), (2, many(&["A"])), (3, one("true"))], [true, false, false], 33),
            (vec![(1, one("B")), (2, many(&["A", "B", "C"]))], [true, false, false], 33),
            (vec![(3, one("false"))], [false, false, true], 33),
            (
                vec![(1, one("C")), (2, many(&["B", "D"])), (3, one("true"))],
                [false, false, false],
                0,
            ),
        ];
        for (row, (submitted, expected, score)) in table.into_iter().enumerate() {
            let grade = grade(&quiz(), &answers(submitted), 70).unwrap();
            let correct: Vec<bool> = grade.outcomes.iter().map(|o| o.is_correct).collect();
            assert_eq!(correct, expected, "row {row}");
            assert_eq!(grade.score, score, "row {row}");
            assert_eq!(grade.passed, score >= 70, "row {row}");
            assert_eq!(grade.total, 3);
        }
    }

    #[test]
    fn an_unanswered_question_is_wrong_and_shows_no_selection() {
        let grade = grade(&quiz(), &answers(vec![(1, one("B"))]), 70).unwrap();
        assert_eq!(grade.outcomes[1].selected, None);
        assert!(!grade.outcomes[1].is_correct);
        assert_eq!(grade.outcomes[0].selected, Some(Answer::Single("B".into())));
    }

    #[test]
    fn every_invalid_answer_is_reported_and_nothing_is_graded() {
        let mut submitted =
            answers(vec![(1, one("E")), (2, one("A")), (3, one("maybe")), (9, one("A"))]);
        submitted.insert("not-a-uuid".into(), one("A"));
        let problems = grade(&quiz(), &submitted, 70).unwrap_err();
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems.iter().any(|p| p.reason.contains("not an option")));
        assert!(problems.iter().filter(|p| p.reason.contains("no question")).count() == 2);
    }

    #[test]
    fn an_empty_answer_map_or_an_empty_selection_is_a_problem() {
        assert_eq!(grade(&quiz(), &HashMap::new(), 70).unwrap_err()[0].question, "answers");
        assert!(grade(&quiz(), &answers(vec![(2, many(&[]))]), 70).is_err());
        assert!(grade(&quiz(), &answers(vec![(1, many(&["B"]))]), 70).is_err(), "wrong shape");
    }

    #[test]
    fn the_pass_mark_is_inclusive() {
        let two_of_three = answers(vec![(1, one("B")), (2, many(&["A", "C"]))]);
        assert!(grade(&quiz(), &two_of_three, 66).unwrap().passed);
        assert!(!grade(&quiz(), &two_of_three, 67).unwrap().passed);
    }

    #[test]
    fn the_score_is_floored() {
        assert_eq!(score(2, 3), 66);
        assert_eq!(score(1, 3), 33);
        assert_eq!(score(5, 5), 100);
        assert_eq!(score(0, 0), 0);
        assert_eq!(score(7, 5), 100, "never above 100");
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn any_submitted() -> impl Strategy<Value = Submitted> {
            prop_oneof![
                ".{0,8}".prop_map(Submitted::One),
                proptest::collection::vec(".{0,4}", 0..6).prop_map(Submitted::Many),
            ]
        }

        fn any_answers() -> impl Strategy<Value = HashMap<String, Submitted>> {
            let key =
                prop_oneof![(1u128..=4).prop_map(|n| Uuid::from_u128(n).to_string()), ".{0,40}",];
            proptest::collection::hash_map(key, any_submitted(), 0..6)
        }

        proptest! {
            #[test]
            fn grading_never_panics_and_the_score_stays_between_0_and_100(
                submitted in any_answers(),
                pass_mark in 0u8..=100,
            ) {
                if let Ok(grade) = grade(&quiz(), &submitted, pass_mark) {
                    prop_assert!(grade.score <= 100);
                    prop_assert!(grade.correct_count <= grade.total);
                    prop_assert_eq!(grade.passed, grade.score >= pass_mark);
                }
            }

            #[test]
            fn the_order_of_keys_never_changes_the_result(
                submitted in any_answers(),
                seed in any::<u64>(),
            ) {
                let mut pairs: Vec<(String, Submitted)> = submitted.clone().into_iter().collect();
                // A deterministic shuffle driven by the seed.
                pairs.sort_by_key(|(key, _)| {
                    key.bytes().fold(seed, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
                });
                let reordered: HashMap<String, Submitted> = pairs.into_iter().collect();
                prop_assert_eq!(grade(&quiz(), &submitted, 70), grade(&quiz(), &reordered, 70));
            }

            #[test]
            fn all_correct_gives_100(case in proptest::bool::ANY) {
                let b = if case { "b" } else { "B" };
                let all = answers(vec![(1, one(b)), (2, many(&["C", "A"])), (3, one("false"))]);
                prop_assert_eq!(grade(&quiz(), &all, 100).map(|g| g.score), Ok(100));
            }
        }
    }
}
