use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reviews")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub question_id: Uuid,
    /// Client-chosen idempotency key.
    pub review_id: Option<String>,
    /// JSON array of the normalised answer keys.
    pub answer: String,
    pub correct: bool,
    /// `domain::review::Rating::code`.
    pub rating: i16,
    pub reviewed_at: DateTimeUtc,
    pub next_due: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
