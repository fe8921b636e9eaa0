//! The tutoring prompts: authored text shipped with the course package (`content/prompts/`),
//! filled in with the chapter the host asks about, never generated.

use rmcp::model::{GetPromptResult, Prompt, PromptArgument, PromptMessage, Role};

struct Authored {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    takes_chapter: bool,
    text: &'static str,
}

const PROMPTS: [Authored; 4] = [
    Authored {
        name: "socratic_tutor",
        title: "Socratic tutor",
        description: "Guide the learner through a chapter with questions instead of answers.",
        takes_chapter: true,
        text: include_str!("../../../content/prompts/socratic_tutor.md"),
    },
    Authored {
        name: "quiz_master",
        title: "Quiz master",
        description: "Run a chapter's quiz one question at a time, graded by submit_quiz.",
        takes_chapter: true,
        text: include_str!("../../../content/prompts/quiz_master.md"),
    },
    Authored {
        name: "concept_explainer",
        title: "Concept explainer",
        description: "Explain a concept from a chapter at the learner's level, quoting it.",
        takes_chapter: true,
        text: include_str!("../../../content/prompts/concept_explainer.md"),
    },
    Authored {
        name: "progress_motivator",
        title: "Progress motivator",
        description: "Show the learner their progress and streak and suggest the next step.",
        takes_chapter: false,
        text: include_str!("../../../content/prompts/progress_motivator.md"),
    },
];

/// Every prompt, with its arguments.
pub(crate) fn list() -> Vec<Prompt> {
    PROMPTS
        .iter()
        .map(|prompt| {
            let arguments = prompt.takes_chapter.then(|| {
                vec![
                    PromptArgument::new("chapter")
                        .with_title("Chapter")
                        .with_description(
                            "The chapter's slug (e.g. what-is-an-ai-agent), from \
                             get_course_outline.",
                        )
                        .with_required(true),
                ]
            });
            Prompt::new(prompt.name, Some(prompt.description), arguments).with_title(prompt.title)
        })
        .collect()
}

/// Why a prompt cannot be given.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PromptError {
    #[error("No prompt named {0}.")]
    Unknown(String),
    #[error("The argument `chapter` is required: a chapter slug from get_course_outline.")]
    MissingChapter,
    #[error("The argument `chapter` must be a chapter's slug or UUID.")]
    BadChapter,
}

/// The prompt `name` for `chapter` (when it takes one).
pub(crate) fn get(name: &str, chapter: Option<&str>) -> Result<GetPromptResult, PromptError> {
    let prompt = PROMPTS
        .iter()
        .find(|prompt| prompt.name == name)
        .ok_or_else(|| PromptError::Unknown(name.to_owned()))?;
    let text = if prompt.takes_chapter {
        let chapter = chapter.map(str::trim).ok_or(PromptError::MissingChapter)?;
        chapter.parse::<domain::ChapterRef>().map_err(|_| PromptError::BadChapter)?;
        prompt.text.replace("{chapter}", chapter)
    } else {
        prompt.text.to_owned()
    };
    Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
        .with_description(prompt.description))
}
