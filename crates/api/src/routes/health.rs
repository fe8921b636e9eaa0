//! `GET /health`: is the process able to serve, and which dependency is down if not.

use actix_web::http::StatusCode;
use paperclip::actix::web::Data;
use paperclip::actix::{Apiv2Schema, api_v2_operation};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::openapi::{Facts, Operation};
use crate::responders::WithStatus;
use crate::state::AppState;
use app::Probe;

/// Health of the process and its dependencies.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct Health {
    /// `healthy` or `unhealthy`.
    pub status: &'static str,
    /// `connected` or `disconnected`.
    pub database: &'static str,
    /// `connected` or `disconnected`.
    pub storage: &'static str,
    pub version: String,
}

fn label(up: bool) -> &'static str {
    if up { "connected" } else { "disconnected" }
}

/// Service health
///
/// 200 when the database and the content store answer, else 503 naming the part that is down.
/// The answer may be up to a second old.
#[api_v2_operation(operation_id = "getHealth", tags(Operations))]
pub async fn health(state: Data<AppState>) -> WithStatus<Health> {
    let Probe { database_up, storage_up } = state.app.health().probe().await;
    let healthy = database_up && storage_up;
    let body = Health {
        status: if healthy { "healthy" } else { "unhealthy" },
        database: label(database_up),
        storage: label(storage_up),
        version: state.settings.version.clone(),
    };
    WithStatus(if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, body)
}

/// /health answers 503 with the same body, naming the part that is down.
fn unhealthy_same_body(responses: &mut Map<String, Value>) {
    if let Some(success) = responses.get("200").cloned() {
        responses.insert("503".into(), success);
    }
}

pub(super) fn facts() -> Facts {
    Facts {
        operations: vec![Operation {
            more_responses: Some(unhealthy_same_body),
            ..Operation::new("getHealth")
        }],
        bodies: Vec::new(),
    }
}
