//! Route table: every handler is registered through paperclip, so it is documented.

mod access;
mod auth;
mod chapters;
mod health;
pub(crate) mod metrics;
mod progress;
mod quizzes;
mod review;
mod search;

use paperclip::actix::web;

use crate::openapi::Facts;
use crate::rate_limit::RateLimits;

/// Registers every documented route; the password routes carry the per-IP password limit
/// themselves, so it holds for any spelling of their path that routes to them.
pub fn configure(config: &mut web::ServiceConfig, limits: &RateLimits) {
    config.service(web::resource("/health").route(web::get().to(health::health))).service(
        web::scope("/api/v1")
            .service(
                web::resource("/auth/register")
                    .route(web::post().to(auth::register))
                    .wrap(limits.auth_middleware()),
            )
            .service(
                web::resource("/auth/login")
                    .route(web::post().to(auth::login))
                    .wrap(limits.auth_middleware()),
            )
            .service(
                web::resource("/me")
                    .route(web::get().to(auth::get_me))
                    .route(web::patch().to(auth::update_me)),
            )
            .service(web::resource("/access/check").route(web::post().to(access::check_access)))
            .service(web::resource("/access/upgrade").route(web::post().to(access::upgrade_tier)))
            .service(web::resource("/user/{user}/tier").route(web::get().to(access::get_user_tier)))
            .service(
                web::resource("/progress/{user}")
                    .route(web::get().to(progress::get_progress))
                    .route(web::put().to(progress::update_progress)),
            )
            .service(web::resource("/streaks/{user}").route(web::get().to(progress::get_streak)))
            .service(
                web::resource("/streaks/{user}/checkin")
                    .route(web::post().to(progress::record_checkin)),
            )
            .service(web::resource("/review").route(web::get().to(review::review_queue)))
            .service(
                web::resource("/review/{question_id}").route(web::post().to(review::answer_review)),
            )
            .service(web::resource("/next").route(web::get().to(review::next_step)))
            .service(web::resource("/search").route(web::get().to(search::search_course)))
            .service(web::resource("/quizzes").route(web::get().to(quizzes::list_quizzes)))
            .service(web::resource("/quizzes/{quiz_id}").route(web::get().to(quizzes::get_quiz)))
            .service(
                web::resource("/quizzes/{quiz_id}/submit")
                    .route(web::post().to(quizzes::submit_quiz)),
            )
            .service(
                web::resource("/quizzes/{quiz_id}/results")
                    .route(web::get().to(quizzes::quiz_results)),
            )
            .service(web::resource("/chapters").route(web::get().to(chapters::list_chapters)))
            .service(
                web::resource("/chapters/{chapter_ref}")
                    .route(web::get().to(chapters::get_chapter)),
            )
            .service(
                web::resource("/chapters/{chapter_ref}/next")
                    .route(web::get().to(chapters::next_chapter)),
            )
            .service(
                web::resource("/chapters/{chapter_ref}/previous")
                    .route(web::get().to(chapters::previous_chapter)),
            ),
    );
}

/// What the OpenAPI document says of every operation beyond what paperclip sees, as each
/// route module declares it.
pub(crate) fn facts() -> Facts {
    let mut facts = Facts::default();
    for module in [
        health::facts(),
        auth::facts(),
        access::facts(),
        progress::facts(),
        search::facts(),
        quizzes::facts(),
        review::facts(),
        chapters::facts(),
    ] {
        facts.extend(module);
    }
    facts
}
