//! Serving an axum [`Router`] safely by default: the one place where this workspace's listeners
//! (the AgentCore Runtime app, the OAuth2 callback server, the local identity service) get their
//! timeouts, bounds and shutdown.
//!
//! [`serve`] runs HTTP/1.1 with
//!
//! - a **header-read timeout** ([`ServeConfig::header_read_timeout`], default 10 s): counted from
//!   when a connection starts waiting for a request (a new connection, or a keep-alive one after
//!   its last answer) until the whole request head has arrived; so it is also the **idle
//!   timeout** of keep-alive connections;
//! - a **body timeout** ([`ServeConfig::body_timeout`], default 30 s): the whole request body must
//!   arrive within it, counted from the handler's first read; a late body fails with
//!   [`BodyTimeout`] (find it with [`is_body_timeout`]). Responses are never timed, so a
//!   streaming answer (SSE) is not cut;
//! - a **bound on connections** ([`ServeConfig::max_connections`], default 1,024) and on the
//!   request head (64 KiB, 100 headers);
//! - a **graceful shutdown with a deadline** ([`ServeConfig::shutdown_deadline`], default 10 s):
//!   when the shutdown future completes the listener closes, idle connections close at once,
//!   requests in flight may finish until the deadline, and whatever is left then is dropped.
//!
//! Handlers may extract [`axum::extract::ConnectInfo<SocketAddr>`] (the peer address).
//!
//! ```no_run
//! use agentcore_serve::{ServeConfig, serve, shutdown_signal};
//! use axum::{Router, routing::get};
//! use std::time::Duration;
//!
//! # #[tokio::main] async fn main() -> std::io::Result<()> {
//! let app = Router::new().route("/ping", get(|| async { "ok" }));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let config = ServeConfig::new().shutdown_deadline(Duration::from_secs(5));
//! serve(listener, app, config, shutdown_signal()).await
//! # }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Sleep;
use tower::ServiceExt as _;

type BoxError = Box<dyn StdError + Send + Sync>;

/// Default [`ServeConfig::header_read_timeout`]: 10 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`ServeConfig::body_timeout`]: 30 s.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`ServeConfig::shutdown_deadline`]: 10 s.
pub const DEFAULT_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);
/// Default [`ServeConfig::max_connections`]: 1,024.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// The largest request head (request line and headers) read: 64 KiB.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most headers one request may carry.
pub const MAX_HEADERS: usize = 100;

/// Timeouts, bounds and shutdown deadline of [`serve`]; every field has a safe default.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct ServeConfig {
    header_read_timeout: Duration,
    body_timeout: Duration,
    shutdown_deadline: Duration,
    max_connections: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            shutdown_deadline: DEFAULT_SHUTDOWN_DEADLINE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl ServeConfig {
    /// The defaults (see the [crate docs](crate)).
    pub fn new() -> Self {
        Self::default()
    }

    /// How long a connection may take to send a whole request head, counted from when it starts
    /// waiting for one; also how long a keep-alive connection may stay idle. Zero is raised to
    /// 1 ms.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long a request body may take to arrive, counted from the handler's first read.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// How long requests in flight may run after shutdown begins; then their connections are
    /// dropped.
    pub fn shutdown_deadline(mut self, deadline: Duration) -> Self {
        self.shutdown_deadline = deadline;
        self
    }

    /// The most connections served at once; further clients wait in the listen backlog.
    /// Zero is raised to 1.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// The header-read (and keep-alive idle) timeout.
    pub fn get_header_read_timeout(&self) -> Duration {
        self.header_read_timeout
    }

    /// The body timeout.
    pub fn get_body_timeout(&self) -> Duration {
        self.body_timeout
    }

    /// The shutdown deadline.
    pub fn get_shutdown_deadline(&self) -> Duration {
        self.shutdown_deadline
    }

    /// The connection bound.
    pub fn get_max_connections(&self) -> usize {
        self.max_connections
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then shuts down gracefully within
/// [`ServeConfig::shutdown_deadline`] (see the [crate docs](crate)).
///
/// Returns when every connection has closed or the deadline has passed. Errors accepting a
/// connection are logged and retried, never returned.
pub async fn serve<F>(
    listener: TcpListener,
    router: Router,
    config: ServeConfig,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send,
{
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = Arc::clone(&slots).acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let (stream, remote) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    // Out of file descriptors and the like: do not spin.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let body_timeout = config.body_timeout;
        let service = tower::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            let request =
                request.map(|body| axum::body::Body::new(TimedBody::new(body, body_timeout)));
            router.clone().oneshot(request)
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(config.header_read_timeout)
            .max_header_size(MAX_HEAD_BYTES)
            .max_headers(MAX_HEADERS)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%remote, error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    let open = connections.len();
    tracing::info!(open, deadline = ?config.shutdown_deadline, "shutting down");
    if tokio::time::timeout(config.shutdown_deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "shutdown deadline passed; dropping the connections still open"
        );
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// Completes on `SIGTERM` (Unix) or Ctrl-C, and logs which one.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = term => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// The error a request body fails with when it did not arrive within
/// [`ServeConfig::body_timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTimeout {
    timeout: Duration,
}

impl BodyTimeout {
    /// The timeout that passed.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the request body did not arrive within {} ms",
            self.timeout.as_millis()
        )
    }
}

impl StdError for BodyTimeout {}

/// Whether `err`, or any error in its source chain, is a [`BodyTimeout`] (for handlers that map
/// a failed body read to `408 Request Timeout`).
pub fn is_body_timeout(err: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.is::<BodyTimeout>() {
            return true;
        }
        current = e.source();
    }
    false
}

pin_project_lite::pin_project! {
    /// A request body that fails with [`BodyTimeout`] when it is not complete in time.
    struct TimedBody<B> {
        #[pin]
        inner: B,
        timeout: Duration,
        #[pin]
        deadline: Option<Sleep>,
    }
}

impl<B> TimedBody<B> {
    fn new(inner: B, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            deadline: None,
        }
    }
}

impl<B> Body for TimedBody<B>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    type Data = B::Data;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        if this.deadline.is_none() {
            this.deadline.set(Some(tokio::time::sleep(*this.timeout)));
        }
        if let Poll::Ready(frame) = this.inner.poll_frame(cx) {
            return Poll::Ready(frame.map(|r| r.map_err(Into::into)));
        }
        let deadline = this.deadline.as_pin_mut().expect("set above");
        if deadline.poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimeout {
                timeout: *this.timeout,
            }))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The peer address of a served request, as [`serve`] records it.
pub type PeerAddr = ConnectInfo<SocketAddr>;
