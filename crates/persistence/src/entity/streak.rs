use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "streaks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub current: i32,
    pub longest: i32,
    /// Local date of the last check-in.
    pub last_checkin: Option<Date>,
    pub last_checkin_at: Option<DateTimeUtc>,
    /// The change before the last one (at most two fall within 24 hours).
    pub previous_checkin_at: Option<DateTimeUtc>,
    pub freezes_banked: i16,
    pub freezes_used: i32,
    /// The current streak's frozen days, a bit per day (`domain::Streak::frozen_days`).
    pub frozen_days: i64,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
