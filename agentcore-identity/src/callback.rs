//! The local OAuth2 session-binding callback server for 3LO during development (feature
//! `callback-server`).
//!
//! In a USER_FEDERATION flow, after the user consents at the identity provider, AgentCore
//! Identity redirects their browser to the workload's `resourceOauth2ReturnUrl` with
//! `?session_id=<sessionUri>`. Whoever serves that URL must call `CompleteResourceTokenAuth`
//! for the user the agent acts for, binding the session to them; then the agent's poller gets the
//! token. This server does that on your machine, as the Python starter toolkit's callback server
//! does on `http://127.0.0.1:8081/oauth2/callback`, and shows a plain page saying the agent can
//! continue.
//!
//! It completes only the sessions its [`IdentityClient`] started and is still waiting for, each
//! once ([`IdentityClient::claim_awaited_session`]): a forged or replayed `session_id` (a link or
//! an image on any page the developer opens) gets a plain error page and no
//! `CompleteResourceTokenAuth` call. And it only binds loopback addresses:
//! [`CallbackServerBuilder::start`] refuses `0.0.0.0` and any other non-loopback address
//! ([`CallbackError::NotLoopback`]).
//!
//! It is served by [`agentcore_serve::serve`]: header-read, body and idle timeouts, a connection
//! bound and a shutdown deadline (see [`CallbackServerBuilder::serve_config`]).
//!
//! ```no_run
//! use agentcore_identity::IdentityClient;
//! use agentcore_identity::callback::CallbackServer;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let client = IdentityClient::from_env().await?;
//!     let server = CallbackServer::builder(client).user_id("alice").start().await?;
//!     // Allow this URL on the workload identity (allowedResourceOauth2ReturnUrls) and pass it
//!     // as the callback URL of `#[requires_access_token(auth_flow = "USER_FEDERATION", ...)]`.
//!     println!("{}", server.callback_url());
//!     tokio::signal::ctrl_c().await?;
//!     server.shutdown().await;
//!     Ok(())
//! }
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use agentcore_serve::ServeConfig;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::future::BoxFuture;
use secrecy::SecretString;
use serde::Deserialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::client::IdentityClient;
use crate::error::Error;
use crate::request::UserIdentifier;

/// The starter toolkit's callback port.
pub const DEFAULT_CALLBACK_PORT: u16 = 8081;

/// The starter toolkit's callback path.
pub const CALLBACK_PATH: &str = "/oauth2/callback";

/// The page shown once the session is bound.
pub const SUCCESS_PAGE: &str =
    "Authorization complete. The agent can continue now; you can close this window.\n";

/// The page shown for a session this process did not start, or already completed.
pub const NOT_AWAITED_PAGE: &str = "This authorization session is unknown here or already completed; \
     start the sign-in again from the agent.\n";

/// Why the callback server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The bind address is not a loopback address.
    #[error(
        "refusing to serve the OAuth2 callback on {0}: bind a loopback address such as \
         127.0.0.1 (anyone reaching this page could bind sessions to the configured user)"
    )]
    NotLoopback(SocketAddr),
    /// No user was configured ([`CallbackServerBuilder::user_id`] or `user_token`).
    #[error("no user configured for the OAuth2 callback server: set `user_id` or `user_token`")]
    NoUser,
    /// Binding the address failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// What completing one session came to.
enum Completion {
    Done,
    /// Not a session this process started and still waits for (forged, replayed or expired).
    NotAwaited,
    Failed(Error),
}

type Completer = Arc<dyn Fn(String) -> BoxFuture<'static, Completion> + Send + Sync + 'static>;

/// The callback server; see the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct CallbackServer;

impl CallbackServer {
    /// Starts configuring a callback server that completes sessions with `client`.
    pub fn builder(client: IdentityClient) -> CallbackServerBuilder {
        CallbackServerBuilder {
            client,
            user: None,
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), DEFAULT_CALLBACK_PORT),
            serve: ServeConfig::new().shutdown_deadline(std::time::Duration::from_secs(2)),
        }
    }
}

/// Configures and starts a [`CallbackServer`].
#[must_use]
pub struct CallbackServerBuilder {
    client: IdentityClient,
    user: Option<UserIdentifier>,
    addr: SocketAddr,
    serve: ServeConfig,
}

impl fmt::Debug for CallbackServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackServerBuilder")
            .field("user", &self.user)
            .field("addr", &self.addr)
            .field("serve", &self.serve)
            .finish_non_exhaustive()
    }
}

impl CallbackServerBuilder {
    /// Binds sessions to this user id (the one the workload access token was obtained for, e.g.
    /// the `user_id` of `.agentcore.json`).
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user = Some(UserIdentifier::UserId(user_id.into()));
        self
    }

    /// Binds sessions to the user of this JWT (when the workload access token was obtained
    /// for a user token).
    pub fn user_token(mut self, token: SecretString) -> Self {
        self.user = Some(UserIdentifier::UserToken(token));
        self
    }

    /// The address to listen on (default `127.0.0.1:8081`; port `0` picks a free port).
    /// Must be a loopback address.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The port to listen on, on `127.0.0.1` unless [`CallbackServerBuilder::bind`] chose another
    /// loopback IP.
    pub fn port(mut self, port: u16) -> Self {
        self.addr.set_port(port);
        self
    }

    /// Timeouts, bounds and shutdown deadline of the listener (default: [`ServeConfig`]'s, with a
    /// 2 s shutdown deadline).
    pub fn serve_config(mut self, config: ServeConfig) -> Self {
        self.serve = config;
        self
    }

    /// Checks the address, binds it and serves in a background task.
    pub async fn start(self) -> Result<CallbackServerHandle, CallbackError> {
        if !self.addr.ip().is_loopback() {
            return Err(CallbackError::NotLoopback(self.addr));
        }
        let user = self.user.ok_or(CallbackError::NoUser)?;
        let client = self.client;
        let completer: Completer = Arc::new(move |session_uri: String| {
            let client = client.clone();
            let user = user.clone();
            Box::pin(async move {
                if !client.claim_awaited_session(&session_uri).await {
                    return Completion::NotAwaited;
                }
                match client
                    .complete_resource_token_auth(&session_uri, user)
                    .await
                {
                    Ok(()) => Completion::Done,
                    Err(e) => Completion::Failed(e),
                }
            })
        });
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .map_err(|source| CallbackError::Bind {
                addr: self.addr,
                source,
            })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| CallbackError::Bind {
                addr: self.addr,
                source,
            })?;
        let router = router(completer);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let serve_config = self.serve;
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stop_rx.await;
            };
            if let Err(e) = agentcore_serve::serve(listener, router, serve_config, shutdown).await {
                tracing::error!(error = %e, "OAuth2 callback server failed");
            }
        });
        tracing::info!(url = %format!("http://{local_addr}{CALLBACK_PATH}"), "OAuth2 callback server listening");
        Ok(CallbackServerHandle {
            local_addr,
            stop: Some(stop_tx),
            task: Some(task),
        })
    }
}

/// A running callback server. Dropping it stops the server.
#[derive(Debug)]
pub struct CallbackServerHandle {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl CallbackServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL to allow on the workload identity and to pass as the OAuth2 callback URL:
    /// `http://127.0.0.1:8081/oauth2/callback` by default.
    pub fn callback_url(&self) -> String {
        format!("http://{}{CALLBACK_PATH}", self.local_addr)
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for CallbackServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    session_id: Option<String>,
}

fn router(completer: Completer) -> Router {
    Router::new()
        .route(CALLBACK_PATH, get(callback))
        .route(
            "/ping",
            get(|| async { axum::Json(serde_json::json!({"status": "success"})) }),
        )
        .with_state(completer)
}

fn page(status: StatusCode, text: &str) -> Response {
    let mut resp = (status, text.to_owned()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

async fn callback(
    State(completer): State<Completer>,
    query: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let session = query
        .ok()
        .and_then(|Query(q)| q.session_id)
        .filter(|s| !s.is_empty());
    let Some(session_uri) = session else {
        return page(
            StatusCode::BAD_REQUEST,
            "Missing session_id query parameter.\n",
        );
    };
    match completer(session_uri).await {
        Completion::Done => {
            tracing::info!("OAuth2 session bound to the configured user");
            page(StatusCode::OK, SUCCESS_PAGE)
        }
        Completion::NotAwaited => {
            tracing::warn!("refused a callback for a session this process is not waiting for");
            page(StatusCode::BAD_REQUEST, NOT_AWAITED_PAGE)
        }
        Completion::Failed(e) => {
            tracing::warn!(error = %e, "CompleteResourceTokenAuth failed");
            page(
                StatusCode::BAD_GATEWAY,
                &format!("Could not complete the authorization: {e}\n"),
            )
        }
    }
}
