//! Starting and stopping a service: [`LocalIdentityService::builder`], [`Builder`],
//! [`ServiceHandle`], and the errors of starting one.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agentcore_serve::ServeConfig;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::http::guard::Guard;
use crate::http::op::Metrics;
use crate::http::{self, HttpConfig};
use crate::jwt::TrustedIssuer;
use crate::secret::Sensitive;
use crate::state::{AppState, Config};
use crate::store;
use crate::sts::StsSigner;

/// Errors starting the service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Binding the port failed.
    #[error("could not bind the listening socket")]
    Io(#[from] std::io::Error),
    /// Opening the store failed.
    #[error("could not open the store: {0}")]
    Store(String),
    /// The data directory holds data and the master key file is missing: a new key would not
    /// open the stored secrets, so none is made.
    #[error(
        "the data directory {} holds data but its master key file {} is missing: restore that \
         file (or name it with key_file / --key-file), or start with an empty data directory",
        data_dir.display(),
        key_file.display()
    )]
    MissingKey {
        /// The key file looked for.
        key_file: PathBuf,
        /// The data directory.
        data_dir: PathBuf,
    },
    /// The master key file does not open the store (another key).
    #[error(
        "the master key file {} does not open the store in {}: it is another key",
        key_file.display(),
        data_dir.display()
    )]
    WrongKey {
        /// The key file read.
        key_file: PathBuf,
        /// The data directory.
        data_dir: PathBuf,
    },
    /// A non-loopback bind without authentication.
    #[error(
        "refusing to serve {0} without authentication: set verify_sigv4 (--verify-sigv4) or, \
         knowingly, insecure_allow_unauthenticated_network (--insecure-allow-unauthenticated-network)"
    )]
    InsecureBind(IpAddr),
}

/// Default [`Builder::outbound_timeout`].
pub(crate) const DEFAULT_OUTBOUND_TIMEOUT: Duration = Duration::from_secs(10);

/// Default [`Builder::sweep_interval`].
pub(crate) const DEFAULT_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

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
    sigv4: Option<http::sigv4::SigV4Key>,
    insecure_network: bool,
    outbound_timeout: Duration,
    trusted_issuers: Vec<TrustedIssuer>,
    sweep_interval: Duration,
    key_file: Option<PathBuf>,
    principal_arn: Option<String>,
    serve: ServeConfig,
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
            insecure_network: false,
            outbound_timeout: DEFAULT_OUTBOUND_TIMEOUT,
            trusted_issuers: Vec::new(),
            sweep_interval: DEFAULT_SWEEP_INTERVAL,
            key_file: None,
            principal_arn: None,
            serve: ServeConfig::new(),
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
    /// The master key file (default `{data_dir}/master.key`); it may live outside the data
    /// directory. Created (0600) for an empty store; a store with data refuses to open when it
    /// is missing or does not open the store.
    pub fn key_file(mut self, path: impl AsRef<Path>) -> Self {
        self.key_file = Some(path.as_ref().to_path_buf());
        self
    }
    /// How long a client may take to send a request head, counted from when its connection
    /// starts waiting for one; also how long a keep-alive connection may stay idle (default
    /// 10 s).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.serve = self.serve.header_read_timeout(timeout);
        self
    }
    /// How long a request body may take to arrive (default 30 s; then 408).
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.serve = self.serve.body_timeout(timeout);
        self
    }
    /// How long requests in flight may finish once shutdown begins; connections still open
    /// then are dropped (default 10 s).
    pub fn shutdown_deadline(mut self, deadline: Duration) -> Self {
        self.serve = self.serve.shutdown_deadline(deadline);
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
    /// Allow a non-loopback [`Builder::bind`] without [`Builder::verify_sigv4`]: anyone who can
    /// reach the port can then read every stored secret. Off by default (such a start fails);
    /// when on, the start logs a warning.
    pub fn insecure_allow_unauthenticated_network(mut self, allow: bool) -> Self {
        self.insecure_network = allow;
        self
    }
    /// Verify user JWTs (GetWorkloadAccessTokenForJWT, CompleteResourceTokenAuth with a
    /// `userToken`) against this issuer's keys: signature, expiry, issuer, audience and client.
    /// Repeatable; a JWT of an issuer not listed is refused. Without any, user JWT signatures are
    /// not verified (logged at start); `alg: none` and unsigned JWTs are refused either way.
    pub fn trust_issuer(mut self, issuer: TrustedIssuer) -> Self {
        self.trusted_issuers.push(issuer);
        self
    }
    /// How often expired sessions, OAuth2 states and tokens are removed from the store
    /// (default 60 s).
    pub fn sweep_interval(mut self, interval: Duration) -> Self {
        self.sweep_interval = interval.max(Duration::from_millis(10));
        self
    }
    /// How long one outbound request (discovery, JWKS, token endpoint) may take, reading its
    /// answer included (default 10 s).
    pub fn outbound_timeout(mut self, timeout: Duration) -> Self {
        self.outbound_timeout = timeout;
        self
    }
    /// The base URL browsers and clients reach the service at, when it differs from
    /// `http://{bind}:{port}` (e.g. behind a proxy, or when binding 0.0.0.0).
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }

    /// The principal ARN of the local caller: the `sub` (and `principal_id`) of the web identity
    /// tokens STS GetWebIdentityToken issues (default
    /// `arn:aws:iam::{account_id}:role/agentcore-identity-local`).
    pub fn principal_arn(mut self, arn: impl Into<String>) -> Self {
        self.principal_arn = Some(arn.into());
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
        self.sigv4 = Some(http::sigv4::SigV4Key {
            access_key: access_key.into(),
            secret: Sensitive::new(secret.into()),
        });
        self
    }

    /// Opens the store, binds, and serves in a background task.
    pub async fn start(self) -> Result<ServiceHandle, Error> {
        if !self.bind.is_loopback() {
            if self.sigv4.is_none() && !self.insecure_network {
                return Err(Error::InsecureBind(self.bind));
            }
            if self.sigv4.is_none() {
                tracing::warn!(
                    bind = %self.bind,
                    "serving a non-loopback address WITHOUT authentication: anyone who reaches \
                     this port can read every stored secret"
                );
            }
        }
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
        let (store, keys) =
            store::Store::open(&dir, self.key_file.as_deref()).map_err(|e| match e {
                store::OpenError::MissingKey { key_file } => Error::MissingKey {
                    key_file,
                    data_dir: dir.clone(),
                },
                store::OpenError::WrongKey { key_file } => Error::WrongKey {
                    key_file,
                    data_dir: dir.clone(),
                },
                store::OpenError::Storage(e) => Error::Store(e.to_string()),
            })?;
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
        let principal_arn = self.principal_arn.clone().unwrap_or_else(|| {
            format!(
                "arn:aws:iam::{}:role/agentcore-identity-local",
                self.account_id
            )
        });
        let sts = StsSigner::load_or_create(&store, &endpoint)
            .map_err(|e| Error::Store(e.to_string()))?;
        let config = Config {
            principal_arn,
            account_id: self.account_id,
            default_region: self.region,
            endpoint: endpoint.clone(),
            session_ttl: self.session_ttl,
            wat_ttl: self.workload_token_ttl.max(Duration::from_secs(1)),
            outbound_timeout: self.outbound_timeout,
            trusted_issuers: self.trusted_issuers,
        };
        let state = Arc::new(AppState::new(store, keys, config, sts));
        if state.user_jwts.verifies() {
            tracing::info!(
                issuers = state.config.trusted_issuers.len(),
                "user JWT signatures are verified against the trusted issuers"
            );
        } else {
            tracing::warn!(
                "user JWT signatures are NOT verified (no --trust-issuer): a JWT's `sub` is \
                 trusted as given; alg none and unsigned JWTs are refused"
            );
        }
        let metrics = Arc::new(Metrics::default());
        let public = self.public_url.as_deref().and_then(|u| match url::Url::parse(u) {
            Ok(u) => Some(u),
            Err(e) => {
                tracing::warn!(public_url = u, error = %e, "the public URL does not parse: requests naming it are refused");
                None
            }
        });
        let guard = Guard::new(local.ip(), local.port(), public.as_ref());
        let app = http::router(
            state.clone(),
            metrics.clone(),
            HttpConfig {
                sigv4: self.sigv4,
                guard,
            },
        );
        let (tx, rx) = oneshot::channel::<()>();
        if local.ip().is_loopback() {
            tracing::info!(%endpoint, "agentcore-identity-local listening on {local} (loopback only)");
        } else {
            tracing::warn!(%endpoint, "agentcore-identity-local listening on {local} (NOT loopback: reachable from other hosts)");
        }
        let sweeper = tokio::spawn(sweep_every(state.clone(), self.sweep_interval));
        let serve = self.serve;
        let join = tokio::spawn(async move {
            // Header-read (and idle) and body timeouts, bounded connections and heads, and a
            // graceful shutdown that drops whatever is still open at its deadline.
            let stop = async move {
                let _ = rx.await;
            };
            if let Err(e) = agentcore_serve::serve(listener, app, serve, stop).await {
                tracing::error!(error = %e, "server error");
            }
        });
        Ok(ServiceHandle {
            endpoint,
            addr: local,
            state,
            metrics,
            sweeper: Some(sweeper),
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
    state: Arc<AppState>,
    metrics: Arc<Metrics>,
    sweeper: Option<JoinHandle<()>>,
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
        self.metrics.count(operation)
    }
    /// Requests received for all operations.
    pub fn total_requests(&self) -> u64 {
        self.metrics.total()
    }
    /// Makes the next `count` data-plane requests fail with `status` and the AWS error shape
    /// (500 `InternalServerException`, 429 `ThrottlingException`, 503 `ServiceUnavailableException`,
    /// 4xx the modelled exception). `count` 0 clears pending faults.
    pub fn inject_faults(&self, status: u16, count: u32) {
        self.metrics.set_faults(status, count);
    }
    /// Records per table (test support; not a stable API).
    #[doc(hidden)]
    pub fn stored_records(&self) -> Vec<(&'static str, u64)> {
        store::Table::ALL
            .iter()
            .map(|t| (t.name(), self.state.store.count(*t).unwrap_or(0)))
            .collect()
    }
    /// Stops accepting, lets requests in flight finish until the shutdown deadline (then drops
    /// their connections), and removes a temporary data directory.
    pub async fn shutdown(mut self) {
        if let Some(s) = self.sweeper.take() {
            s.abort();
            // Awaited, so that its share of the store is released before this returns.
            let _ = s.await;
        }
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
        if let Some(s) = self.sweeper.take() {
            s.abort();
        }
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

/// Sweeps the store every `interval` (see `sweep.rs`).
async fn sweep_every(state: Arc<AppState>, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let st = state.clone();
        match tokio::task::spawn_blocking(move || crate::sweep::sweep(&st.store)).await {
            Ok(Ok(swept)) if swept != crate::sweep::Swept::default() => {
                tracing::info!(
                    sessions = swept.sessions,
                    states = swept.states,
                    index = swept.index,
                    tokens = swept.tokens,
                    "expired records swept"
                );
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "sweep failed"),
            Err(e) => tracing::warn!(error = %e, "sweep task failed"),
        }
    }
}
