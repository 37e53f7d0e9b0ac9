//! Waiting for the user: the [`TokenPoller`] trait and the default poller.
//!
//! After a USER_FEDERATION request answered with an authorization URL (and `on_auth_url` was told
//! about it), a poller asks the service again, with the `sessionUri`, until the token is there.
//! Each ask is one [`PollHandle::poll_once`]; the poller decides when and how often. Dropping the
//! future of the call stops polling.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;

use crate::error::Error;

/// Python's default polling interval: 5 s.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// Python's default polling timeout: 600 s.
pub const DEFAULT_POLL_TIMEOUT: Duration = Duration::from_secs(600);

/// Decides when to ask the service for the token while the user authorizes.
///
/// Object-safe: store it as `Arc<dyn TokenPoller>`.
///
/// ```
/// use agentcore_identity::{Error, PollHandle, PollOutcome, TokenPoller};
/// use agentcore_identity::SecretString;
///
/// /// Polls every 100 ms, at most 50 times.
/// #[derive(Debug)]
/// struct Quick;
///
/// #[async_trait::async_trait]
/// impl TokenPoller for Quick {
///     async fn poll_for_token(&self, handle: &PollHandle<'_>) -> Result<SecretString, Error> {
///         for _ in 0..50 {
///             tokio::time::sleep(std::time::Duration::from_millis(100)).await;
///             if let PollOutcome::Ready(token) = handle.poll_once().await? {
///                 return Ok(token);
///             }
///         }
///         Err(Error::poll_timeout(
///             handle.authorization_url(),
///             std::time::Duration::from_secs(5),
///         ))
///     }
/// }
///
/// let _poller: std::sync::Arc<dyn TokenPoller> = std::sync::Arc::new(Quick);
/// ```
#[async_trait]
pub trait TokenPoller: Send + Sync {
    /// Polls through `handle` until the token is available or the poller gives up.
    ///
    /// Propagate errors of [`PollHandle::poll_once`] (a `FAILED` session is one).
    async fn poll_for_token(&self, handle: &PollHandle<'_>) -> Result<SecretString, Error>;
}

/// What one poll attempt found.
#[derive(Debug)]
#[non_exhaustive]
pub enum PollOutcome {
    /// The user authorized: here is the access token.
    Ready(SecretString),
    /// Not yet.
    Pending,
}

/// One poll attempt's future.
pub(crate) type PollFuture<'a> =
    Pin<Box<dyn Future<Output = Result<PollOutcome, Error>> + Send + 'a>>;

/// What a [`PollHandle`] asks: the data plane implements it with one `GetResourceOauth2Token`
/// carrying the session URI (a `FAILED` session is an error).
pub(crate) trait PollSource: Send + Sync {
    /// Asks the service once.
    fn poll(&self) -> PollFuture<'_>;
    /// The credential provider the token is for.
    fn provider_name(&self) -> &str;
    /// The session sent with every poll.
    fn session_uri(&self) -> Option<&str>;
}

/// Performs poll attempts for one authorization session; handed to [`TokenPoller`]s.
pub struct PollHandle<'a> {
    source: &'a dyn PollSource,
    authorization_url: &'a str,
    attempts: AtomicU32,
}

impl fmt::Debug for PollHandle<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollHandle")
            .field("provider", &self.source.provider_name())
            .field("authorization_url", &self.authorization_url)
            .field("session_uri", &self.source.session_uri())
            .field("attempts", &self.attempts())
            .finish()
    }
}

impl<'a> PollHandle<'a> {
    pub(crate) fn new(source: &'a dyn PollSource, authorization_url: &'a str) -> Self {
        Self {
            source,
            authorization_url,
            attempts: AtomicU32::new(0),
        }
    }

    /// The URL the user was sent to.
    pub fn authorization_url(&self) -> &str {
        self.authorization_url
    }

    /// The session the service opened, sent with every poll.
    pub fn session_uri(&self) -> Option<&str> {
        self.source.session_uri()
    }

    /// The credential provider the token is for.
    pub fn provider_name(&self) -> &str {
        self.source.provider_name()
    }

    /// How many attempts were made so far.
    pub fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }

    /// Asks the service once.
    ///
    /// Fails with [`Error::AuthorizationFailed`] when the service reports `sessionStatus: FAILED`,
    /// and with any service error.
    pub async fn poll_once(&self) -> Result<PollOutcome, Error> {
        let attempt = self.attempts.fetch_add(1, Ordering::Relaxed) + 1;
        let outcome = self.source.poll().await?;
        tracing::debug!(
            provider = self.provider_name(),
            attempt,
            ready = matches!(outcome, PollOutcome::Ready(_)),
            "poll attempt"
        );
        Ok(outcome)
    }
}

/// The default poller: waits `interval`, asks, and repeats until `timeout` (as Python: 5 s / 600 s).
#[derive(Debug, Clone)]
pub struct DefaultTokenPoller {
    interval: Duration,
    timeout: Duration,
}

impl Default for DefaultTokenPoller {
    fn default() -> Self {
        Self {
            interval: DEFAULT_POLL_INTERVAL,
            timeout: DEFAULT_POLL_TIMEOUT,
        }
    }
}

impl DefaultTokenPoller {
    /// A poller with the given interval and timeout.
    pub fn new(interval: Duration, timeout: Duration) -> Self {
        Self { interval, timeout }
    }

    /// The time between two attempts.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// How long to poll before giving up with [`Error::PollTimeout`].
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

#[async_trait]
impl TokenPoller for DefaultTokenPoller {
    async fn poll_for_token(&self, handle: &PollHandle<'_>) -> Result<SecretString, Error> {
        let start = tokio::time::Instant::now();
        let deadline = start + self.timeout;
        loop {
            let now = tokio::time::Instant::now();
            if now >= deadline {
                tracing::warn!(
                    provider = handle.provider_name(),
                    attempts = handle.attempts(),
                    authorization_url = handle.authorization_url(),
                    "polling timed out"
                );
                return Err(Error::PollTimeout {
                    authorization_url: handle.authorization_url().to_owned(),
                    waited: now - start,
                });
            }
            tokio::time::sleep(self.interval.min(deadline - now)).await;
            tracing::info!(
                authorization_url = handle.authorization_url(),
                "Polling for token for authorization url"
            );
            if let PollOutcome::Ready(token) = handle.poll_once().await? {
                tracing::info!(provider = handle.provider_name(), "Token is ready");
                return Ok(token);
            }
        }
    }
}
