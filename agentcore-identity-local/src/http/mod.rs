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
pub(crate) mod sts;
mod tagging;
pub(crate) mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};

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
        .route("/", any(sts_query))
        .route("/.well-known/openid-configuration", get(sts_discovery))
        .route("/.well-known/jwks.json", get(sts_jwks))
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

/// The STS issuer's OpenID discovery document.
async fn sts_discovery(State(st): State<Arc<AppState>>) -> Response {
    ok(200, st.sts.discovery().clone())
}

/// The STS issuer's public keys.
async fn sts_jwks(State(st): State<Arc<AppState>>) -> Response {
    ok(200, st.sts.jwks().clone())
}

/// STS (awsQuery) at `/`: the same body limit and SigV4 verification as the other operations,
/// errors in STS's XML shape.
async fn sts_query(State(front): State<Front>, req: Request) -> Response {
    match sts_handle(&front, req).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(
                status = e.status.as_u16(),
                code = e.code,
                "STS request failed"
            );
            sts::xml_error(e)
        }
    }
}

/// The request's body (bounded by `read_body`), its SigV4 signature checked first when the
/// service verifies signatures (the request's parts are kept only then).
async fn read_verified_body(
    front: &Front,
    req: Request,
) -> Result<(Option<String>, axum::body::Bytes), ApiError> {
    let Some(key) = &front.config.sigv4 else {
        return read_body(req).await;
    };
    let (method, uri, headers) = (
        req.method().clone(),
        req.uri().clone(),
        req.headers().clone(),
    );
    let (ct, bytes) = read_body(req).await?;
    sigv4::verify(key, &method, &uri, &headers, &bytes)?;
    Ok((ct, bytes))
}

async fn sts_handle(front: &Front, req: Request) -> Result<Response, ApiError> {
    let st = &*front.app;
    if req.method() != Method::POST {
        return Err(ApiError::new(
            405,
            "InvalidAction",
            format!("STS actions require POST, not {}", req.method()),
        ));
    }
    let region = sigv4::region(req.headers(), &st.config.default_region)?;
    // The signature first: an unsigned caller learns nothing of the form and counts nothing.
    let (ct, bytes) = read_verified_body(front, req).await?;
    let form = sts::QueryForm::parse(ct.as_deref(), &bytes)?;
    let action = form.action()?;
    if action != Op::GetWebIdentityToken.name() {
        return Err(ApiError::new(
            400,
            "InvalidAction",
            format!(
                "Could not find operation {} for version {}",
                action.chars().take(100).collect::<String>(),
                sts::VERSION
            ),
        ));
    }
    front.metrics.hit(Op::GetWebIdentityToken);
    sts::get_web_identity_token(st, region, &form)
}

async fn dispatch(State(front): State<Front>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let Some(op) = Op::from_request(req.method(), &path) else {
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

/// The `{resourceArn}` label of `/tags/{resourceArn}`, percent-decoded.
fn resource_arn(uri: &axum::http::Uri) -> Result<String, ApiError> {
    let raw = uri.path().strip_prefix("/tags/").unwrap_or_default();
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|arn| arn.into_owned())
        .map_err(|_| ApiError::invalid_field("resourceArn", "Member must be valid UTF-8"))
}

/// UntagResource's `tagKeys` query parameters (none: the member is missing).
fn tag_keys(uri: &axum::http::Uri) -> Vec<String> {
    let q = uri.query().unwrap_or_default();
    url::form_urlencoded::parse(q.as_bytes())
        .filter(|(k, _)| k == "tagKeys")
        .map(|(_, v)| v.into_owned())
        .collect()
}

async fn handle(front: &Front, op: Op, req: Request) -> Result<Response, ApiError> {
    let st = &*front.app;
    // The tag operations' method is part of their route (`Op::from_request`).
    let tagging = matches!(
        op,
        Op::TagResource | Op::UntagResource | Op::ListTagsForResource
    );
    if !tagging && req.method() != Method::POST {
        return Err(ApiError::new(
            405,
            "UnknownOperationException",
            format!("{} requires POST", op.name()),
        ));
    }
    let uri = req.uri().clone();
    if op.is_data_plane()
        && let Some(status) = front.metrics.take_fault()
    {
        return Err(ApiError::injected(status));
    }
    let ctx = Ctx {
        region: sigv4::region(req.headers(), &st.config.default_region)?,
    };
    let (ct, bytes) = read_verified_body(front, req).await?;
    let body = parse_json(ct.as_deref(), &bytes)?;
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
        Op::TagResource => tagging::tag_resource(st, &resource_arn(&uri)?, &body).await,
        Op::UntagResource => {
            tagging::untag_resource(st, &resource_arn(&uri)?, &tag_keys(&uri)).await
        }
        Op::ListTagsForResource => tagging::list_tags_for_resource(st, &resource_arn(&uri)?).await,
        Op::GetTokenVault => tagging::get_token_vault(st, &body).await,
        Op::SetTokenVaultCMK => tagging::set_token_vault_cmk(st, &body).await,
        Op::ResetTokenVaultKeyMaterial => tagging::reset_token_vault_key_material(st, &body).await,
        // Served at `/` (awsQuery), never through this path.
        Op::GetWebIdentityToken => Err(ApiError::new(
            404,
            "UnknownOperationException",
            "GetWebIdentityToken is an STS action: POST it to /",
        )),
    }
}
