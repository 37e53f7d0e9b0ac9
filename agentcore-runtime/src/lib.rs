//! The Amazon Bedrock AgentCore Runtime HTTP contract for Rust agents: the counterpart of the
//! Python SDK's `BedrockAgentCoreApp`, on axum, with the identity request context of
//! [`agentcore_identity`].
//!
//! Register one async entrypoint and [`App::run`]: the app listens on `0.0.0.0:8080` and serves
//!
//! - `POST /invocations`: the JSON payload goes to the entrypoint; its answer comes back as JSON,
//!   or as `text/event-stream` (one `data: <json>` event per item) when it returns a
//!   [`Reply::stream`];
//! - `GET /ping`: `{"status": "Healthy" | "HealthyBusy", "time_of_last_update": <epoch seconds>}`,
//!   `HealthyBusy` while tracked background tasks run (see [`App::spawn_task`]).
//!
//! Each invocation runs inside a [`RequestContext`] filled from the request headers by
//! [`RuntimeContextLayer`] (use the layer alone with your own server)
//! (`X-Amz-Bedrock-AgentCore-Identity-WAT` or `WorkloadAccessToken`, `OAuth2CallbackUrl`,
//! `X-Amzn-Bedrock-AgentCore-Runtime-Session-Id`, `X-Amzn-Bedrock-AgentCore-Runtime-Request-Id`,
//! the latter generated when absent), so `#[requires_api_key]` and `#[requires_access_token]`
//! functions called from the entrypoint find the workload access token by themselves.
//!
//! Errors never stop the server: a body that is not JSON gets `400` with
//! `{"error": "Invalid JSON", "details": ...}`, a body over the limit ([`DEFAULT_BODY_LIMIT`],
//! configurable) gets `413`, an entrypoint error gets `500` with `{"error": <its Display>}` (so
//! make sure your error's message carries no secret; [`agentcore_identity::Error`] never
//! does), and a panicking entrypoint gets `500` with a fixed message.
//!
//! The listener is safe by default ([`agentcore_serve`]): header-read (and idle keep-alive)
//! timeout 10 s, request-body timeout 30 s (a late body gets `408`; streamed answers are never
//! cut), at most 1,024 connections, and on `SIGTERM` or Ctrl-C a graceful shutdown in which
//! requests in flight may finish within 10 s. All of it is set with [`AppBuilder::serve_config`].
//!
//! ```no_run
//! use agentcore_runtime::{App, Invocation};
//! use serde_json::{Value, json};
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     App::builder()
//!         .entrypoint(|payload: Value, invocation: Invocation| async move {
//!             let prompt = payload["prompt"].as_str().unwrap_or_default().to_owned();
//!             Ok::<_, std::convert::Infallible>(json!({
//!                 "echo": prompt,
//!                 "session": invocation.session_id(),
//!             }))
//!         })
//!         .build()
//!         .run()
//!         .await
//! }
//! ```
//!
//! For OAuth2 3LO during development, `agentcore_identity::callback::CallbackServer` (feature
//! `callback-server` of `agentcore-identity`) is the local session-binding page that the Python
//! starter toolkit runs on `127.0.0.1:8081`.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(no_crate_inject, attr(deny(warnings))))]

mod headers;
mod layer;
mod ping;
mod reply;

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use futures::StreamExt;
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tracing::Instrument;

use agentcore_identity::context::RequestContext;
pub use agentcore_serve::{ServeConfig, serve, shutdown_signal};

pub use self::headers::{
    ACCESS_TOKEN_HEADER, AUTHORIZATION_HEADER, CUSTOM_HEADER_PREFIX, IDENTITY_WAT_HEADER,
    OAUTH2_CALLBACK_URL_HEADER, REQUEST_ID_HEADER, SESSION_HEADER, is_forwardable_header,
};
pub use self::layer::{RuntimeContext, RuntimeContextLayer, on_agentcore_runtime, request_context};
use self::ping::Health;
pub use self::ping::{AsyncTaskInfo, PingStatus, RunningJob, TaskGuard, TaskId};
pub use self::reply::Reply;
use self::reply::ReplyKind;

/// The largest `POST /invocations` body accepted by default: 100 MiB, the payload limit
/// AgentCore Runtime documents for `InvokeAgentRuntime`. Larger bodies get `413`.
/// Change it with [`AppBuilder::body_limit`].
pub const DEFAULT_BODY_LIMIT: usize = 100 * 1024 * 1024;

/// The default listen address, `0.0.0.0:8080`, where AgentCore Runtime sends requests.
pub const DEFAULT_ADDRESS: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED), 8080);

/// The payload key that triggers a debug action when the app runs with [`AppBuilder::debug`]
/// (as in the Python SDK): `ping_status`, `job_status`, `force_healthy`, `force_busy`,
/// `clear_forced_status`.
pub const DEBUG_ACTION_KEY: &str = "_agent_core_app_action";

type EntryFuture = BoxFuture<'static, Result<Reply, String>>;

/// A type-erased entrypoint: payload bytes already parsed as JSON.
trait Entrypoint: Send + Sync + 'static {
    fn call(&self, payload: Value, invocation: Invocation) -> Result<EntryFuture, PayloadError>;
}

struct PayloadError(serde_json::Error);

struct FnEntrypoint<F, P> {
    f: F,
    _payload: std::marker::PhantomData<fn(P)>,
}

impl<F, Fut, P, R, E> Entrypoint for FnEntrypoint<F, P>
where
    F: Fn(P, Invocation) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    P: DeserializeOwned + 'static,
    R: Into<Reply>,
    E: fmt::Display,
{
    fn call(&self, payload: Value, invocation: Invocation) -> Result<EntryFuture, PayloadError> {
        let payload: P = serde_json::from_value(payload).map_err(PayloadError)?;
        let fut = (self.f)(payload, invocation);
        Ok(Box::pin(async move {
            match fut.await {
                Ok(reply) => Ok(reply.into()),
                Err(e) => Err(e.to_string()),
            }
        }))
    }
}

/// Builds an [`App`]; see [`App::builder`].
#[must_use]
pub struct AppBuilder {
    entrypoint: Option<Arc<dyn Entrypoint>>,
    address: SocketAddr,
    body_limit: usize,
    debug: bool,
    ping_handler: Option<Arc<dyn Fn() -> PingStatus + Send + Sync>>,
    serve: ServeConfig,
    context_layer: RuntimeContextLayer,
}

impl fmt::Debug for AppBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppBuilder")
            .field("entrypoint", &self.entrypoint.is_some())
            .field("address", &self.address)
            .field("body_limit", &self.body_limit)
            .field("debug", &self.debug)
            .field("ping_handler", &self.ping_handler.is_some())
            .field("serve", &self.serve)
            .field("context_layer", &self.context_layer)
            .finish()
    }
}

impl AppBuilder {
    /// Registers the entrypoint (the Python SDK's `@app.entrypoint`).
    ///
    /// It is called with the payload, deserialized into `P` (use [`serde_json::Value`] to take
    /// anything), and the [`Invocation`]. It returns `Ok(reply)`, where the reply is anything
    /// that converts into a [`Reply`] (a [`serde_json::Value`], a `String`, or
    /// [`Reply::json`] / [`Reply::stream`] / [`Reply::with_status`]), or `Err(e)`: then the
    /// client gets `500` and `{"error": e.to_string()}`. A payload that is valid JSON but does
    /// not deserialize into `P` gets `400`.
    pub fn entrypoint<F, Fut, P, R, E>(mut self, f: F) -> Self
    where
        F: Fn(P, Invocation) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, E>> + Send + 'static,
        P: DeserializeOwned + 'static,
        R: Into<Reply>,
        E: fmt::Display,
    {
        self.entrypoint = Some(Arc::new(FnEntrypoint {
            f,
            _payload: std::marker::PhantomData,
        }));
        self
    }

    /// The address [`App::run`] listens on (default [`DEFAULT_ADDRESS`], `0.0.0.0:8080`).
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// The port [`App::run`] listens on, keeping the IP (default `8080`).
    pub fn port(mut self, port: u16) -> Self {
        self.address.set_port(port);
        self
    }

    /// The largest invocation body accepted, in bytes (default [`DEFAULT_BODY_LIMIT`]).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Enables the debug actions (payload key [`DEBUG_ACTION_KEY`]), as the Python SDK's
    /// `BedrockAgentCoreApp(debug=True)`. Off by default.
    pub fn debug(mut self, enabled: bool) -> Self {
        self.debug = enabled;
        self
    }

    /// A custom ping status (the Python SDK's `@app.ping`). A forced status
    /// ([`App::force_ping_status`]) still wins over it.
    pub fn ping_handler(mut self, f: impl Fn() -> PingStatus + Send + Sync + 'static) -> Self {
        self.ping_handler = Some(Arc::new(f));
        self
    }

    /// Timeouts, bounds and shutdown deadline of the listener (see [`ServeConfig`]; the
    /// defaults are safe).
    pub fn serve_config(mut self, config: ServeConfig) -> Self {
        self.serve = config;
        self
    }

    /// Requires the workload access token header on every invocation (`true`) or never
    /// (`false`); by default it is required on AgentCore Runtime only
    /// ([`on_agentcore_runtime`]). See [`RuntimeContextLayer`].
    pub fn require_workload_access_token(mut self, required: bool) -> Self {
        self.context_layer = self.context_layer.require_workload_access_token(required);
        self
    }

    /// Builds the app. Without an entrypoint, invocations get `500` (`"No entrypoint defined"`).
    pub fn build(self) -> App {
        App {
            shared: Arc::new(Shared {
                entrypoint: self.entrypoint,
                address: self.address,
                body_limit: self.body_limit,
                debug: self.debug,
                health: Arc::new(Health::new(self.ping_handler)),
                serve: self.serve,
                context_layer: self.context_layer,
            }),
        }
    }
}

struct Shared {
    entrypoint: Option<Arc<dyn Entrypoint>>,
    address: SocketAddr,
    body_limit: usize,
    debug: bool,
    health: Arc<Health>,
    serve: ServeConfig,
    context_layer: RuntimeContextLayer,
}

/// An AgentCore Runtime app: one entrypoint behind `POST /invocations`, plus `GET /ping`.
///
/// Cheap to clone; clones share the entrypoint and the health state.
#[derive(Clone)]
pub struct App {
    shared: Arc<Shared>,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("address", &self.shared.address)
            .field("body_limit", &self.shared.body_limit)
            .field("debug", &self.shared.debug)
            .field("ping_status", &self.ping_status())
            .finish_non_exhaustive()
    }
}

impl App {
    /// Starts building an app.
    pub fn builder() -> AppBuilder {
        AppBuilder {
            entrypoint: None,
            address: DEFAULT_ADDRESS,
            body_limit: DEFAULT_BODY_LIMIT,
            debug: false,
            ping_handler: None,
            serve: ServeConfig::new(),
            context_layer: RuntimeContextLayer::new(),
        }
    }

    /// An app with this entrypoint and the defaults; see [`AppBuilder::entrypoint`].
    pub fn new<F, Fut, P, R, E>(entrypoint: F) -> App
    where
        F: Fn(P, Invocation) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, E>> + Send + 'static,
        P: DeserializeOwned + 'static,
        R: Into<Reply>,
        E: fmt::Display,
    {
        App::builder().entrypoint(entrypoint).build()
    }

    /// The address [`App::run`] listens on.
    pub fn address(&self) -> SocketAddr {
        self.shared.address
    }

    /// The axum router serving `POST /invocations` and `GET /ping` (with [`RuntimeContextLayer`]
    /// and the body limit), to nest in a larger app or to serve yourself.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/invocations", post(invocations))
            .route("/ping", get(ping))
            .layer(DefaultBodyLimit::max(self.shared.body_limit))
            .layer(self.shared.context_layer)
            .with_state(self.clone())
    }

    /// Listens on [`App::address`] (default `0.0.0.0:8080`) and serves until `SIGTERM` or
    /// Ctrl-C, then finishes the requests in flight.
    pub async fn run(self) -> io::Result<()> {
        let listener = TcpListener::bind(self.shared.address).await?;
        self.serve(listener).await
    }

    /// Serves on `listener` until `SIGTERM` or Ctrl-C (graceful).
    pub async fn serve(self, listener: TcpListener) -> io::Result<()> {
        self.serve_with_shutdown(listener, shutdown_signal()).await
    }

    /// Serves on `listener` until `signal` completes, then lets the requests in flight finish
    /// within the shutdown deadline ([`AppBuilder::serve_config`]).
    pub async fn serve_with_shutdown(
        self,
        listener: TcpListener,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "AgentCore Runtime app listening");
        }
        let config = self.shared.serve.clone();
        agentcore_serve::serve(listener, self.router(), config, signal).await
    }

    /// The current ping status: forced, else the custom ping handler's, else `HealthyBusy`
    /// while tracked tasks run and `Healthy` otherwise.
    pub fn ping_status(&self) -> PingStatus {
        self.shared.health.status()
    }

    /// When the ping status last changed, in seconds since the Unix epoch.
    pub fn time_of_last_update(&self) -> u64 {
        self.shared.health.status_and_time().1
    }

    /// Forces the ping status until [`App::clear_forced_ping_status`].
    pub fn force_ping_status(&self, status: PingStatus) {
        self.shared.health.force(Some(status));
    }

    /// Returns to the automatic ping status.
    pub fn clear_forced_ping_status(&self) {
        self.shared.health.force(None);
    }

    /// Registers a running background task: the ping status is `HealthyBusy` until
    /// [`App::complete_async_task`] is called with the returned id.
    pub fn add_async_task(&self, name: impl Into<String>) -> TaskId {
        self.shared.health.add(name.into())
    }

    /// Marks a task as done; `false` if the id is unknown (or already completed).
    pub fn complete_async_task(&self, id: TaskId) -> bool {
        self.shared.health.complete(id)
    }

    /// Registers a task that completes when the returned guard is dropped.
    pub fn task_guard(&self, name: impl Into<String>) -> TaskGuard {
        TaskGuard::new(Arc::clone(&self.shared.health), self.add_async_task(name))
    }

    /// Wraps `fut` so that it counts as a running task (ping `HealthyBusy`) until it finishes
    /// or is dropped: the Python SDK's `@app.async_task`.
    pub fn track<F: Future, N: Into<String>>(
        &self,
        name: N,
        fut: F,
    ) -> impl Future<Output = F::Output> + use<F, N> {
        let guard = self.task_guard(name);
        async move {
            let out = fut.await;
            drop(guard);
            out
        }
    }

    /// Spawns `fut` as a tracked background task that keeps the current [`RequestContext`]
    /// (so it can still fetch credentials after the invocation has answered).
    pub fn spawn_task<F>(
        &self,
        name: impl Into<String>,
        fut: F,
    ) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        agentcore_identity::context::spawn(self.track(name.into(), fut))
    }

    /// The tracked tasks running now.
    pub fn async_task_info(&self) -> AsyncTaskInfo {
        self.shared.health.info()
    }
}

/// What the entrypoint learns about the invocation it serves, besides the payload.
#[derive(Clone)]
pub struct Invocation {
    context: RequestContext,
    headers: HeaderMap,
    app: App,
}

impl fmt::Debug for Invocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invocation")
            .field("context", &self.context)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Invocation {
    /// The identity request context this invocation runs in (also available as
    /// [`RequestContext::current`]).
    pub fn context(&self) -> &RequestContext {
        &self.context
    }

    /// The runtime session id (header `X-Amzn-Bedrock-AgentCore-Runtime-Session-Id`).
    pub fn session_id(&self) -> Option<&str> {
        self.context.session_id()
    }

    /// The request id (header `X-Amzn-Bedrock-AgentCore-Runtime-Request-Id`, or a generated
    /// UUID when the header is absent).
    pub fn request_id(&self) -> &str {
        self.context.request_id().unwrap_or_default()
    }

    /// The request headers the runtime lets agent code see: `Authorization`, the
    /// `X-Amzn-Bedrock-AgentCore-Runtime-Custom-*` headers, the identity WAT header and other
    /// non-reserved headers (see [`is_forwardable_header`]).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The app serving this invocation (to track background tasks, force the ping status...).
    pub fn app(&self) -> &App {
        &self.app
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn error_response(status: StatusCode, error: &str, details: Option<String>) -> Response {
    let body = match details {
        Some(details) => json!({ "error": error, "details": details }),
        None => json!({ "error": error }),
    };
    json_response(status, &body)
}

async fn ping(State(app): State<App>) -> Response {
    let (status, time) = app.shared.health.status_and_time();
    tracing::debug!(status = status.as_str(), "ping");
    json_response(
        StatusCode::OK,
        &json!({ "status": status.as_str(), "time_of_last_update": time }),
    )
}

/// Aborts the spawned entrypoint task if the client goes away before it answered.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn invocations(
    State(app): State<App>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // Set by `RuntimeContextLayer`, which `App::router` always applies.
    let ctx = RequestContext::current().unwrap_or_else(|| request_context(&headers));
    let span = tracing::info_span!(
        "invocation",
        request_id = ctx.request_id().unwrap_or_default(),
        session_id = ctx.session_id().unwrap_or_default(),
    );
    invoke(app, headers, body, ctx).instrument(span).await
}

async fn invoke(
    app: App,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    ctx: RequestContext,
) -> Response {
    let start = Instant::now();
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            tracing::warn!(%status, "invocation body rejected");
            return if agentcore_serve::is_body_timeout(&rejection) {
                error_response(
                    StatusCode::REQUEST_TIMEOUT,
                    "Request timeout",
                    Some(rejection.body_text()),
                )
            } else if status == StatusCode::PAYLOAD_TOO_LARGE {
                error_response(
                    status,
                    "Payload too large",
                    Some(format!(
                        "the request body is larger than {} bytes",
                        app.shared.body_limit
                    )),
                )
            } else {
                error_response(status, "Invalid request body", Some(rejection.body_text()))
            };
        }
    };
    let payload: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "invalid JSON in invocation");
            let error = if e.is_data() || e.is_syntax() || e.is_eof() {
                "Invalid JSON"
            } else {
                "Invalid encoding"
            };
            return error_response(StatusCode::BAD_REQUEST, error, Some(e.to_string()));
        }
    };
    if app.shared.debug
        && let Some(action) = payload.get(DEBUG_ACTION_KEY)
    {
        return debug_action(&app, action);
    }
    let Some(entrypoint) = app.shared.entrypoint.clone() else {
        tracing::error!("no entrypoint defined");
        return error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "No entrypoint defined",
            None,
        );
    };
    let invocation = Invocation {
        context: ctx.clone(),
        headers: forwardable_headers(&headers),
        app: app.clone(),
    };

    // Run the entrypoint in its own task, inside the request context: a panic stays in that task
    // and becomes a 500, and a streamed reply is polled inside the same context.
    let (tx, mut rx) = tokio::sync::oneshot::channel::<Outcome>();
    let task = tokio::spawn(
        RequestContext::scope(ctx, async move {
            let fut = match entrypoint.call(payload, invocation) {
                Ok(fut) => fut,
                Err(PayloadError(e)) => {
                    let _ = tx.send(Outcome::BadPayload(e.to_string()));
                    return;
                }
            };
            match fut.await {
                Ok(reply) => match reply.kind {
                    ReplyKind::Json { status, body } => {
                        let _ = tx.send(Outcome::Json(status, body));
                    }
                    ReplyKind::Stream(mut stream) => {
                        let (item_tx, item_rx) = futures::channel::mpsc::channel::<Bytes>(16);
                        if tx.send(Outcome::Stream(item_rx)).is_err() {
                            return;
                        }
                        let mut item_tx = item_tx;
                        while let Some(item) = stream.next().await {
                            use futures::SinkExt;
                            if item_tx.send(reply::sse_event(&item)).await.is_err() {
                                tracing::debug!("stream client went away");
                                return;
                            }
                        }
                    }
                },
                Err(message) => {
                    let _ = tx.send(Outcome::Failed(message));
                }
            }
        })
        .in_current_span(),
    );
    let abort = AbortOnDrop(task.abort_handle());

    let outcome = match (&mut rx).await {
        Ok(outcome) => outcome,
        Err(_) => {
            // The task ended without an answer: it panicked (or was cancelled).
            let panicked = task.await.err().is_some_and(|e| e.is_panic());
            tracing::error!(panicked, "entrypoint task ended without an answer");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                if panicked {
                    "Entrypoint panicked"
                } else {
                    "Entrypoint was cancelled"
                },
                None,
            );
        }
    };
    let elapsed = start.elapsed().as_secs_f64();
    match outcome {
        Outcome::Json(status, body) => {
            tracing::info!(elapsed, %status, "invocation completed");
            let mut resp = Response::new(Body::from(body));
            *resp.status_mut() = status;
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            resp
        }
        Outcome::Stream(items) => {
            tracing::info!(elapsed, "returning a streaming response");
            // Keep the producer task alive as long as the body is being read.
            let body = futures::stream::unfold((items, abort), |(mut items, abort)| async move {
                items
                    .next()
                    .await
                    .map(|b| (Ok::<_, std::convert::Infallible>(b), (items, abort)))
            });
            let mut resp = Response::new(Body::from_stream(body));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            );
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            resp
        }
        Outcome::BadPayload(details) => {
            tracing::warn!(elapsed, "payload does not match the entrypoint's type");
            error_response(StatusCode::BAD_REQUEST, "Invalid payload", Some(details))
        }
        Outcome::Failed(message) => {
            tracing::error!(elapsed, error = %message, "invocation failed");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, &message, None)
        }
    }
}

enum Outcome {
    Json(StatusCode, Bytes),
    Stream(futures::channel::mpsc::Receiver<Bytes>),
    BadPayload(String),
    Failed(String),
}

fn forwardable_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in headers {
        if is_forwardable_header(name.as_str()) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

fn debug_action(app: &App, action: &Value) -> Response {
    let action = action.as_str().unwrap_or_default();
    tracing::debug!(action, "debug action");
    match action {
        "ping_status" => {
            let (status, time) = app.shared.health.status_and_time();
            json_response(
                StatusCode::OK,
                &json!({ "status": status.as_str(), "time_of_last_update": time }),
            )
        }
        "job_status" => json_response(
            StatusCode::OK,
            &serde_json::to_value(app.async_task_info()).unwrap_or_default(),
        ),
        "force_healthy" => {
            app.force_ping_status(PingStatus::Healthy);
            json_response(StatusCode::OK, &json!({ "forced_status": "Healthy" }))
        }
        "force_busy" => {
            app.force_ping_status(PingStatus::HealthyBusy);
            json_response(StatusCode::OK, &json!({ "forced_status": "HealthyBusy" }))
        }
        "clear_forced_status" => {
            app.clear_forced_ping_status();
            json_response(StatusCode::OK, &json!({ "forced_status": "Cleared" }))
        }
        other => error_response(
            StatusCode::BAD_REQUEST,
            &format!("Unknown action: {other}"),
            None,
        ),
    }
}
