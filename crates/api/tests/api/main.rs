//! In-process integration tests: the real Actix application on an ephemeral port, a fresh
//! SQLite database and a memory store per test, loaded with the bundled sample course.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod access;
mod auth;
mod chapters;
mod contract;
mod documentation;
mod errors;
mod hardening;
mod health;
mod helpers;
mod limits;
mod oauth;
mod operations;
mod progress;
mod quizzes;
mod races;
mod review;
mod search;
mod tokens;
