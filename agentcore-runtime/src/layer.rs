//! [`RuntimeContextLayer`]: the AgentCore Runtime's identity headers into the request context.

use std::task::{Context, Poll};

use agentcore_identity::SecretString;
use agentcore_identity::context::{RequestContext, WithContext};
use axum::http::{HeaderMap, Request};
use tower::{Layer, Service};

use crate::headers::{
    ACCESS_TOKEN_HEADER, IDENTITY_WAT_HEADER, OAUTH2_CALLBACK_URL_HEADER, REQUEST_ID_HEADER,
    SESSION_HEADER,
};

/// A tower [`Layer`] that runs each request inside the [`RequestContext`] built from its
/// AgentCore Runtime headers, for any tower/axum/hyper server.
///
/// AgentCore Runtime sends the workload access token and the OAuth2 callback URL with each
/// invocation. This layer reads them (and the session and request ids), stores a
/// [`RequestContext`] in the request's extensions, and runs the inner service inside
/// [`RequestContext::scope`], so that `#[requires_api_key]` / `#[requires_access_token]`
/// functions called by any handler below it find the token by themselves. [`App`](crate::App)
/// uses it; use it directly when you bring your own server.
///
/// On AgentCore Runtime (detected as the Python SDK does: `DOCKER_CONTAINER=1`), or with
/// [`RuntimeContextLayer::require_workload_access_token`], the context *requires* a workload
/// access token: a credential call in an invocation that came without the header fails with
/// `agentcore_identity::Error::MissingWorkloadAccessToken`, which names the header, instead of
/// silently acting as the process-wide identity (the client's workload identity or local
/// development). Locally, without the header, local development works as before.
///
/// ```no_run
/// use agentcore_identity::context::RequestContext;
/// use agentcore_runtime::{RuntimeContextLayer, ServeConfig, serve, shutdown_signal};
/// use axum::{Router, routing::post};
///
/// async fn invocations() -> String {
///     let ctx = RequestContext::current().unwrap_or_default();
///     format!("session {:?}", ctx.session_id())
/// }
///
/// # #[tokio::main] async fn main() -> std::io::Result<()> {
/// let app = Router::new()
///     .route("/invocations", post(invocations))
///     .layer(RuntimeContextLayer::new());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// // Any server works; this one has timeouts and a shutdown deadline.
/// serve(listener, app, ServeConfig::new(), shutdown_signal()).await
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct RuntimeContextLayer {
    require_token: bool,
}

impl Default for RuntimeContextLayer {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether this process runs in the AgentCore Runtime's container, as the Python SDK tells.
pub fn on_agentcore_runtime() -> bool {
    std::env::var("DOCKER_CONTAINER").is_ok_and(|v| v == "1")
}

impl RuntimeContextLayer {
    /// The layer; it requires the workload access token on AgentCore Runtime
    /// ([`on_agentcore_runtime`]).
    pub fn new() -> Self {
        Self {
            require_token: on_agentcore_runtime(),
        }
    }

    /// Requires the workload access token header on every request (`true`), or never (`false`:
    /// a request without it falls back to the client's identity, as local development does).
    pub fn require_workload_access_token(mut self, required: bool) -> Self {
        self.require_token = required;
        self
    }
}

impl<S> Layer<S> for RuntimeContextLayer {
    type Service = RuntimeContext<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RuntimeContext {
            inner,
            require_token: self.require_token,
        }
    }
}

/// The service of [`RuntimeContextLayer`].
#[derive(Debug, Clone)]
pub struct RuntimeContext<S> {
    inner: S,
    require_token: bool,
}

impl<S, B> Service<Request<B>> for RuntimeContext<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = WithContext<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let ctx = request_context(request.headers())
            .with_workload_access_token_required(self.require_token);
        request.extensions_mut().insert(ctx.clone());
        RequestContext::scope(ctx, self.inner.call(request))
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

/// The identity context of one invocation, from its headers: the workload access token
/// (`X-Amz-Bedrock-AgentCore-Identity-WAT`, which wins, else `WorkloadAccessToken`), the OAuth2
/// callback URL (`OAuth2CallbackUrl`), the session id and the request id (a new UUID when the
/// `X-Amzn-Bedrock-AgentCore-Runtime-Request-Id` header is absent).
pub fn request_context(headers: &HeaderMap) -> RequestContext {
    let request_id = header_str(headers, REQUEST_ID_HEADER)
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut ctx = RequestContext::new().with_request_id(request_id);
    if let Some(session) = header_str(headers, SESSION_HEADER) {
        ctx = ctx.with_session_id(session);
    }
    if let Some(token) = header_str(headers, IDENTITY_WAT_HEADER)
        .or_else(|| header_str(headers, ACCESS_TOKEN_HEADER))
    {
        ctx = ctx.with_workload_access_token(SecretString::from(token));
    }
    if let Some(url) = header_str(headers, OAUTH2_CALLBACK_URL_HEADER) {
        ctx = ctx.with_oauth2_callback_url(url);
    }
    ctx
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn context_from_headers_prefers_identity_wat_and_generates_request_id() {
        let mut h = HeaderMap::new();
        h.insert(
            ACCESS_TOKEN_HEADER,
            HeaderValue::from_static("from-access-header"),
        );
        h.insert(
            IDENTITY_WAT_HEADER,
            HeaderValue::from_static("from-wat-header"),
        );
        h.insert(SESSION_HEADER, HeaderValue::from_static("s-1"));
        let ctx = request_context(&h);
        use agentcore_identity::ExposeSecret;
        assert_eq!(
            ctx.workload_access_token().unwrap().expose_secret(),
            "from-wat-header"
        );
        assert_eq!(ctx.session_id(), Some("s-1"));
        let id = ctx.request_id().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    }
}
