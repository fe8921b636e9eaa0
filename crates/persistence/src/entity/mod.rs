//! SeaORM entities, one module per table.

pub mod attempt;
pub mod chapter;
pub mod chapter_completion;
pub mod learner_state;
pub mod oauth_client;
pub mod oauth_code;
pub mod oauth_consent;
pub mod oauth_family;
pub mod oauth_refresh_token;
pub mod question;
pub mod quiz;
pub mod review;
pub mod review_card;
pub mod streak;
pub mod tier_change;
pub mod user;
