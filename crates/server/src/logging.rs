//! env_logger set-up: plain lines for people, JSON lines for collectors.

use std::io::Write;

use crate::config::{LogFormat, LogSettings};

pub fn init(settings: &LogSettings) {
    let mut builder = env_logger::Builder::new();
    builder.parse_filters(&settings.level);
    if let Ok(filters) = std::env::var("RUST_LOG") {
        builder.parse_filters(&filters);
    }
    if settings.format == LogFormat::Json {
        builder.format(|out, record| {
            let line = serde_json::json!({
                "ts": out.timestamp_millis().to_string(),
                "level": record.level().as_str(),
                "target": record.target(),
                "message": record.args().to_string(),
            });
            writeln!(out, "{line}")
        });
    }
    // A second init (tests) keeps the first logger.
    let _ = builder.try_init();
}
