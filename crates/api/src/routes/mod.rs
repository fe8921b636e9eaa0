//! Route table: every handler is registered through paperclip, so it is documented.

mod chapters;
mod health;

use paperclip::actix::web;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/health").route(web::get().to(health::health)))
        .service(
            web::scope("/api/v1")
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
