//! [`IdentityClient`]: its construction (region, endpoints, credentials), its builder and the
//! process default client. Its calls live beside it: [`data_plane`] (credentials, workload
//! tokens), [`control_plane`] (providers, workload identities), and [`workload`] resolves the
//! workload access token of each call.

mod control_plane;
mod data_plane;
pub(crate) mod http;
mod iam;
mod workload;

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use aws_config::Region;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{
    ProvideCredentials, SharedCredentialsProvider, error::CredentialsError, future,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::cache::{
    AwaitedSessions, CacheConfig, CacheScope, SessionMap, TokenCache, WatCache, awaited_sessions,
    session_map, wat_cache,
};
use crate::error::Error;
use crate::poller::{DEFAULT_POLL_INTERVAL, DEFAULT_POLL_TIMEOUT, DefaultTokenPoller, TokenPoller};
use crate::request::WorkloadIdentityRef;

/// Python's default region when none is configured.
pub const DEFAULT_REGION: &str = "us-west-2";
/// Default path of the local development file, as in the Python SDK.
pub const DEFAULT_LOCAL_CONFIG_PATH: &str = ".agentcore.json";

type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The client for AgentCore Identity: control plane, data plane, token flows, token cache.
///
/// Cheap to clone (one `Arc`); clones share the cache. Build one per process (or use the
/// process default, see [`set_default_client`]).
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), agentcore_identity::Error> {
/// use agentcore_identity::{ApiKeyRequest, IdentityClient};
///
/// // As every AWS SDK client: from the shared configuration...
/// let config = aws_config::load_from_env().await;
/// let _client = IdentityClient::new(&config);
/// // ...or in one step, with the region and endpoint checks reported here.
/// let client = IdentityClient::from_env().await?;
/// let _key = client.get_api_key(ApiKeyRequest::new("openai-apikey-provider")).await?;
/// # Ok(()) }
/// ```
///
/// # Where the workload access token comes from
///
/// Every credential call acts as a workload identity, with a workload access token found, in order:
/// 1. explicit, on the request ([`ApiKeyRequest::workload_access_token`](crate::ApiKeyRequest::workload_access_token));
/// 2. a workload identity and user named on the request
///    ([`TokenRequest::workload_identity`](crate::TokenRequest::workload_identity)):
///    `GetWorkloadAccessTokenForUserId`;
/// 3. the [`RequestContext`](crate::context::RequestContext) (AgentCore Runtime sends one with each request);
///    when the context requires a token and has none (an AgentCore Runtime invocation without the
///    header, see `agentcore-runtime`), the call fails with
///    [`Error::MissingWorkloadAccessToken`](crate::Error::MissingWorkloadAccessToken) here instead
///    of acting as the fixed identity of steps 4 and 5;
/// 4. a workload identity and user named on the client
///    ([`IdentityClientBuilder::workload_identity`](crate::IdentityClientBuilder::workload_identity)),
///    for ECS/EKS hosts where `CreateWorkloadIdentity` is denied;
/// 5. local development, as the Python SDK and compatible with its file: read (or create)
///    `.agentcore.json` (`{"workload_identity_name": ..., "user_id": ...}`, path configurable with
///    [`IdentityClientBuilder::local_config_path`](crate::IdentityClientBuilder::local_config_path)),
///    create the workload identity if it is missing (with the file's name when the file names one
///    that does not exist on the service), a random 8-hex user id if missing, then
///    `GetWorkloadAccessTokenForUserId`. With `DOCKER_CONTAINER=1` this step is refused with
///    [`Error::LocalDevRefusedInContainer`](crate::Error::LocalDevRefusedInContainer) (Python's message).
///
/// Workload access tokens obtained in steps 2, 4 and 5 are cached until they expire (a JWT's `exp`
/// less the skew, else the opaque-token TTL).
#[derive(Clone)]
pub struct IdentityClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    region: String,
    dp: aws_sdk_bedrockagentcore::Client,
    cp: aws_sdk_bedrockagentcorecontrol::Client,
    pub(crate) cache: TokenCache,
    pub(crate) sessions: SessionMap,
    pub(crate) awaited: AwaitedSessions,
    /// The resolved scopes of API keys and M2M tokens ([`CacheConfig::api_key_scope`]).
    pub(crate) api_key_scope: CacheScope,
    pub(crate) m2m_scope: CacheScope,
    pub(crate) wat_cache: WatCache,
    pub(crate) token_poller: Arc<dyn TokenPoller>,
    pub(crate) workload_identity: Option<WorkloadIdentityRef>,
    pub(crate) local_config_path: PathBuf,
    pub(crate) local_identity: tokio::sync::OnceCell<WorkloadIdentityRef>,
    env: EnvLookup,
    /// A malformed region or endpoint found by [`IdentityClient::new`]: every call fails with it.
    config_error: Option<Error>,
    /// Where each plane's requests go, for error messages.
    dp_url: String,
    cp_url: String,
    /// STS, for IAM web identity tokens (its client is built on first use).
    pub(crate) sts: iam::Sts,
}

impl fmt::Debug for IdentityClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityClient")
            .field("region", &self.inner.region)
            .field("cache", &self.inner.cache)
            .field("workload_identity", &self.inner.workload_identity)
            .field("local_config_path", &self.inner.local_config_path)
            .finish_non_exhaustive()
    }
}

impl IdentityClient {
    /// A client from an `aws-config` [`SdkConfig`] (its region, credentials, endpoint), as every
    /// AWS SDK client is made.
    ///
    /// `BEDROCK_AGENTCORE_DP_ENDPOINT` / `BEDROCK_AGENTCORE_CP_ENDPOINT` still apply (as in
    /// Python); without a region in `config`, the region comes from `AWS_REGION` or `us-west-2`.
    ///
    /// It does not fail: a malformed region or endpoint makes every call fail with
    /// [`Error::InvalidRegion`] or [`Error::Config`] (the AWS SDK, too, reports a bad region only
    /// when a call is made). [`IdentityClient::from_env`] and the [builder](Self::builder)
    /// report them at construction.
    pub fn new(config: &SdkConfig) -> Self {
        Self::builder().sdk_config(config.clone()).assemble()
    }

    /// A client configured from the environment, as `aws_config::load_from_env` (region,
    /// endpoints, credentials; see [`IdentityClientBuilder`]); fails on a malformed region or
    /// endpoint.
    pub async fn from_env() -> Result<Self, Error> {
        Self::builder().build().await
    }

    /// A builder, for everything that is configurable.
    pub fn builder() -> IdentityClientBuilder {
        IdentityClientBuilder::default()
    }

    /// The region this client talks to.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The underlying data-plane SDK client (escape hatch).
    pub fn data_plane(&self) -> &aws_sdk_bedrockagentcore::Client {
        &self.inner.dp
    }

    /// The underlying control-plane SDK client (escape hatch).
    pub fn control_plane(&self) -> &aws_sdk_bedrockagentcorecontrol::Client {
        &self.inner.cp
    }

    /// Drops every cached credential (and remembered authorization session).
    pub fn clear_cache(&self) {
        self.inner.cache.invalidate_all();
        self.inner.sessions.invalidate_all();
        self.inner.awaited.invalidate_all();
        self.inner.wat_cache.invalidate_all();
    }

    /// How many credentials are cached right now.
    pub async fn cached_entries(&self) -> u64 {
        self.inner.cache.entry_count().await
    }

    pub(crate) fn env_var(&self, name: &str) -> Option<String> {
        (self.inner.env)(name)
    }

    /// The data-plane client, or the configuration error every call reports.
    #[inline]
    pub(crate) fn dp(&self) -> Result<&aws_sdk_bedrockagentcore::Client, Error> {
        match &self.inner.config_error {
            None => Ok(&self.inner.dp),
            Some(e) => Err(e.clone()),
        }
    }

    /// An SDK error of a data-plane call, naming the endpoint.
    pub(crate) fn dp_err<E>(&self, operation: &'static str, err: SdkError<E, HttpResponse>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        Error::from_sdk(operation, &self.inner.dp_url, err)
    }

    /// An SDK error of a control-plane call, naming the endpoint.
    pub(crate) fn cp_err<E>(&self, operation: &'static str, err: SdkError<E, HttpResponse>) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        Error::from_sdk(operation, &self.inner.cp_url, err)
    }

    /// The control-plane client, or the configuration error every call reports.
    pub(crate) fn cp(&self) -> Result<&aws_sdk_bedrockagentcorecontrol::Client, Error> {
        match &self.inner.config_error {
            None => Ok(&self.inner.cp),
            Some(e) => Err(e.clone()),
        }
    }
}

/// Checks an AWS region name: `^[a-z]{2}(-[a-z]+)+-\d{1,2}$` (so no `/`, `.`, `:` or whitespace
/// can reach an endpoint host name).
pub fn validate_region(region: &str) -> Result<(), Error> {
    let bad = || Error::InvalidRegion {
        region: region.to_owned(),
    };
    let parts: Vec<&str> = region.split('-').collect();
    if parts.len() < 3 || region.len() > 32 {
        return Err(bad());
    }
    let lower = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
    let first = parts[0];
    let last = parts[parts.len() - 1];
    if first.len() != 2 || !lower(first) {
        return Err(bad());
    }
    if !(1..=2).contains(&last.len()) || !last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if !parts[1..parts.len() - 1].iter().all(|p| lower(p)) {
        return Err(bad());
    }
    Ok(())
}

fn validate_endpoint(url: &str) -> Result<(), Error> {
    let parsed = url::Url::parse(url)
        .map_err(|e| Error::config(format!("invalid endpoint URL {url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::config(format!(
            "invalid endpoint URL {url:?}: expected http(s)://host[:port]"
        )));
    }
    Ok(())
}

/// Builds an [`IdentityClient`].
///
/// Region: [`region`](Self::region), else `AWS_REGION` / `AWS_DEFAULT_REGION`, else the shared
/// config profile, else `us-west-2` (Python's default). Malformed names are rejected.
///
/// Endpoints: [`data_plane_endpoint`](Self::data_plane_endpoint) /
/// [`control_plane_endpoint`](Self::control_plane_endpoint) (or [`endpoint_url`](Self::endpoint_url)
/// for both), else the Python SDK's `BEDROCK_AGENTCORE_DP_ENDPOINT` /
/// `BEDROCK_AGENTCORE_CP_ENDPOINT`, else the standard `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE` /
/// `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL` / `AWS_ENDPOINT_URL` (read by aws-config), else
/// the AWS endpoints of the region. STS (IAM web identity tokens):
/// [`sts_endpoint`](Self::sts_endpoint), else `endpoint_url`, else `AWS_ENDPOINT_URL_STS` /
/// `AWS_ENDPOINT_URL`, else the region's.
///
/// Credentials: the default chain of aws-config (or [`credentials_provider`](Self::credentials_provider)).
/// **When an endpoint override is set** and the chain finds no credentials (or fails, e.g. IMDS
/// refused off EC2; logged at `warn`), the client signs with static dummy credentials (access key
/// `agentcore-local`), so it works against `agentcore-identity-local` on a machine without AWS
/// credentials. Without an override, missing credentials stay an error.
#[derive(Default)]
#[must_use]
pub struct IdentityClientBuilder {
    region: Option<String>,
    dp_endpoint: Option<String>,
    cp_endpoint: Option<String>,
    sdk_config: Option<SdkConfig>,
    credentials: Option<SharedCredentialsProvider>,
    cache: CacheConfig,
    local_config_path: Option<PathBuf>,
    workload_identity: Option<WorkloadIdentityRef>,
    poll_interval: Option<Duration>,
    poll_timeout: Option<Duration>,
    token_poller: Option<Arc<dyn TokenPoller>>,
    env: Option<EnvLookup>,
    /// STS's endpoint as given to `sts_endpoint`.
    sts_endpoint: Option<String>,
    /// The endpoint given to `endpoint_url`: STS's when `sts_endpoint` is not given.
    shared_endpoint: Option<String>,
}

impl fmt::Debug for IdentityClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityClientBuilder")
            .field("region", &self.region)
            .field("dp_endpoint", &self.dp_endpoint)
            .field("cp_endpoint", &self.cp_endpoint)
            .field("sts_endpoint", &self.given_sts_endpoint())
            .field("cache", &self.cache)
            .field("local_config_path", &self.local_config_path)
            .field("workload_identity", &self.workload_identity)
            .finish_non_exhaustive()
    }
}

impl IdentityClientBuilder {
    /// The AWS region.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The data-plane endpoint (`bedrock-agentcore`), e.g. `http://127.0.0.1:8000`.
    pub fn data_plane_endpoint(mut self, url: impl Into<String>) -> Self {
        self.dp_endpoint = Some(url.into());
        self
    }

    /// The control-plane endpoint (`bedrock-agentcore-control`).
    pub fn control_plane_endpoint(mut self, url: impl Into<String>) -> Self {
        self.cp_endpoint = Some(url.into());
        self
    }

    /// One endpoint for both planes and STS (`agentcore-identity-local` serves all three on
    /// one port); [`sts_endpoint`](Self::sts_endpoint) takes precedence for STS.
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.shared_endpoint = Some(url.clone());
        self.data_plane_endpoint(url.clone())
            .control_plane_endpoint(url)
    }

    /// The STS endpoint, for IAM web identity tokens
    /// ([`IdentityClient::get_iam_access_token`]); default: as [`endpoint_url`](Self::endpoint_url),
    /// else `AWS_ENDPOINT_URL_STS`, else the region's STS endpoint.
    pub fn sts_endpoint(mut self, url: impl Into<String>) -> Self {
        self.sts_endpoint = Some(url.into());
        self
    }

    /// STS's endpoint as given: [`sts_endpoint`](Self::sts_endpoint), else
    /// [`endpoint_url`](Self::endpoint_url).
    fn given_sts_endpoint(&self) -> Option<&String> {
        self.sts_endpoint.as_ref().or(self.shared_endpoint.as_ref())
    }

    /// Starts from this `aws-config` configuration instead of loading the default one.
    pub fn sdk_config(mut self, config: SdkConfig) -> Self {
        self.sdk_config = Some(config);
        self
    }

    /// Signs requests with these credentials instead of the default chain.
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(SharedCredentialsProvider::new(provider));
        self
    }

    /// Token cache settings (see [`CacheConfig`]).
    pub fn cache(mut self, config: CacheConfig) -> Self {
        self.cache = config;
        self
    }

    /// Switches the token cache off.
    pub fn disable_cache(mut self) -> Self {
        self.cache = CacheConfig::disabled();
        self
    }

    /// Path of the local development file (default `./.agentcore.json`).
    pub fn local_config_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.local_config_path = Some(path.into());
        self
    }

    /// Without a workload access token in context, act as `user_id` of this existing workload
    /// identity (`GetWorkloadAccessTokenForUserId`), instead of the local development file;
    /// for ECS/EKS hosts where `CreateWorkloadIdentity` is denied.
    pub fn workload_identity(
        mut self,
        name: impl Into<String>,
        user_id: impl Into<String>,
    ) -> Self {
        self.workload_identity = Some(WorkloadIdentityRef::new(name, user_id));
        self
    }

    /// Interval of the default poller (default 5 s).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = Some(interval);
        self
    }

    /// Timeout of the default poller (default 600 s).
    pub fn poll_timeout(mut self, timeout: Duration) -> Self {
        self.poll_timeout = Some(timeout);
        self
    }

    /// The poller for requests that set none (overrides `poll_interval` / `poll_timeout`).
    pub fn token_poller(mut self, poller: impl TokenPoller + 'static) -> Self {
        self.token_poller = Some(Arc::new(poller));
        self
    }

    /// Replaces the process environment for this crate's own lookups (`AWS_REGION`,
    /// `AWS_DEFAULT_REGION`, `BEDROCK_AGENTCORE_*_ENDPOINT`, `AWS_ENDPOINT_URL*`,
    /// `DOCKER_CONTAINER`); useful in tests. aws-config still reads the process environment.
    pub fn env_lookup(
        mut self,
        f: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.env = Some(Arc::new(f));
        self
    }

    fn env(&self) -> EnvLookup {
        self.env
            .clone()
            .unwrap_or_else(|| Arc::new(|name: &str| std::env::var(name).ok()))
    }

    /// Builds the client: loads the default `aws-config` configuration unless one was given.
    pub async fn build(mut self) -> Result<IdentityClient, Error> {
        if self.sdk_config.is_none() {
            let env = self.env();
            let region = match self.region.clone() {
                Some(r) => r,
                None => match env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")) {
                    Some(r) if !r.is_empty() => r,
                    _ => {
                        use aws_config::meta::region::ProvideRegion;
                        aws_config::profile::ProfileFileRegionProvider::new()
                            .region()
                            .await
                            .map(|r| r.to_string())
                            .unwrap_or_else(|| DEFAULT_REGION.to_owned())
                    }
                },
            };
            validate_region(&region)?;
            let config = aws_config::defaults(BehaviorVersion::latest())
                .region(Region::new(region.clone()))
                .http_client(http::lazy_tls_http_client())
                .load()
                .await;
            self.region = Some(region);
            self.sdk_config = Some(config);
        }
        let client = self.assemble();
        match &client.inner.config_error {
            Some(e) => Err(e.clone()),
            None => Ok(client),
        }
    }

    /// Makes the client; a malformed region or endpoint is kept as its `config_error` (and the
    /// client then falls back to the default region and no override, which it never calls).
    fn assemble(self) -> IdentityClient {
        let env = self.env();
        let sdk = self.sdk_config.clone().unwrap_or_else(|| {
            SdkConfig::builder()
                .behavior_version(BehaviorVersion::latest())
                .build()
        });
        let mut region = match (&self.region, sdk.region()) {
            (Some(r), _) => r.clone(),
            (None, Some(r)) => r.to_string(),
            (None, None) => env("AWS_REGION")
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| DEFAULT_REGION.to_owned()),
        };
        let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let mut dp_endpoint = self
            .dp_endpoint
            .clone()
            .or_else(|| nonempty(env("BEDROCK_AGENTCORE_DP_ENDPOINT")));
        let mut cp_endpoint = self
            .cp_endpoint
            .clone()
            .or_else(|| nonempty(env("BEDROCK_AGENTCORE_CP_ENDPOINT")));
        let config_error = validate_region(&region).err().or_else(|| {
            dp_endpoint
                .iter()
                .chain(cp_endpoint.iter())
                .chain(self.given_sts_endpoint())
                .find_map(|url| validate_endpoint(url).err())
        });
        let mut sts_endpoint = self.given_sts_endpoint().cloned();
        if config_error.is_some() {
            region = DEFAULT_REGION.to_owned();
            dp_endpoint = None;
            cp_endpoint = None;
            sts_endpoint = None;
        }
        let sts = iam::Sts::new(&sdk, &region, self.credentials.clone(), sts_endpoint, &env);
        let endpoint_override = dp_endpoint.is_some()
            || cp_endpoint.is_some()
            || sdk.endpoint_url().is_some()
            || configured_endpoint(&env, "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE").is_some()
            || configured_endpoint(&env, "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL").is_some();
        let credentials = signing_credentials(
            self.credentials.clone(),
            sdk.credentials_provider(),
            endpoint_override,
        );

        let mut dp = aws_sdk_bedrockagentcore::config::Builder::from(&sdk)
            .region(Region::new(region.clone()));
        let mut cp = aws_sdk_bedrockagentcorecontrol::config::Builder::from(&sdk)
            .region(Region::new(region.clone()));
        if let Some(c) = credentials {
            dp = dp.credentials_provider(c.clone());
            cp = cp.credentials_provider(c);
        }
        if let Some(url) = &dp_endpoint {
            dp = dp.endpoint_url(url);
        }
        if let Some(url) = &cp_endpoint {
            cp = cp.endpoint_url(url);
        }
        let token_poller: Arc<dyn TokenPoller> = match self.token_poller {
            Some(p) => p,
            None => Arc::new(DefaultTokenPoller::new(
                self.poll_interval.unwrap_or(DEFAULT_POLL_INTERVAL),
                self.poll_timeout.unwrap_or(DEFAULT_POLL_TIMEOUT),
            )),
        };
        tracing::debug!(
            region,
            dp_endpoint = dp_endpoint.as_deref(),
            cp_endpoint = cp_endpoint.as_deref(),
            endpoint_override,
            "identity client configured"
        );
        let dp_url = dp_endpoint
            .or_else(|| sdk.endpoint_url().map(str::to_owned))
            .or_else(|| configured_endpoint(&env, "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"))
            .unwrap_or_else(|| format!("https://bedrock-agentcore.{region}.amazonaws.com"));
        let cp_url = cp_endpoint
            .or_else(|| sdk.endpoint_url().map(str::to_owned))
            .or_else(|| configured_endpoint(&env, "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL"))
            .unwrap_or_else(|| format!("https://bedrock-agentcore-control.{region}.amazonaws.com"));
        let on_runtime = env("DOCKER_CONTAINER").as_deref() == Some("1");
        let (api_key_scope, m2m_scope) = self.cache.scopes(on_runtime);
        IdentityClient {
            inner: Arc::new(Inner {
                region,
                dp: aws_sdk_bedrockagentcore::Client::from_conf(dp.build()),
                cp: aws_sdk_bedrockagentcorecontrol::Client::from_conf(cp.build()),
                cache: TokenCache::new(self.cache),
                sessions: session_map(),
                awaited: awaited_sessions(),
                api_key_scope,
                m2m_scope,
                dp_url,
                cp_url,
                sts,
                wat_cache: wat_cache(),
                token_poller,
                workload_identity: self.workload_identity,
                local_config_path: self
                    .local_config_path
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_LOCAL_CONFIG_PATH)),
                local_identity: tokio::sync::OnceCell::new(),
                env,
                config_error,
            }),
        }
    }
}

static DEFAULT_CLIENT: RwLock<Option<IdentityClient>> = RwLock::new(None);
static DEFAULT_INIT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Sets the process default client, used by the macros (and [`default_client`]) when no client is
/// given; returns the previous one.
///
/// Without a call, the default is built on first use from the environment
/// ([`IdentityClient::from_env`]).
pub fn set_default_client(client: IdentityClient) -> Option<IdentityClient> {
    DEFAULT_CLIENT
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .replace(client)
}

/// The process default client: the one given to [`set_default_client`], else one built (once)
/// from the environment.
pub async fn default_client() -> Result<IdentityClient, Error> {
    if let Some(c) = current_default() {
        return Ok(c);
    }
    let _guard = DEFAULT_INIT.lock().await;
    if let Some(c) = current_default() {
        return Ok(c);
    }
    let client = IdentityClient::from_env().await?;
    let mut slot = DEFAULT_CLIENT.write().unwrap_or_else(|e| e.into_inner());
    Ok(slot.get_or_insert(client).clone())
}

fn current_default() -> Option<IdentityClient> {
    DEFAULT_CLIENT
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// The static credentials used against a local endpoint when no real ones exist.
fn dummy_credentials() -> Credentials {
    Credentials::new(
        "agentcore-local",
        "agentcore-local-dummy-secret-key",
        None,
        None,
        "agentcore-identity-dummy",
    )
}

/// The default chain, falling back to [`dummy_credentials`] when it finds nothing.
/// The endpoint the environment configures for a service: its `AWS_ENDPOINT_URL_<SERVICE>`
/// (`service_var`), else `AWS_ENDPOINT_URL`; none when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`.
pub(super) fn configured_endpoint(env: &EnvLookup, service_var: &str) -> Option<String> {
    if env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return None;
    }
    let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    nonempty(env(service_var)).or_else(|| nonempty(env("AWS_ENDPOINT_URL")))
}

/// The credentials a service client signs with: the builder's, else the default chain; against
/// an overridden endpoint (the local service), the chain falls back to dummy credentials, and
/// with no chain the dummy credentials are used.
pub(super) fn signing_credentials(
    explicit: Option<SharedCredentialsProvider>,
    chain: Option<SharedCredentialsProvider>,
    overridden: bool,
) -> Option<SharedCredentialsProvider> {
    match (explicit, chain) {
        (Some(explicit), _) => Some(explicit),
        (None, Some(chain)) if overridden => {
            Some(SharedCredentialsProvider::new(FallbackToDummy {
                inner: chain,
            }))
        }
        (None, Some(chain)) => Some(chain),
        (None, None) if overridden => Some(SharedCredentialsProvider::new(dummy_credentials())),
        (None, None) => None,
    }
}

#[derive(Debug)]
struct FallbackToDummy {
    inner: SharedCredentialsProvider,
}

impl ProvideCredentials for FallbackToDummy {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            match self.inner.provide_credentials().await {
                Ok(c) => Ok(c),
                Err(CredentialsError::CredentialsNotLoaded(_)) => {
                    tracing::debug!(
                        "no AWS credentials found; signing with dummy credentials for the endpoint override"
                    );
                    Ok(dummy_credentials())
                }
                // e.g. IMDS refused or unreachable off EC2: the chain found nothing usable either.
                Err(e) => {
                    tracing::warn!(
                        error = %e,
                        "the AWS credentials chain failed; signing with dummy credentials because an endpoint override is set"
                    );
                    Ok(dummy_credentials())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for ok in [
            "us-west-2",
            "us-gov-west-1",
            "cn-north-1",
            "ap-southeast-5",
            "eu-central-1",
        ] {
            validate_region(ok).unwrap();
        }
        for bad in [
            "",
            "us",
            "us-west",
            "US-west-2",
            "us-west-2/",
            "evil.com/us-west-2",
            "us-west-2.evil",
            "us-west-2:80",
            "us west-2",
            "us-west-2 ",
            "us--2",
            "usa-west-2",
            "us-west-123",
            "us-west-2\n",
            "x-y-1",
        ] {
            assert!(
                matches!(validate_region(bad), Err(Error::InvalidRegion { .. })),
                "{bad:?}"
            );
        }
    }
}
