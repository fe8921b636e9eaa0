//! What actix-web alone does on this machine: every request gets the same JSON body, 30 KB
//! unless a size is given. `make bench` compares every scenario with it, and the outline
//! (a much larger body) also with a baseline of the outline's own size.
//! Usage: `bench-baseline <port> [body bytes]`.

use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(8090);
    let size: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(30 * 1024);
    let padding = size.saturating_sub(r#"{"content":""}"#.len());
    let body: &'static str =
        Box::leak(format!("{{\"content\":\"{}\"}}", "x".repeat(padding)).into_boxed_str());
    HttpServer::new(move || {
        App::new().default_service(web::to(move || async move {
            HttpResponse::Ok().content_type("application/json").body(body)
        }))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
