use chrono::{DateTime, Utc};
use domain::{ChapterRef, Difficulty};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entity::{chapter, quiz};
use crate::{Database, PersistenceError};

/// A chapter's metadata as stored (the body lives in the content store under `content_key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterRecord {
    pub id: Uuid,
    pub slug: String,
    pub order: u32,
    pub title: String,
    pub difficulty: Difficulty,
    pub estimated_minutes: u32,
    pub content_key: String,
    pub content_sha256: String,
    pub byte_size: u64,
    pub word_count: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<chapter::Model> for ChapterRecord {
    type Error = PersistenceError;

    fn try_from(row: chapter::Model) -> Result<Self, Self::Error> {
        let corrupt = |what: &str| PersistenceError::Corrupt(format!("chapter {}: {what}", row.id));
        Ok(Self {
            id: row.id,
            order: u32::try_from(row.order).map_err(|_| corrupt("negative order"))?,
            difficulty: row.difficulty_level.parse().map_err(|_| corrupt("unknown difficulty"))?,
            estimated_minutes: u32::try_from(row.estimated_time)
                .map_err(|_| corrupt("negative estimated time"))?,
            byte_size: u64::try_from(row.byte_size).map_err(|_| corrupt("negative size"))?,
            word_count: u32::try_from(row.word_count)
                .map_err(|_| corrupt("negative word count"))?,
            slug: row.slug,
            title: row.title,
            content_key: row.content_key,
            content_sha256: row.content_sha256,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl Database {
    /// Every chapter, in course order.
    pub async fn list_chapters(&self) -> Result<Vec<ChapterRecord>, PersistenceError> {
        chapter::Entity::find()
            .order_by_asc(chapter::Column::Order)
            .all(&self.conn)
            .await?
            .into_iter()
            .map(ChapterRecord::try_from)
            .collect()
    }

    pub async fn count_chapters(&self) -> Result<u64, PersistenceError> {
        Ok(chapter::Entity::find().count(&self.conn).await?)
    }

    /// A chapter by UUID or slug.
    pub async fn find_chapter(
        &self,
        reference: &ChapterRef,
    ) -> Result<Option<ChapterRecord>, PersistenceError> {
        let query = match reference {
            ChapterRef::Id(id) => chapter::Entity::find_by_id(*id),
            ChapterRef::Slug(slug) => {
                chapter::Entity::find().filter(chapter::Column::Slug.eq(slug.as_str()))
            }
        };
        query.one(&self.conn).await?.map(ChapterRecord::try_from).transpose()
    }

    /// Every quiz as (quiz id, chapter id).
    pub async fn list_quiz_chapters(&self) -> Result<Vec<(Uuid, Uuid)>, PersistenceError> {
        Ok(quiz::Entity::find()
            .select_only()
            .column(quiz::Column::Id)
            .column(quiz::Column::ChapterId)
            .into_tuple::<(Uuid, Uuid)>()
            .all(&self.conn)
            .await?)
    }
}
