//! SeaORM entities, one module per table.

pub mod attempt;
pub mod chapter;
pub mod question;
pub mod quiz;
pub mod tier_change;
pub mod user;
