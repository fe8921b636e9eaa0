use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "review_cards")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_id: Uuid,
    pub due: DateTimeUtc,
    pub stability: f64,
    pub difficulty: f64,
    pub interval_days: i32,
    pub reps: i32,
    pub lapses: i32,
    /// `domain::review::CardState::code`.
    pub state: i16,
    pub last_review: DateTimeUtc,
    /// `domain::review::Rating::code`.
    pub last_rating: i16,
    /// Whether the last answer was given in review (else in a quiz).
    pub last_in_review: bool,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
