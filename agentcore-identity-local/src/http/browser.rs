//! The browser side of USER_FEDERATION: `/identities/oauth2/authorize` (the `authorizationUrl` handed
//! to the user) and `/identities/oauth2/callback` (the provider's redirect URI).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::state::AppState;
use crate::vault::{self, CallbackOutcome};

fn page(status: u16, text: &str) -> Response {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let body = format!(
        "<!doctype html><html><head><title>agentcore-identity-local</title></head><body><p>{escaped}</p></body></html>"
    );
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        Html(body),
    )
        .into_response()
}

fn redirect(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
    )
        .into_response()
}

/// `GET /identities/oauth2/authorize?request_uri=...` → 302 to the provider.
pub(super) async fn authorize(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(uri) = q.get("request_uri") else {
        return page(400, "Missing request_uri.");
    };
    match vault::authorize_target(&st, uri).await {
        Ok(target) => redirect(&target),
        Err(msg) => page(400, &msg),
    }
}

/// `GET /identities/oauth2/callback?code=...&state=...` (or `?error=...`).
pub(super) async fn callback(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let g = |k: &str| q.get(k).map(String::as_str);
    match vault::callback(
        &st,
        g("state"),
        g("code"),
        g("error"),
        g("error_description"),
    )
    .await
    {
        CallbackOutcome::Redirect(u) => redirect(&u),
        CallbackOutcome::Page(status, text) => page(status, &text),
    }
}
