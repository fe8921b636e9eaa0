use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub quiz_id: Uuid,
    /// Client-chosen idempotency key.
    pub submission_id: Option<String>,
    /// JSON object: question id → normalised answer keys.
    pub answers: String,
    pub score: i32,
    pub correct_count: i32,
    pub total: i32,
    pub passed: bool,
    pub attempt_number: i32,
    pub completed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
