//! Brings the database in line with a validated course package, in one transaction.

use std::collections::HashMap;

use chrono::Utc;
use domain::{ChapterSource, CoursePackage, QuizSource};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use crate::entity::{chapter, question, quiz};
use crate::{Database, PersistenceError};

/// Where a chapter's body was put in the content store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBody {
    pub content_key: String,
    pub content_sha256: String,
}

/// What an import changed. An unchanged package gives all zeros but `unchanged`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted: usize,
    pub quizzes_written: usize,
}

impl SyncReport {
    pub fn changed_anything(&self) -> bool {
        self.created + self.updated + self.deleted + self.quizzes_written > 0
    }
}

impl Database {
    /// Upserts chapters by slug (ids survive), deletes chapters the package no longer has
    /// (with their quizzes), and rewrites only the quizzes that changed. Learners' data is
    /// never touched. `bodies[i]` is where `package.chapters[i]`'s body was stored.
    pub async fn sync_course(
        &self,
        package: &CoursePackage,
        bodies: &[StoredBody],
    ) -> Result<SyncReport, PersistenceError> {
        if bodies.len() != package.chapters.len() {
            return Err(PersistenceError::Corrupt(
                "one stored body per chapter is required".into(),
            ));
        }
        let txn = self.conn.begin().await?;
        let report = sync_in(&txn, package, bodies).await?;
        txn.commit().await?;
        Ok(report)
    }
}

async fn sync_in(
    txn: &DatabaseTransaction,
    package: &CoursePackage,
    bodies: &[StoredBody],
) -> Result<SyncReport, PersistenceError> {
    let mut report = SyncReport::default();
    let existing: HashMap<String, chapter::Model> = chapter::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|row| (row.slug.clone(), row))
        .collect();
    let wanted: HashMap<&str, (&ChapterSource, &StoredBody)> = package
        .chapters
        .iter()
        .zip(bodies)
        .map(|(chapter, body)| (chapter.slug.as_str(), (chapter, body)))
        .collect();

    let gone: Vec<Uuid> = existing
        .values()
        .filter(|row| !wanted.contains_key(row.slug.as_str()))
        .map(|row| row.id)
        .collect();
    if !gone.is_empty() {
        report.deleted = gone.len();
        chapter::Entity::delete_many().filter(chapter::Column::Id.is_in(gone)).exec(txn).await?;
    }
    // Orders are unique: park every chapter that moves on a negative order first, so that
    // swapping two chapters never collides halfway.
    for (slot, row) in existing.values().enumerate() {
        if let Some((source, _)) = wanted.get(row.slug.as_str())
            && i64::from(source.order) != i64::from(row.order)
        {
            let mut parked = row.clone().into_active_model();
            parked.order = Set(-1 - i32::try_from(slot).unwrap_or(i32::MAX - 1));
            parked.update(txn).await?;
        }
    }

    let now = Utc::now();
    let mut chapter_ids = HashMap::new();
    for (source, body) in package.chapters.iter().zip(bodies) {
        let fields = ChapterFields::of(source, body)?;
        let id = match existing.get(&source.slug) {
            Some(row) if fields.matches(row) => {
                report.unchanged += 1;
                row.id
            }
            Some(row) => {
                let mut model = row.clone().into_active_model();
                fields.apply(&mut model);
                model.updated_at = Set(now);
                model.update(txn).await?;
                report.updated += 1;
                row.id
            }
            None => {
                let id = Uuid::new_v4();
                let mut model = chapter::ActiveModel {
                    id: Set(id),
                    slug: Set(source.slug.clone()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                };
                fields.apply(&mut model);
                model.insert(txn).await?;
                report.created += 1;
                id
            }
        };
        chapter_ids.insert(source.slug.as_str(), id);
    }

    let quizzes: HashMap<&str, &QuizSource> =
        package.quizzes.iter().map(|quiz| (quiz.chapter_slug.as_str(), quiz)).collect();
    for (slug, chapter_id) in chapter_ids {
        if sync_quiz(txn, chapter_id, quizzes.get(slug).copied(), now).await? {
            report.quizzes_written += 1;
        }
    }
    Ok(report)
}

/// The chapter columns an import sets, converted once.
struct ChapterFields {
    order: i32,
    title: String,
    difficulty: &'static str,
    estimated_time: i32,
    content_key: String,
    content_sha256: String,
    byte_size: i64,
    word_count: i32,
}

impl ChapterFields {
    fn of(source: &ChapterSource, body: &StoredBody) -> Result<Self, PersistenceError> {
        let too_big =
            |what: &str| PersistenceError::Corrupt(format!("{}: {what} too large", source.file));
        Ok(Self {
            order: i32::try_from(source.order).map_err(|_| too_big("order"))?,
            title: source.title.clone(),
            difficulty: source.difficulty.as_str(),
            estimated_time: i32::try_from(source.estimated_minutes)
                .map_err(|_| too_big("estimated_minutes"))?,
            content_key: body.content_key.clone(),
            content_sha256: body.content_sha256.clone(),
            byte_size: i64::try_from(source.body.len()).map_err(|_| too_big("body"))?,
            word_count: i32::try_from(source.word_count()).map_err(|_| too_big("word count"))?,
        })
    }

    fn matches(&self, row: &chapter::Model) -> bool {
        self.order == row.order
            && self.title == row.title
            && self.difficulty == row.difficulty_level
            && self.estimated_time == row.estimated_time
            && self.content_key == row.content_key
            && self.content_sha256 == row.content_sha256
            && self.byte_size == row.byte_size
            && self.word_count == row.word_count
    }

    fn apply(self, model: &mut chapter::ActiveModel) {
        model.order = Set(self.order);
        model.title = Set(self.title);
        model.difficulty_level = Set(self.difficulty.to_owned());
        model.estimated_time = Set(self.estimated_time);
        model.content_key = Set(self.content_key);
        model.content_sha256 = Set(self.content_sha256);
        model.byte_size = Set(self.byte_size);
        model.word_count = Set(self.word_count);
    }
}

/// One question row's content, as stored.
#[derive(PartialEq, Eq)]
struct QuestionFields {
    kind: String,
    text: String,
    options: String,
    answer: String,
    explanation: String,
}

impl QuestionFields {
    fn of_source(question: &domain::Question) -> Result<Self, PersistenceError> {
        let json = |e: serde_json::Error| PersistenceError::Corrupt(e.to_string());
        Ok(Self {
            kind: question.kind.as_str().to_owned(),
            text: question.text.clone(),
            options: serde_json::to_string(&question.options).map_err(json)?,
            answer: serde_json::to_string(&question.answer.keys()).map_err(json)?,
            explanation: question.explanation.clone(),
        })
    }

    fn of_row(row: &question::Model) -> Self {
        Self {
            kind: row.kind.clone(),
            text: row.text.clone(),
            options: row.options.clone(),
            answer: row.answer.clone(),
            explanation: row.explanation.clone(),
        }
    }
}

/// Makes the chapter's quiz match `source`; returns whether anything was written.
async fn sync_quiz(
    txn: &DatabaseTransaction,
    chapter_id: Uuid,
    source: Option<&QuizSource>,
    now: chrono::DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let existing =
        quiz::Entity::find().filter(quiz::Column::ChapterId.eq(chapter_id)).one(txn).await?;
    let Some(source) = source else {
        if let Some(row) = existing {
            quiz::Entity::delete_by_id(row.id).exec(txn).await?;
            return Ok(true);
        }
        return Ok(false);
    };
    let pass_mark = i32::from(source.pass_mark);
    let reveal = source.reveal_answers.as_str().to_owned();
    let max_attempts = source.max_attempts.map(|m| i32::try_from(m).unwrap_or(i32::MAX));
    let wanted: Vec<QuestionFields> =
        source.questions.iter().map(QuestionFields::of_source).collect::<Result<_, _>>()?;

    let (quiz_id, rows) = match existing {
        Some(row) => {
            let rows = question::Entity::find()
                .filter(question::Column::QuizId.eq(row.id))
                .order_by_asc(question::Column::Position)
                .all(txn)
                .await?;
            let same_quiz = row.title == source.title
                && row.pass_mark == pass_mark
                && row.reveal_answers == reveal
                && row.max_attempts == max_attempts;
            let same_questions = rows.len() == wanted.len()
                && rows.iter().zip(&wanted).all(|(row, want)| QuestionFields::of_row(row) == *want);
            if same_quiz && same_questions {
                return Ok(false);
            }
            let id = row.id;
            let mut model = row.into_active_model();
            model.title = Set(source.title.clone());
            model.pass_mark = Set(pass_mark);
            model.reveal_answers = Set(reveal);
            model.max_attempts = Set(max_attempts);
            model.updated_at = Set(now);
            model.update(txn).await?;
            (id, rows)
        }
        None => {
            let id = Uuid::new_v4();
            quiz::ActiveModel {
                id: Set(id),
                chapter_id: Set(chapter_id),
                title: Set(source.title.clone()),
                pass_mark: Set(pass_mark),
                reveal_answers: Set(reveal),
                max_attempts: Set(max_attempts),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(txn)
            .await?;
            (id, Vec::new())
        }
    };
    // Questions keep their ids by position, so answers keyed by question id stay meaningful.
    let mut rows_by_position: HashMap<i32, question::Model> =
        rows.into_iter().map(|row| (row.position, row)).collect();
    for (index, want) in wanted.into_iter().enumerate() {
        let position = i32::try_from(index + 1).unwrap_or(i32::MAX);
        match rows_by_position.remove(&position) {
            Some(row) if QuestionFields::of_row(&row) == want => {}
            Some(row) => {
                let mut model = row.into_active_model();
                set_question(&mut model, want);
                model.update(txn).await?;
            }
            None => {
                let mut model = question::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    quiz_id: Set(quiz_id),
                    position: Set(position),
                    ..Default::default()
                };
                set_question(&mut model, want);
                model.insert(txn).await?;
            }
        }
    }
    let surplus: Vec<Uuid> = rows_by_position.into_values().map(|row| row.id).collect();
    if !surplus.is_empty() {
        question::Entity::delete_many()
            .filter(question::Column::Id.is_in(surplus))
            .exec(txn)
            .await?;
    }
    Ok(true)
}

fn set_question(model: &mut question::ActiveModel, fields: QuestionFields) {
    model.kind = Set(fields.kind);
    model.text = Set(fields.text);
    model.options = Set(fields.options);
    model.answer = Set(fields.answer);
    model.explanation = Set(fields.explanation);
}
