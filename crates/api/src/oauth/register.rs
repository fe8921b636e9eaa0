//! `POST /oauth/register`: dynamic client registration (RFC 7591) for MCP clients, which
//! register themselves instead of being given a client id. The rules are
//! `app::Authorization::register_client`'s; here are the JSON in and out.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use app::ClientMetadata;
use serde::Deserialize;
use serde_json::json;

use crate::state::AppState;

/// The metadata we read (RFC 7591 §2); other fields a client sends are ignored, as §3.1
/// allows.
#[derive(Debug, Deserialize)]
struct RegistrationRequest {
    #[serde(default)]
    redirect_uris: Vec<String>,
    client_name: Option<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    scope: Option<String>,
}

fn refusal(code: &str, description: &str) -> HttpResponse {
    HttpResponse::build(StatusCode::BAD_REQUEST)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "error": code, "error_description": description }))
}

/// `POST /oauth/register`: 201 with the client's id (and secret, unless it is public).
pub(super) async fn register(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let request: RegistrationRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return refusal("invalid_client_metadata", &format!("Unreadable JSON body: {error}"));
        }
    };
    let metadata = ClientMetadata {
        redirect_uris: request.redirect_uris,
        client_name: request.client_name,
        token_endpoint_auth_method: request.token_endpoint_auth_method,
        grant_types: request.grant_types,
        response_types: request.response_types,
        scope: request.scope,
    };
    let client = match state.app.authorization().register_client(metadata).await {
        Ok(client) => client,
        Err(error) if error.code == "temporarily_unavailable" => {
            return HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, "1"))
                .json(json!({ "error": error.code, "error_description": error.description }));
        }
        Err(error) => return refusal(error.code, &error.description),
    };
    let mut answer = json!({
        "client_id": client.client_id,
        "client_id_issued_at": client.issued_at.timestamp(),
        "client_name": client.client_name,
        "redirect_uris": client.redirect_uris,
        "token_endpoint_auth_method": client.auth_method.name(),
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": client.scope,
    });
    if let (Some(secret), Some(fields)) = (client.client_secret, answer.as_object_mut()) {
        fields.insert("client_secret".into(), json!(secret));
        // 0: it never expires.
        fields.insert("client_secret_expires_at".into(), json!(0));
    }
    HttpResponse::Created().insert_header((header::CACHE_CONTROL, "no-store")).json(answer)
}
