//! The id every request is known by (`X-Request-Id`), on the task that serves it: log lines
//! and 500 bodies carry it, so an operator can find one from the other.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use actix_web::http::header::HeaderName;
use uuid::Uuid;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    pub(crate) static REQUEST_ID: Arc<str>;
}

/// The id of the request being served on this task, if any: log lines and 500 bodies carry
/// it, so an operator can find one from the other.
pub fn current_request_id() -> Option<Arc<str>> {
    REQUEST_ID.try_with(Arc::clone).ok()
}

/// Ids this process gives requests: a random prefix chosen at start and a counter, so they
/// are unique without asking the kernel for random bytes on every request.
struct RequestIds {
    prefix: u64,
    next: AtomicU64,
}

static REQUEST_IDS: LazyLock<RequestIds> = LazyLock::new(|| RequestIds {
    prefix: Uuid::new_v4().as_u64_pair().0,
    next: AtomicU64::new(0),
});

pub(crate) fn new_request_id() -> Arc<str> {
    let ids = &*REQUEST_IDS;
    Arc::from(format!("{:016x}{:016x}", ids.prefix, ids.next.fetch_add(1, Ordering::Relaxed)))
}
