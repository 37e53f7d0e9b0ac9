//! The HTTP front, the only layer that knows HTTP: one router for both planes, restJson1
//! decoding and encoding (`wire`), AWS error shapes (`error`), request counting and fault
//! injection (`op`), SigV4 (`sigv4`), one handler per operation (`control`, `data`) and the
//! browser endpoints of the OAuth2 flows (`browser`). The domain's errors become AWS-shaped here.

mod browser;
mod control;
mod data;
pub(crate) mod error;
pub(crate) mod guard;
pub(crate) mod op;
pub(crate) mod sigv4;
pub(crate) mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Request, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;
use crate::time::Time;
use crate::validate::WatKind;
use error::ApiError;
use op::{Metrics, Op};
use wire::{Ctx, ok, parse_json, read_body};

/// What the HTTP layer is configured with.
#[derive(Debug, Clone)]
pub(crate) struct HttpConfig {
    /// When set, every API request must carry a valid SigV4 signature made with this key.
    pub(crate) sigv4: Option<sigv4::SigV4Key>,
    /// The hosts and origins answered.
    pub(crate) guard: guard::Guard,
}

/// The router's state.
#[derive(Debug, Clone)]
struct Front {
    app: Arc<AppState>,
    metrics: Arc<Metrics>,
    config: Arc<HttpConfig>,
}

impl FromRef<Front> for Arc<AppState> {
    fn from_ref(f: &Front) -> Self {
        f.app.clone()
    }
}

/// Builds the router.
pub(crate) fn router(app: Arc<AppState>, metrics: Arc<Metrics>, config: HttpConfig) -> Router {
    let guard = Arc::new(config.guard.clone());
    let front = Front {
        app,
        metrics,
        config: Arc::new(config),
    };
    Router::new()
        .route("/health", get(health))
        .route("/ping", get(health))
        .route("/identities/oauth2/authorize", get(browser::authorize))
        .route("/identities/oauth2/callback", get(browser::callback))
        .fallback(dispatch)
        .with_state(front)
        .layer(axum::middleware::from_fn_with_state(guard, guard::check))
}

async fn health(State(st): State<Arc<AppState>>) -> Response {
    ok(
        200,
        serde_json::json!({
            "status": "Healthy",
            "service": "agentcore-identity-local",
            "version": env!("CARGO_PKG_VERSION"),
            "time_of_last_update": Time::now().epoch_secs_whole(),
            "endpoint": st.config.endpoint,
        }),
    )
}

/// Region from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...`.
/// No header: accepted, default region. A header that is not a well-formed SigV4 one: refused.
fn sigv4_region(headers: &HeaderMap, default: &str) -> Result<String, ApiError> {
    let Some(auth) = headers.get("authorization") else {
        return Ok(default.to_string());
    };
    let bad = || {
        ApiError::new(
            403,
            "IncompleteSignatureException",
            "Authorization header is not a valid AWS Signature Version 4 header",
        )
    };
    let auth = auth.to_str().map_err(|_| bad())?;
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(bad)?;
    let cred = rest
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("Credential="))
        .ok_or_else(bad)?;
    let parts: Vec<&str> = cred.split('/').collect();
    if parts.len() != 5 || parts[4] != "aws4_request" || parts[2].is_empty() {
        return Err(bad());
    }
    if !rest.contains("Signature=") {
        return Err(bad());
    }
    Ok(parts[2].to_string())
}

async fn dispatch(State(front): State<Front>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let Some(op) = Op::from_path(&path) else {
        return ApiError::new(
            404,
            "UnknownOperationException",
            format!(
                "No operation at {} {}",
                req.method(),
                path.chars().take(200).collect::<String>()
            ),
        )
        .into_response();
    };
    front.metrics.hit(op);
    match handle(&front, op, req).await {
        Ok(r) => {
            tracing::debug!(
                operation = op.name(),
                status = r.status().as_u16(),
                "request"
            );
            r
        }
        Err(e) => {
            tracing::debug!(
                operation = op.name(),
                status = e.status.as_u16(),
                code = e.code,
                "request failed"
            );
            e.into_response()
        }
    }
}

async fn handle(front: &Front, op: Op, req: Request) -> Result<Response, ApiError> {
    let st = &*front.app;
    if req.method() != Method::POST {
        return Err(ApiError::new(
            405,
            "UnknownOperationException",
            format!("{} requires POST", op.name()),
        ));
    }
    if op.is_data_plane()
        && let Some(status) = front.metrics.take_fault()
    {
        return Err(ApiError::injected(status));
    }
    let ctx = Ctx {
        region: sigv4_region(req.headers(), &st.config.default_region)?,
    };
    let body = if let Some(key) = &front.config.sigv4 {
        let (method, uri, headers) = (
            req.method().clone(),
            req.uri().clone(),
            req.headers().clone(),
        );
        let (ct, bytes) = read_body(req).await?;
        sigv4::verify(key, &method, &uri, &headers, &bytes)?;
        parse_json(ct.as_deref(), &bytes)?
    } else {
        let (ct, bytes) = read_body(req).await?;
        parse_json(ct.as_deref(), &bytes)?
    };
    match op {
        Op::GetWorkloadAccessToken => {
            data::get_workload_access_token(st, &body, WatKind::Workload).await
        }
        Op::GetWorkloadAccessTokenForJwt => {
            data::get_workload_access_token(st, &body, WatKind::ForJwt).await
        }
        Op::GetWorkloadAccessTokenForUserId => {
            data::get_workload_access_token(st, &body, WatKind::ForUserId).await
        }
        Op::GetResourceApiKey => data::get_resource_api_key(st, &body).await,
        Op::GetResourceOauth2Token => data::get_resource_oauth2_token(st, &body).await,
        Op::CompleteResourceTokenAuth => data::complete_resource_token_auth(st, &body).await,
        Op::CreateWorkloadIdentity => control::create_workload_identity(st, &ctx, &body).await,
        Op::GetWorkloadIdentity => control::get_workload_identity(st, &body).await,
        Op::UpdateWorkloadIdentity => control::update_workload_identity(st, &body).await,
        Op::DeleteWorkloadIdentity => control::delete_workload_identity(st, &body).await,
        Op::ListWorkloadIdentities => control::list_workload_identities(st, &body).await,
        Op::CreateApiKeyCredentialProvider => {
            control::create_api_key_provider(st, &ctx, &body).await
        }
        Op::GetApiKeyCredentialProvider => control::get_api_key_provider(st, &body).await,
        Op::UpdateApiKeyCredentialProvider => control::update_api_key_provider(st, &body).await,
        Op::DeleteApiKeyCredentialProvider => control::delete_api_key_provider(st, &body).await,
        Op::ListApiKeyCredentialProviders => control::list_api_key_providers(st, &body).await,
        Op::CreateOauth2CredentialProvider => {
            control::create_oauth2_provider(st, &ctx, &body).await
        }
        Op::GetOauth2CredentialProvider => control::get_oauth2_provider(st, &body).await,
        Op::UpdateOauth2CredentialProvider => control::update_oauth2_provider(st, &body).await,
        Op::DeleteOauth2CredentialProvider => control::delete_oauth2_provider(st, &body).await,
        Op::ListOauth2CredentialProviders => control::list_oauth2_providers(st, &body).await,
    }
}
