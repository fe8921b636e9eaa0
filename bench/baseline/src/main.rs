//! What actix-web alone does on this machine: every request gets the same 30 KB JSON body.
//! `make bench` compares every scenario with it. Usage: `bench-baseline <port>`.

use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(8090);
    let body: &'static str =
        Box::leak(format!("{{\"content\":\"{}\"}}", "x".repeat(30 * 1024)).into_boxed_str());
    HttpServer::new(move || {
        App::new().default_service(web::to(move || async move {
            HttpResponse::Ok().content_type("application/json").body(body)
        }))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
