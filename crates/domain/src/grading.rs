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

        const KEYS: [&str; 6] = ["A", "B", "C", "D", "E", "F"];

        /// A question of any kind with 2–6 options and a random key; ids are set by the quiz.
        fn any_question() -> impl Strategy<Value = GradedQuestion> {
            (
                0..3usize,
                2..=6usize,
                proptest::collection::vec(any::<bool>(), 6),
                0..6usize,
                any::<bool>(),
            )
                .prop_map(|(kind, count, in_key, single, truth)| {
                    let options = options(&KEYS[..count]);
                    let (kind, answer) = match kind {
                        0 => (
                            QuestionKind::SingleChoice,
                            Answer::Single(KEYS[single % count].into()),
                        ),
                        1 => {
                            let mut keys: BTreeSet<String> = (0..count)
                                .filter(|i| in_key[*i])
                                .map(|i| KEYS[i].to_owned())
                                .collect();
                            if keys.is_empty() {
                                keys.insert(KEYS[single % count].into());
                            }
                            (QuestionKind::MultipleChoice, Answer::Multiple(keys))
                        }
                        _ => (QuestionKind::TrueFalse, Answer::TrueFalse(truth)),
                    };
                    let options =
                        if kind == QuestionKind::TrueFalse { BTreeMap::new() } else { options };
                    GradedQuestion { id: Uuid::nil(), kind, options, answer }
                })
        }

        /// What a learner meant to answer to one question.
        #[derive(Debug, Clone)]
        enum Intent {
            Blank,
            /// The question's key.
            Key,
            /// These options (by position, wrapped to the question's count), or for true/false
            /// the first one's parity.
            Picks(Vec<usize>),
        }

        /// An intent and how it is written: upper or lower case, padded with spaces or not.
        #[derive(Debug, Clone)]
        struct Choice {
            intent: Intent,
            lower: bool,
            padded: bool,
        }

        impl Choice {
            /// The option keys meant, upper-case, or the truth value meant.
            fn picks(&self, question: &GradedQuestion) -> Option<(BTreeSet<String>, bool)> {
                let count = question.options.len().max(2);
                match (&self.intent, &question.answer) {
                    (Intent::Blank, _) => None,
                    (Intent::Key, Answer::TrueFalse(value)) => Some((BTreeSet::new(), *value)),
                    (Intent::Key, answer) => Some((answer.keys().into_iter().collect(), false)),
                    (Intent::Picks(picks), Answer::Single(_)) => {
                        Some(([KEYS[picks[0] % count].to_owned()].into(), false))
                    }
                    (Intent::Picks(picks), Answer::Multiple(_)) => {
                        Some((picks.iter().map(|p| KEYS[p % count].to_owned()).collect(), false))
                    }
                    (Intent::Picks(picks), Answer::TrueFalse(_)) => {
                        Some((BTreeSet::new(), picks[0] % 2 == 0))
                    }
                }
            }

            /// The answer as a client sends it, or `None` for a blank.
            fn render(&self, question: &GradedQuestion) -> Option<Submitted> {
                let write = |text: &str| {
                    let text = if self.lower { text.to_lowercase() } else { text.to_uppercase() };
                    if self.padded { format!(" {text} ") } else { text }
                };
                let (keys, truth) = self.picks(question)?;
                Some(match question.kind {
                    QuestionKind::SingleChoice => Submitted::One(write(keys.first()?)),
                    // Written in reverse order, with the first key repeated.
                    QuestionKind::MultipleChoice => Submitted::Many(
                        keys.iter().rev().chain(keys.first()).map(|key| write(key)).collect(),
                    ),
                    QuestionKind::TrueFalse => Submitted::One(write(&truth.to_string())),
                })
            }

            /// The normalised answer the grader should report as selected.
            fn meant(&self, question: &GradedQuestion) -> Option<Answer> {
                let (keys, truth) = self.picks(question)?;
                Some(match question.kind {
                    QuestionKind::SingleChoice => Answer::Single(keys.first()?.clone()),
                    QuestionKind::MultipleChoice => Answer::Multiple(keys),
                    QuestionKind::TrueFalse => Answer::TrueFalse(truth),
                })
            }

            /// Whether the learner meant exactly the key.
            fn is_right(&self, question: &GradedQuestion) -> bool {
                match (self.picks(question), &question.answer) {
                    (None, _) => false,
                    (Some((_, truth)), Answer::TrueFalse(value)) => truth == *value,
                    (Some((keys, _)), answer) => {
                        keys == answer.keys().into_iter().collect::<BTreeSet<_>>()
                    }
                }
            }
        }

        fn any_choice() -> impl Strategy<Value = Choice> {
            let intent = prop_oneof![
                1 => Just(Intent::Blank),
                2 => Just(Intent::Key),
                3 => proptest::collection::vec(0..6usize, 1..5).prop_map(Intent::Picks),
            ];
            (intent, any::<bool>(), any::<bool>()).prop_map(|(intent, lower, padded)| Choice {
                intent,
                lower,
                padded,
            })
        }

        /// A quiz of 1–12 questions (ids 1, 2, …) and one choice per question.
        fn any_quiz_with_choices() -> impl Strategy<Value = (Vec<GradedQuestion>, Vec<Choice>)> {
            proptest::collection::vec((any_question(), any_choice()), 1..12).prop_map(|pairs| {
                pairs
                    .into_iter()
                    .enumerate()
                    .map(|(index, (question, choice))| {
                        (
                            GradedQuestion { id: Uuid::from_u128(index as u128 + 1), ..question },
                            choice,
                        )
                    })
                    .unzip()
            })
        }

        /// Mostly answers of the right shape (letters in any case, true/false), some anything.
        fn any_submitted() -> impl Strategy<Value = Submitted> {
            prop_oneof![
                3 => " ?[a-dA-D] ?".prop_map(Submitted::One),
                2 => "(true|false|TRUE|False)".prop_map(Submitted::One),
                2 => proptest::collection::vec("[a-dA-D]", 1..4).prop_map(Submitted::Many),
                1 => ".{0,8}".prop_map(Submitted::One),
                1 => proptest::collection::vec(".{0,4}", 0..6).prop_map(Submitted::Many),
            ]
        }

        /// Mostly the quiz's own question ids, sometimes an unknown one or anything.
        fn any_answers() -> impl Strategy<Value = HashMap<String, Submitted>> {
            let key = prop_oneof![
                8 => (1u128..=3).prop_map(|n| Uuid::from_u128(n).to_string()),
                1 => Just(Uuid::from_u128(4).to_string()),
                1 => ".{0,40}",
            ];
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

            /// Answers drawn from each question's own options (so they are almost always
            /// gradable), in any case and spacing, some left blank, graded against a reference
            /// that works from which options the learner meant rather than from the strings.
            #[test]
            fn valid_answers_are_graded_as_the_reference_grades_them(
                (questions, choices) in any_quiz_with_choices(),
                pass_mark in 0u8..=100,
            ) {
                let submitted: HashMap<String, Submitted> = questions
                    .iter()
                    .zip(&choices)
                    .filter_map(|(question, choice)| {
                        choice.render(question).map(|answer| (question.id.to_string(), answer))
                    })
                    .collect();
                let result = grade(&questions, &submitted, pass_mark);
                if submitted.is_empty() {
                    prop_assert_eq!(result.map_err(|problems| problems[0].question.clone()), Err("answers".to_owned()));
                    return Ok(());
                }
                let grade = result.map_err(|problems| TestCaseError::fail(format!("{problems:?}")))?;
                let expected: Vec<(Uuid, Option<Answer>, bool)> = questions
                    .iter()
                    .zip(&choices)
                    .map(|(question, choice)| (question.id, choice.meant(question), choice.is_right(question)))
                    .collect();
                let outcomes: Vec<(Uuid, Option<Answer>, bool)> = grade
                    .outcomes
                    .iter()
                    .map(|outcome| (outcome.question_id, outcome.selected.clone(), outcome.is_correct))
                    .collect();
                prop_assert_eq!(outcomes, expected);
                let total = u32::try_from(questions.len()).unwrap();
                let correct = u32::try_from(choices.iter().zip(&questions).filter(|(c, q)| c.is_right(q)).count()).unwrap();
                // The score is the largest whole percentage not above correct / total.
                let score = (0..=100u8).rev().find(|s| u32::from(*s) * total <= 100 * correct).unwrap();
                prop_assert_eq!((grade.correct_count, grade.total, grade.score), (correct, total, score));
                prop_assert_eq!(grade.passed, score >= pass_mark);
            }

            #[test]
            fn answering_every_question_with_its_key_in_any_case_scores_100_and_passes_any_mark(
                (questions, choices) in any_quiz_with_choices(),
                pass_mark in 0u8..=100,
            ) {
                let keyed: HashMap<String, Submitted> = questions
                    .iter()
                    .zip(&choices)
                    .map(|(question, choice)| {
                        let key = Choice { intent: Intent::Key, ..choice.clone() };
                        (question.id.to_string(), key.render(question).unwrap())
                    })
                    .collect();
                let grade = grade(&questions, &keyed, pass_mark).unwrap();
                prop_assert_eq!((grade.score, grade.passed), (100, true));
                prop_assert!(grade.outcomes.iter().all(|outcome| outcome.is_correct));
            }
        }
    }
}
