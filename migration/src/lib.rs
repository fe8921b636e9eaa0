//! Database migrations of Course Companion, for SQLite and PostgreSQL alike.
//!
//! What lives here: one file per migration, each with `up` and `down`, applied in the order
//! [`Migrator`] lists them. What does not: entities and queries (crate `persistence`).

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_chapters;
mod m20261124_000002_create_quizzes;
mod m20261124_000003_create_questions;
mod m20261124_000004_create_users;
mod m20261124_000005_create_tier_changes;
mod m20261124_000006_create_attempts;
mod m20261124_000007_create_chapter_completions;
mod m20261124_000008_create_learner_state;
mod m20261124_000009_create_streaks;
mod m20261124_000010_create_oauth;
mod m20261202_000011_add_streak_previous_checkin;
mod m20261202_000012_add_oauth_public_clients_and_resources;
mod m20261202_000013_add_streak_freezes;
mod m20261202_000014_create_review;

/// A foreign key from `table.column` to `users.id` that deletes the row with its user: what
/// every per-learner table uses.
pub(crate) fn owned_by_user(
    name: &str,
    table: impl IntoIden,
    column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, column)
        .to(m20261124_000004_create_users::Users::Table, m20261124_000004_create_users::Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// Every migration, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_chapters::Migration),
            Box::new(m20261124_000002_create_quizzes::Migration),
            Box::new(m20261124_000003_create_questions::Migration),
            Box::new(m20261124_000004_create_users::Migration),
            Box::new(m20261124_000005_create_tier_changes::Migration),
            Box::new(m20261124_000006_create_attempts::Migration),
            Box::new(m20261124_000007_create_chapter_completions::Migration),
            Box::new(m20261124_000008_create_learner_state::Migration),
            Box::new(m20261124_000009_create_streaks::Migration),
            Box::new(m20261124_000010_create_oauth::Migration),
            Box::new(m20261202_000011_add_streak_previous_checkin::Migration),
            Box::new(m20261202_000012_add_oauth_public_clients_and_resources::Migration),
            Box::new(m20261202_000013_add_streak_freezes::Migration),
            Box::new(m20261202_000014_create_review::Migration),
        ]
    }
}
