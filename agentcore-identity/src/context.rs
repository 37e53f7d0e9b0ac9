//! The per-request context: workload access token, OAuth2 callback URL, session and request ids.
//!
//! AgentCore Runtime sends the workload access token with each invocation (header
//! `WorkloadAccessToken`); the code serving the request puts it into a [`RequestContext`] and runs
//! the handler inside [`RequestContext::scope`]. Everything that needs a credential below that
//! point finds the token with [`RequestContext::current`], without passing it around.
//!
//! The context is a [`tokio::task_local!`]: it follows the future it was scoped on, not the thread.
//! A task started with [`tokio::spawn`] starts without one; carry it over with
//! [`FutureExt::in_current_context`] or use [`spawn`] (the Python SDK loses its context across
//! threads; this is the fix).
//!
//! ```no_run
//! use agentcore_identity::context::{self, FutureExt, RequestContext};
//! use secrecy::SecretString;
//!
//! # async fn handler() {}
//! # #[tokio::main] async fn main() {
//! let ctx = RequestContext::new()
//!     .with_workload_access_token(SecretString::from("token from the WorkloadAccessToken header"))
//!     .with_request_id("req-1");
//! RequestContext::scope(ctx, async {
//!     // Both tasks see the same context.
//!     let a = context::spawn(handler());
//!     let b = tokio::spawn(handler().in_current_context());
//!     let _ = (a.await, b.await);
//! })
//! .await;
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use secrecy::{ExposeSecret, SecretString};

tokio::task_local! {
    static CONTEXT: RequestContext;
}

/// The future returned by [`RequestContext::scope`] and [`FutureExt::in_current_context`].
pub type WithContext<F> = tokio::task::futures::TaskLocalFuture<RequestContext, F>;

/// What AgentCore Runtime tells an agent about the request it is serving.
///
/// Cheap to clone (one `Arc`). `Debug` never shows the workload access token.
#[derive(Clone, Default)]
#[must_use]
pub struct RequestContext {
    inner: Arc<Inner>,
}

#[derive(Clone, Default)]
struct Inner {
    workload_access_token: Option<SecretString>,
    /// SHA-256 of the workload access token, computed on first use (cache keys).
    token_digest: OnceLock<[u8; 32]>,
    oauth2_callback_url: Option<String>,
    session_id: Option<String>,
    request_id: Option<String>,
    /// Set for AgentCore Runtime invocations: no fallback identity when the token is missing.
    workload_access_token_required: bool,
}

impl RequestContext {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    fn edit(mut self, f: impl FnOnce(&mut Inner)) -> Self {
        let inner = Arc::make_mut(&mut self.inner);
        f(inner);
        self
    }

    /// Sets the workload access token (header `WorkloadAccessToken` or
    /// `X-Amz-Bedrock-AgentCore-Identity-WAT`).
    pub fn with_workload_access_token(self, token: SecretString) -> Self {
        self.edit(|i| {
            i.workload_access_token = Some(token);
            i.token_digest = OnceLock::new();
        })
    }

    /// Sets the OAuth2 callback URL (header `OAuth2CallbackUrl`), the default
    /// `resourceOauth2ReturnUrl` of USER_FEDERATION requests made in this context.
    pub fn with_oauth2_callback_url(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.edit(|i| i.oauth2_callback_url = Some(url))
    }

    /// Sets the runtime session id (header `X-Amzn-Bedrock-AgentCore-Runtime-Session-Id`).
    pub fn with_session_id(self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.edit(|i| i.session_id = Some(id))
    }

    /// Sets the request id (header `X-Amzn-Bedrock-AgentCore-Runtime-Request-Id`).
    pub fn with_request_id(self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.edit(|i| i.request_id = Some(id))
    }

    /// Marks this context as one where a workload access token is required: a credential call
    /// in it without one fails with [`Error::MissingWorkloadAccessToken`](crate::Error::MissingWorkloadAccessToken)
    /// instead of falling back to the client's workload identity or local development. Set by
    /// `agentcore-runtime` for invocations on AgentCore Runtime.
    pub fn with_workload_access_token_required(self, required: bool) -> Self {
        self.edit(|i| i.workload_access_token_required = required)
    }

    /// Whether a workload access token is required in this context.
    pub fn workload_access_token_required(&self) -> bool {
        self.inner.workload_access_token_required
    }

    /// The workload access token, if the runtime sent one.
    pub fn workload_access_token(&self) -> Option<&SecretString> {
        self.inner.workload_access_token.as_ref()
    }

    /// The OAuth2 callback URL, if the runtime sent one.
    pub fn oauth2_callback_url(&self) -> Option<&str> {
        self.inner.oauth2_callback_url.as_deref()
    }

    /// The runtime session id.
    pub fn session_id(&self) -> Option<&str> {
        self.inner.session_id.as_deref()
    }

    /// The request id.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// SHA-256 of the workload access token, computed once per context.
    pub(crate) fn token_digest(&self) -> Option<[u8; 32]> {
        let token = self.inner.workload_access_token.as_ref()?;
        Some(
            *self
                .inner
                .token_digest
                .get_or_init(|| crate::cache::digest_secret(token.expose_secret())),
        )
    }

    /// Runs `fut` with `ctx` as the current context.
    pub fn scope<F: Future>(ctx: RequestContext, fut: F) -> WithContext<F> {
        CONTEXT.scope(ctx, fut)
    }

    /// Runs the closure `f` with `ctx` as the current context (for synchronous code).
    pub fn sync_scope<R>(ctx: RequestContext, f: impl FnOnce() -> R) -> R {
        CONTEXT.sync_scope(ctx, f)
    }

    /// The current context, if code runs inside [`RequestContext::scope`].
    pub fn current() -> Option<RequestContext> {
        CONTEXT.try_with(Clone::clone).ok()
    }

    /// Calls `f` with the current context without cloning it (`None` outside a scope).
    pub fn with_current<R>(f: impl FnOnce(Option<&RequestContext>) -> R) -> R {
        let mut f = Some(f);
        match CONTEXT.try_with(|ctx| (f.take().expect("called once"))(Some(ctx))) {
            Ok(r) => r,
            Err(_) => (f.take().expect("not called yet"))(None),
        }
    }
}

impl fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field(
                "workload_access_token",
                &self
                    .inner
                    .workload_access_token
                    .as_ref()
                    .map(|_| "[REDACTED]"),
            )
            .field("oauth2_callback_url", &self.inner.oauth2_callback_url)
            .field("session_id", &self.inner.session_id)
            .field("request_id", &self.inner.request_id)
            .field(
                "workload_access_token_required",
                &self.inner.workload_access_token_required,
            )
            .finish()
    }
}

/// Carries the current [`RequestContext`] into another future (for [`tokio::spawn`]).
pub trait FutureExt: Future + Sized {
    /// Wraps `self` so that it runs with the context current *now* (an empty one outside a scope).
    ///
    /// ```no_run
    /// use agentcore_identity::context::FutureExt;
    /// # async fn work() {}
    /// # #[tokio::main] async fn main() {
    /// let task = tokio::spawn(work().in_current_context());
    /// # let _ = task.await;
    /// # }
    /// ```
    fn in_current_context(self) -> WithContext<Self> {
        RequestContext::scope(RequestContext::current().unwrap_or_default(), self)
    }
}

impl<F: Future> FutureExt for F {}

/// [`tokio::spawn`] that carries the current [`RequestContext`] into the new task.
pub fn spawn<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(fut.in_current_context())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn context_is_carried_into_spawned_tasks() {
        let ctx = RequestContext::new()
            .with_workload_access_token(SecretString::from("wat"))
            .with_request_id("r1")
            .with_session_id("s1")
            .with_oauth2_callback_url("http://localhost/cb");
        RequestContext::scope(ctx, async {
            let plain = tokio::spawn(async { RequestContext::current().is_some() });
            assert!(!plain.await.unwrap(), "plain spawn has no context");
            let carried = spawn(async { RequestContext::current() })
                .await
                .unwrap()
                .unwrap();
            assert_eq!(carried.request_id(), Some("r1"));
            assert_eq!(carried.session_id(), Some("s1"));
            assert_eq!(carried.oauth2_callback_url(), Some("http://localhost/cb"));
            assert_eq!(
                carried.workload_access_token().unwrap().expose_secret(),
                "wat"
            );
            let ext = tokio::spawn(async { RequestContext::current() }.in_current_context());
            assert_eq!(ext.await.unwrap().unwrap().request_id(), Some("r1"));
        })
        .await;
        assert!(RequestContext::current().is_none());
    }

    #[test]
    fn debug_redacts_token() {
        let ctx = RequestContext::new().with_workload_access_token(SecretString::from("s3cr3t"));
        let dbg = format!("{ctx:?}");
        assert!(!dbg.contains("s3cr3t"), "{dbg}");
        assert!(dbg.contains("REDACTED"));
    }

    #[test]
    fn digest_is_stable_and_rebuilt_on_change() {
        let a = RequestContext::new().with_workload_access_token(SecretString::from("a"));
        let da = a.token_digest().unwrap();
        let b = a
            .clone()
            .with_workload_access_token(SecretString::from("b"));
        assert_ne!(da, b.token_digest().unwrap());
        assert_eq!(da, a.token_digest().unwrap());
    }
}
