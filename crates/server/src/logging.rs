//! env_logger set-up: plain lines for people, JSON lines for collectors.
//!
//! A JSON line holds `ts`, `level`, `target`, `msg`, the record's key-values (the access log
//! line's `request_id`, `method`, `route`, `status`, `latency_ms`, `user_id`), and the
//! `request_id` of the request being served, for lines written while serving one.

use std::io::Write;

use log::kv::{Error, Key, Value, VisitSource};
use serde_json::{Map, Value as Json};

use crate::config::{LogFormat, LogSettings};

pub fn init(settings: &LogSettings) {
    let mut builder = env_logger::Builder::new();
    builder.parse_filters(&settings.level);
    if let Ok(filters) = std::env::var("RUST_LOG") {
        builder.parse_filters(&filters);
    }
    if settings.format == LogFormat::Json {
        builder.format(|out, record| {
            let mut line = Map::new();
            line.insert("ts".into(), out.timestamp_millis().to_string().into());
            line.insert("level".into(), record.level().as_str().into());
            line.insert("target".into(), record.target().into());
            line.insert("msg".into(), record.args().to_string().into());
            if let Some(id) = api::current_request_id() {
                line.insert("request_id".into(), id.as_ref().into());
            }
            // A field that cannot be read is left out rather than losing the line.
            let _ = record.key_values().visit(&mut Fields(&mut line));
            writeln!(out, "{}", Json::Object(line))
        });
    }
    // A second init (tests) keeps the first logger.
    let _ = builder.try_init();
}

/// Copies a record's key-values into the JSON line, numbers as numbers.
struct Fields<'a>(&'a mut Map<String, Json>);

impl<'kvs> VisitSource<'kvs> for Fields<'_> {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), Error> {
        let json = if let Some(number) = value.to_u64() {
            Json::from(number)
        } else if let Some(number) = value.to_f64() {
            Json::from(number)
        } else {
            Json::from(value.to_string())
        };
        self.0.insert(key.as_str().to_owned(), json);
        Ok(())
    }
}
