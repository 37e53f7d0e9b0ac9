//! The HTTP front: one router for both planes, restJson1 decoding and encoding, request counting,
//! fault injection, and the browser endpoints of the OAuth2 flows.

pub(crate) mod browser;
pub(crate) mod control;
pub(crate) mod data;
pub(crate) mod error;
pub(crate) mod sigv4;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value};

use crate::idp::Idp;
use crate::store::{DerivedKeys, Store};
use error::ApiError;

/// Largest accepted request body (the largest modelled member, a 128 KiB user token, fits easily).
pub(crate) const MAX_BODY: usize = 1024 * 1024;

/// Service configuration.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) account_id: String,
    pub(crate) default_region: String,
    /// Base URL clients and browsers reach this service at (no trailing slash).
    pub(crate) endpoint: String,
    pub(crate) session_ttl_secs: f64,
    pub(crate) wat_ttl_secs: i64,
    /// When set, every API request must carry a valid SigV4 signature made with this key.
    pub(crate) sigv4: Option<sigv4::SigV4Key>,
}

/// Every operation, with its path and plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    GetWorkloadAccessToken,
    GetWorkloadAccessTokenForJwt,
    GetWorkloadAccessTokenForUserId,
    GetResourceApiKey,
    GetResourceOauth2Token,
    CompleteResourceTokenAuth,
    CreateWorkloadIdentity,
    GetWorkloadIdentity,
    UpdateWorkloadIdentity,
    DeleteWorkloadIdentity,
    ListWorkloadIdentities,
    CreateApiKeyCredentialProvider,
    GetApiKeyCredentialProvider,
    UpdateApiKeyCredentialProvider,
    DeleteApiKeyCredentialProvider,
    ListApiKeyCredentialProviders,
    CreateOauth2CredentialProvider,
    GetOauth2CredentialProvider,
    UpdateOauth2CredentialProvider,
    DeleteOauth2CredentialProvider,
    ListOauth2CredentialProviders,
}

impl Op {
    pub(crate) const ALL: [Op; 21] = [
        Op::GetWorkloadAccessToken,
        Op::GetWorkloadAccessTokenForJwt,
        Op::GetWorkloadAccessTokenForUserId,
        Op::GetResourceApiKey,
        Op::GetResourceOauth2Token,
        Op::CompleteResourceTokenAuth,
        Op::CreateWorkloadIdentity,
        Op::GetWorkloadIdentity,
        Op::UpdateWorkloadIdentity,
        Op::DeleteWorkloadIdentity,
        Op::ListWorkloadIdentities,
        Op::CreateApiKeyCredentialProvider,
        Op::GetApiKeyCredentialProvider,
        Op::UpdateApiKeyCredentialProvider,
        Op::DeleteApiKeyCredentialProvider,
        Op::ListApiKeyCredentialProviders,
        Op::CreateOauth2CredentialProvider,
        Op::GetOauth2CredentialProvider,
        Op::UpdateOauth2CredentialProvider,
        Op::DeleteOauth2CredentialProvider,
        Op::ListOauth2CredentialProviders,
    ];

    /// The operation name (as in the model).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::GetWorkloadAccessToken => "GetWorkloadAccessToken",
            Op::GetWorkloadAccessTokenForJwt => "GetWorkloadAccessTokenForJWT",
            Op::GetWorkloadAccessTokenForUserId => "GetWorkloadAccessTokenForUserId",
            Op::GetResourceApiKey => "GetResourceApiKey",
            Op::GetResourceOauth2Token => "GetResourceOauth2Token",
            Op::CompleteResourceTokenAuth => "CompleteResourceTokenAuth",
            Op::CreateWorkloadIdentity => "CreateWorkloadIdentity",
            Op::GetWorkloadIdentity => "GetWorkloadIdentity",
            Op::UpdateWorkloadIdentity => "UpdateWorkloadIdentity",
            Op::DeleteWorkloadIdentity => "DeleteWorkloadIdentity",
            Op::ListWorkloadIdentities => "ListWorkloadIdentities",
            Op::CreateApiKeyCredentialProvider => "CreateApiKeyCredentialProvider",
            Op::GetApiKeyCredentialProvider => "GetApiKeyCredentialProvider",
            Op::UpdateApiKeyCredentialProvider => "UpdateApiKeyCredentialProvider",
            Op::DeleteApiKeyCredentialProvider => "DeleteApiKeyCredentialProvider",
            Op::ListApiKeyCredentialProviders => "ListApiKeyCredentialProviders",
            Op::CreateOauth2CredentialProvider => "CreateOauth2CredentialProvider",
            Op::GetOauth2CredentialProvider => "GetOauth2CredentialProvider",
            Op::UpdateOauth2CredentialProvider => "UpdateOauth2CredentialProvider",
            Op::DeleteOauth2CredentialProvider => "DeleteOauth2CredentialProvider",
            Op::ListOauth2CredentialProviders => "ListOauth2CredentialProviders",
        }
    }

    fn from_path(path: &str) -> Option<Op> {
        let rest = path.strip_prefix("/identities/")?;
        match rest {
            "api-key" => Some(Op::GetResourceApiKey),
            "oauth2/token" => Some(Op::GetResourceOauth2Token),
            _ => Op::ALL.into_iter().find(|op| {
                op.name() == rest
                    && !matches!(op, Op::GetResourceApiKey | Op::GetResourceOauth2Token)
            }),
        }
    }

    /// Data-plane operations (fault injection applies to these).
    pub(crate) fn is_data_plane(self) -> bool {
        matches!(
            self,
            Op::GetWorkloadAccessToken
                | Op::GetWorkloadAccessTokenForJwt
                | Op::GetWorkloadAccessTokenForUserId
                | Op::GetResourceApiKey
                | Op::GetResourceOauth2Token
                | Op::CompleteResourceTokenAuth
        )
    }
}

/// Per-operation request counters.
#[derive(Debug)]
pub(crate) struct Counters {
    per_op: [AtomicU64; 21],
    total: AtomicU64,
}

impl Counters {
    fn new() -> Self {
        Self {
            per_op: std::array::from_fn(|_| AtomicU64::new(0)),
            total: AtomicU64::new(0),
        }
    }
    fn hit(&self, op: Op) {
        let i = Op::ALL.iter().position(|o| *o == op).expect("op listed");
        self.per_op[i].fetch_add(1, Ordering::Relaxed);
        self.total.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn get(&self, name: &str) -> u64 {
        Op::ALL
            .iter()
            .position(|o| o.name().eq_ignore_ascii_case(name))
            .map(|i| self.per_op[i].load(Ordering::Relaxed))
            .unwrap_or(0)
    }
    pub(crate) fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

/// Pending injected faults.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    remaining: AtomicU32,
    status: Mutex<u16>,
}

impl Faults {
    pub(crate) fn set(&self, status: u16, count: u32) {
        *self.status.lock().expect("faults lock") = status;
        self.remaining.store(count, Ordering::SeqCst);
    }
    fn take(&self) -> Option<u16> {
        self.remaining
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .ok()
            .map(|_| *self.status.lock().expect("faults lock"))
    }
}

/// Shared state of a running service.
#[derive(Debug)]
pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) keys: DerivedKeys,
    pub(crate) config: Config,
    pub(crate) idp: Idp,
    pub(crate) counters: Counters,
    pub(crate) faults: Faults,
    pub(crate) flights: crate::vault::Flights,
}

impl AppState {
    pub(crate) fn new(store: Store, keys: DerivedKeys, config: Config) -> Self {
        Self {
            store,
            keys,
            config,
            idp: Idp::new(),
            counters: Counters::new(),
            faults: Faults::default(),
            flights: Default::default(),
        }
    }
    /// The provider callback URL.
    pub(crate) fn callback_url(&self) -> String {
        format!("{}/identities/oauth2/callback", self.config.endpoint)
    }
}

/// Per-request context.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// Region from the SigV4 credential scope (or the configured default).
    pub(crate) region: String,
}

/// A success answer.
pub(crate) fn ok(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if status == StatusCode::NO_CONTENT {
        return status.into_response();
    }
    (
        status,
        [("content-type", "application/json")],
        strip_nulls(body).to_string(),
    )
        .into_response()
}

/// Optional members are absent rather than null.
fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

/// Builds the router.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ping", get(health))
        .route("/identities/oauth2/authorize", get(browser::authorize))
        .route("/identities/oauth2/callback", get(browser::callback))
        .fallback(dispatch)
        .with_state(state)
}

async fn health(State(st): State<Arc<AppState>>) -> Response {
    ok(
        200,
        serde_json::json!({
            "status": "Healthy",
            "service": "agentcore-identity-local",
            "version": env!("CARGO_PKG_VERSION"),
            "time_of_last_update": crate::store::now() as i64,
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

async fn dispatch(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let Some(op) = Op::from_path(&path) else {
        return ApiError::new(
            404,
            "UnknownOperationException",
            format!("No operation at {} {}", req.method(), path),
        )
        .into_response();
    };
    st.counters.hit(op);
    let result = handle(&st, op, req).await;
    match result {
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

async fn handle(st: &Arc<AppState>, op: Op, req: Request) -> Result<Response, ApiError> {
    if req.method() != Method::POST {
        return Err(ApiError::new(
            405,
            "UnknownOperationException",
            format!("{} requires POST", op.name()),
        ));
    }
    if op.is_data_plane()
        && let Some(status) = st.faults.take()
    {
        return Err(ApiError::injected(status));
    }
    let ctx = Ctx {
        region: sigv4_region(req.headers(), &st.config.default_region)?,
    };
    let body = if let Some(key) = &st.config.sigv4 {
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
        Op::GetWorkloadAccessToken => data::get_workload_access_token(st, &body, 0).await,
        Op::GetWorkloadAccessTokenForJwt => data::get_workload_access_token(st, &body, 1).await,
        Op::GetWorkloadAccessTokenForUserId => data::get_workload_access_token(st, &body, 2).await,
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

/// Reads the body (too large → 413) and the media type of its content type.
async fn read_body(req: Request) -> Result<(Option<String>, axum::body::Bytes), ApiError> {
    let too_large = || ApiError {
        reason: Some("CannotParse"),
        ..ApiError::new(
            413,
            "ValidationException",
            format!("Request body exceeds {MAX_BODY} bytes"),
        )
    };
    if let Some(len) = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        && len > MAX_BODY
    {
        return Err(too_large());
    }
    let ct = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let body: Body = req.into_body();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| too_large())?;
    Ok((ct, bytes))
}

/// The body as a JSON object: wrong content type → 415, malformed → 400 ValidationException
/// (reason CannotParse). An empty body is `{}`.
fn parse_json(ct: Option<&str>, bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match ct {
        Some("application/json")
        | Some("application/x-amz-json-1.1")
        | Some("application/x-amz-json-1.0") => {}
        other => {
            return Err(ApiError::new(
                415,
                "UnsupportedMediaTypeException",
                format!(
                    "Unsupported content type {:?}; expected application/json",
                    other.unwrap_or("(none)")
                ),
            ));
        }
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::cannot_parse("Request body must be a JSON object")),
        Err(e) => Err(ApiError::cannot_parse(format!(
            "Request body is not valid JSON: {e}"
        ))),
    }
}

/// Encodes a List* nextToken (the key of the next page's first item).
pub(crate) fn encode_next_token(key: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// Decodes a List* nextToken.
pub(crate) fn decode_next_token(token: &str) -> Result<String, ApiError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ApiError::invalid_field("nextToken", "Invalid pagination token"))
}
