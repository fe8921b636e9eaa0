//! Prometheus metrics: what `/metrics` serves, in the OpenMetrics text format.

use std::sync::Arc;

use app::App;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route template (`/api/v1/chapters/{chapter_ref}`), never the raw path, so the
    /// number of series stays bounded.
    route: String,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ScopeLabels {
    scope: &'static str,
}

type LatencyFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.25 ms to ~4 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

/// Every series the server exports. Cheap to clone; all clones share the counters.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    rate_limited: Family<ScopeLabels, Counter>,
    logins: Family<OutcomeLabels, Counter>,
    quiz_submissions: Family<OutcomeLabels, Counter>,
}

impl Metrics {
    /// The registry, with the pool and cache read at each scrape.
    pub fn new(app: &App) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        let latency = LatencyFamily::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response head",
            latency.clone(),
        );
        let rate_limited = Family::<ScopeLabels, Counter>::default();
        registry.register(
            "rate_limited_requests",
            "Requests refused with 429 (scope: api or auth)",
            rate_limited.clone(),
        );
        let logins = Family::<OutcomeLabels, Counter>::default();
        registry.register("logins", "Password sign-ins by outcome", logins.clone());
        let quiz_submissions = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "quiz_submissions",
            "Quiz submissions by outcome (graded, replayed, rejected)",
            quiz_submissions.clone(),
        );
        registry.register_collector(Box::new(ResourceGauges { app: app.clone() }));
        Self {
            registry: Arc::new(registry),
            requests,
            latency,
            rate_limited,
            logins,
            quiz_submissions,
        }
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = RequestLabels { method: method.to_owned(), route: route.to_owned(), status };
        self.latency.get_or_create(&labels).observe(seconds);
        self.requests.get_or_create(&labels).inc();
    }

    pub fn rate_limited(&self, scope: &'static str) {
        self.rate_limited.get_or_create(&ScopeLabels { scope }).inc();
    }

    pub fn login(&self, outcome: &'static str) {
        self.logins.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub fn quiz_submission(&self, outcome: &'static str) {
        self.quiz_submissions.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// The OpenMetrics text of every series.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::with_capacity(16 * 1024);
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Values read at scrape time rather than counted as they happen.
#[derive(Debug)]
struct ResourceGauges {
    app: App,
}

impl Collector for ResourceGauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let readings = self.app.health().readings();
        let gauges = [
            (
                "db_pool_connections_in_use",
                "Database connections checked out",
                readings.db_connections_in_use,
            ),
            (
                "db_pool_connections_idle",
                "Database connections idle in the pool",
                readings.db_connections_idle,
            ),
            (
                "content_cache_bytes",
                "Bytes of chapter bodies held in memory",
                readings.content_cache_bytes,
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        let counters = [
            (
                "content_cache_hits",
                "Chapter bodies served from memory",
                readings.content_cache_hits,
            ),
            (
                "content_cache_misses",
                "Chapter bodies fetched from the store",
                readings.content_cache_misses,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        Ok(())
    }
}
