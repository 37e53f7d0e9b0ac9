//! # agentcore-identity-local
//!
//! An offline Amazon Bedrock AgentCore Identity service: workload identities, API-key and OAuth2
//! credential providers, and the token vault (workload access tokens, API keys, M2M and
//! USER_FEDERATION OAuth2 tokens), speaking the real restJson1 wire protocol of both the
//! `bedrock-agentcore` (data plane) and `bedrock-agentcore-control` (control plane) services on one
//! port. Unmodified official clients (the AWS SDK for Rust, boto3, the AWS CLI, the Python
//! `bedrock-agentcore` SDK) work against it by endpoint override alone.
//!
//! Start it in-process (tests) with [`LocalIdentityService::builder`], or run the binary
//! `agentcore-identity-local serve [--port N] [--data-dir DIR] [--bind ADDR]`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), agentcore_identity_local::Error> {
//! use agentcore_identity_local::LocalIdentityService;
//!
//! let handle = LocalIdentityService::builder().port(0).start().await?;
//! println!("AWS_ENDPOINT_URL={}", handle.endpoint());
//! assert_eq!(handle.request_count("GetResourceApiKey"), 0);
//! handle.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! ## Semantics worth knowing
//! - Workload access tokens are HMAC-SHA256 signed (key derived from the data directory's master
//!   key), expire (default 1 h), and are bound to the workload identity and the user. A forged,
//!   expired, or deleted-workload token is refused with `AccessDeniedException` (403).
//! - User JWTs (`GetWorkloadAccessTokenForJWT`, `CompleteResourceTokenAuth` with `userToken`) are
//!   decoded, **not verified**: their `sub` is the user id (an expired `exp` is refused).
//! - Secrets (API keys, client secrets, tokens) are encrypted at rest with ChaCha20-Poly1305 and never
//!   logged. Every write is committed before the answer.
//! - SigV4 signatures are not verified unless [`Builder::verify_sigv4`] is set; a present
//!   `Authorization` header must be well-formed SigV4 (its credential scope gives the region of
//!   created ARNs). Requests without one are accepted.

mod api;
#[doc(hidden)]
pub mod fuzz_hook;
mod idp;
mod store;
mod validate;
mod vault;
mod wat;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Support for this crate's benchmark; not a stable API.
#[doc(hidden)]
pub mod __bench {
    use std::path::Path;

    /// Writes `n` encrypted vault tokens into the store of `data_dir` (service not running).
    pub fn seed_tokens(data_dir: &Path, n: usize) -> Result<(), crate::Error> {
        let (store, _) =
            crate::store::Store::open(data_dir).map_err(|e| crate::Error::Store(e.to_string()))?;
        let now = crate::store::now();
        for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
            let items: Vec<(String, crate::store::TokenRecord)> = chunk
                .iter()
                .map(|i| {
                    (
                        format!("bench-provider\u{0}{i:08}"),
                        crate::store::TokenRecord {
                            access_token: crate::store::Sensitive::new(format!(
                                "bench-access-token-{i}-{}",
                                "x".repeat(800)
                            )),
                            refresh_token: Some(crate::store::Sensitive::new(format!(
                                "bench-refresh-{i}"
                            ))),
                            issued_at: now,
                            expires_at: Some(now + 3600.0),
                        },
                    )
                })
                .collect();
            store
                .put_many(crate::store::Table::Tokens, &items)
                .map_err(|e| crate::Error::Store(e.to_string()))?;
        }
        Ok(())
    }
}

/// Errors starting the service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Binding the port or creating the data directory failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// Opening the store failed.
    #[error("{0}")]
    Store(String),
}

/// Entry point: `LocalIdentityService::builder()`.
#[derive(Debug, Clone, Copy)]
pub struct LocalIdentityService;

impl LocalIdentityService {
    /// A builder with the defaults: temporary data directory, port 0 (OS-chosen), bind 127.0.0.1.
    pub fn builder() -> Builder {
        Builder::default()
    }
}

/// Configures and starts a service.
#[derive(Debug, Clone)]
pub struct Builder {
    data_dir: Option<PathBuf>,
    port: u16,
    bind: IpAddr,
    account_id: String,
    region: String,
    session_ttl: Duration,
    workload_token_ttl: Duration,
    public_url: Option<String>,
    sigv4: Option<api::sigv4::SigV4Key>,
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            data_dir: None,
            port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            session_ttl: Duration::from_secs(600),
            workload_token_ttl: Duration::from_secs(3600),
            public_url: None,
            sigv4: None,
        }
    }
}

impl Builder {
    /// Where the store and key live. Without one, a temporary directory is used and removed at
    /// shutdown.
    pub fn data_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.data_dir = Some(dir.as_ref().to_path_buf());
        self
    }
    /// TCP port (0: OS-chosen).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
    /// Address to bind (default 127.0.0.1).
    pub fn bind(mut self, addr: IpAddr) -> Self {
        self.bind = addr;
        self
    }
    /// Account id in ARNs (default `000000000000`).
    pub fn account_id(mut self, account: impl Into<String>) -> Self {
        self.account_id = account.into();
        self
    }
    /// Region in ARNs when a request carries no SigV4 credential scope (default `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }
    /// Lifetime of USER_FEDERATION authorization sessions (default 10 minutes).
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = ttl;
        self
    }
    /// Lifetime of workload access tokens (default 1 hour).
    pub fn workload_token_ttl(mut self, ttl: Duration) -> Self {
        self.workload_token_ttl = ttl;
        self
    }
    /// The base URL browsers and clients reach the service at, when it differs from
    /// `http://{bind}:{port}` (e.g. behind a proxy, or when binding 0.0.0.0).
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }

    /// Verify SigV4 signatures: every API request must be signed with this access key and secret
    /// (403 `MissingAuthenticationTokenException` without a signature, `UnrecognizedClientException`
    /// for another access key, `InvalidSignatureException` for a wrong signature or a request time
    /// more than 15 minutes off). Off by default.
    pub fn verify_sigv4(
        mut self,
        access_key: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.sigv4 = Some(api::sigv4::SigV4Key {
            access_key: access_key.into(),
            secret: store::Sensitive::new(secret.into()),
        });
        self
    }

    /// Opens the store, binds, and serves in a background task.
    pub async fn start(self) -> Result<ServiceHandle, Error> {
        let (dir, temp) = match &self.data_dir {
            Some(d) => (d.clone(), false),
            None => {
                let d = std::env::temp_dir().join(format!(
                    "agentcore-identity-local-{}",
                    uuid::Uuid::new_v4().simple()
                ));
                (d, true)
            }
        };
        let (store, keys) = store::Store::open(&dir).map_err(|e| Error::Store(e.to_string()))?;
        tracing::info!(
            data_dir = %dir.display(),
            workload_identities = store.count(store::Table::Workloads).unwrap_or(0),
            api_key_providers = store.count(store::Table::ApiKeyProviders).unwrap_or(0),
            oauth2_providers = store.count(store::Table::Oauth2Providers).unwrap_or(0),
            tokens = store.count(store::Table::Tokens).unwrap_or(0),
            "store opened"
        );
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(self.bind, self.port)).await?;
        let local = listener.local_addr()?;
        let host = match local.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        let endpoint = self
            .public_url
            .clone()
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_else(|| format!("http://{host}:{}", local.port()));
        let config = api::Config {
            account_id: self.account_id,
            default_region: self.region,
            endpoint: endpoint.clone(),
            session_ttl_secs: self.session_ttl.as_secs_f64(),
            wat_ttl_secs: self.workload_token_ttl.as_secs().max(1) as i64,
            sigv4: self.sigv4,
        };
        let state = Arc::new(api::AppState::new(store, keys, config));
        let app = api::router(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        if local.ip().is_loopback() {
            tracing::info!(%endpoint, "agentcore-identity-local listening on {local} (loopback only)");
        } else {
            tracing::warn!(%endpoint, "agentcore-identity-local listening on {local} (NOT loopback: reachable from other hosts)");
        }
        let join = tokio::spawn(async move {
            let r = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = r {
                tracing::error!(error = %e, "server error");
            }
        });
        Ok(ServiceHandle {
            endpoint,
            addr: local,
            state,
            data_dir: dir,
            temp,
            shutdown: Some(tx),
            join: Some(join),
        })
    }
}

/// A running service. Dropping it stops the server (without waiting); prefer [`ServiceHandle::shutdown`].
#[derive(Debug)]
pub struct ServiceHandle {
    endpoint: String,
    addr: SocketAddr,
    state: Arc<api::AppState>,
    data_dir: PathBuf,
    temp: bool,
    shutdown: Option<oneshot::Sender<()>>,
    join: Option<JoinHandle<()>>,
}

impl ServiceHandle {
    /// The base URL serving both planes, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }
    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    /// The data directory in use.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
    /// The provider callback URL, `{endpoint}/identities/oauth2/callback`.
    pub fn callback_url(&self) -> String {
        self.state.callback_url()
    }
    /// Requests received for one operation (model name, e.g. `"GetResourceApiKey"`), whatever
    /// their outcome.
    pub fn request_count(&self, operation: &str) -> u64 {
        self.state.counters.get(operation)
    }
    /// Requests received for all operations.
    pub fn total_requests(&self) -> u64 {
        self.state.counters.total()
    }
    /// Makes the next `count` data-plane requests fail with `status` and the AWS error shape
    /// (500 `InternalServerException`, 429 `ThrottlingException`, 503 `ServiceUnavailableException`,
    /// 4xx the modelled exception). `count` 0 clears pending faults.
    pub fn inject_faults(&self, status: u16, count: u32) {
        self.state.faults.set(status, count);
    }
    /// Stops accepting, finishes in-flight requests, and removes a temporary data directory.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(j) = self.join.take() {
            let _ = j.await;
        }
        if self.temp {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

impl Drop for ServiceHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(j) = self.join.take() {
            j.abort();
        }
        if self.temp {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}
