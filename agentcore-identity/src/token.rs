//! Getting credentials: [`ApiKeyRequest`], [`TokenRequest`], and the flow behind
//! [`IdentityClient::get_api_key`] / [`IdentityClient::get_token`]:
//! workload token -> cache -> service -> `on_auth_url` -> poller.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;

use aws_sdk_bedrockagentcore::operation::get_resource_oauth2_token::GetResourceOauth2TokenOutput;
use aws_sdk_bedrockagentcore::types::{Oauth2FlowType, SessionStatus};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument as _;

use crate::cache::{KeyBuilder, Loaded};
use crate::context::RequestContext;
use crate::poller::{PollHandle, TokenPoller};
use crate::workload::{Wat, WorkloadIdentityRef};
use crate::{Error, IdentityClient};

/// The OAuth2 flow of a [`TokenRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthFlow {
    /// Client credentials: the agent acts as itself (`"M2M"`).
    M2M,
    /// Authorization code: the agent acts for a user who consents once (`"USER_FEDERATION"`).
    UserFederation,
    /// Token exchange on behalf of the caller (`"ON_BEHALF_OF_TOKEN_EXCHANGE"`).
    OnBehalfOfTokenExchange,
}

impl AuthFlow {
    /// The wire name: `"M2M"`, `"USER_FEDERATION"` or `"ON_BEHALF_OF_TOKEN_EXCHANGE"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthFlow::M2M => "M2M",
            AuthFlow::UserFederation => "USER_FEDERATION",
            AuthFlow::OnBehalfOfTokenExchange => "ON_BEHALF_OF_TOKEN_EXCHANGE",
        }
    }

    fn to_sdk(self) -> Oauth2FlowType {
        match self {
            AuthFlow::M2M => Oauth2FlowType::M2M,
            AuthFlow::UserFederation => Oauth2FlowType::UserFederation,
            AuthFlow::OnBehalfOfTokenExchange => Oauth2FlowType::OnBehalfOfTokenExchange,
        }
    }
}

impl fmt::Display for AuthFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an [`AuthFlow`] from a string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown auth flow {0:?}; expected \"M2M\", \"USER_FEDERATION\" or \"ON_BEHALF_OF_TOKEN_EXCHANGE\""
)]
pub struct ParseAuthFlowError(String);

impl FromStr for AuthFlow {
    type Err = ParseAuthFlowError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "M2M" => Ok(AuthFlow::M2M),
            "USER_FEDERATION" => Ok(AuthFlow::UserFederation),
            "ON_BEHALF_OF_TOKEN_EXCHANGE" => Ok(AuthFlow::OnBehalfOfTokenExchange),
            other => Err(ParseAuthFlowError(other.to_owned())),
        }
    }
}

type AuthUrlFn = dyn Fn(String) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

/// What to do with an authorization URL: a sync or an async callback.
///
/// Called once per authorization session, before polling starts; show the URL to the user.
#[derive(Clone)]
pub struct OnAuthUrl(Arc<AuthUrlFn>);

impl OnAuthUrl {
    /// A synchronous callback.
    pub fn from_fn<F>(f: F) -> Self
    where
        F: Fn(&str) + Send + Sync + 'static,
    {
        OnAuthUrl(Arc::new(move |url: String| {
            f(&url);
            Box::pin(std::future::ready(())) as Pin<Box<dyn Future<Output = ()> + Send>>
        }))
    }

    /// An asynchronous callback.
    pub fn from_async_fn<F, Fut>(f: F) -> Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        OnAuthUrl(Arc::new(move |url: String| {
            Box::pin(f(url)) as Pin<Box<dyn Future<Output = ()> + Send>>
        }))
    }

    pub(crate) async fn call(&self, url: &str) {
        (self.0)(url.to_owned()).await
    }
}

impl fmt::Debug for OnAuthUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OnAuthUrl(..)")
    }
}

/// Who completed an authorization session, for [`IdentityClient::complete_resource_token_auth`].
#[derive(Clone)]
#[non_exhaustive]
pub enum UserIdentifier {
    /// The user id the workload access token was obtained for.
    UserId(String),
    /// The user's JWT from their identity provider.
    UserToken(SecretString),
}

impl fmt::Debug for UserIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserIdentifier::UserId(id) => f.debug_tuple("UserId").field(id).finish(),
            UserIdentifier::UserToken(_) => {
                f.debug_tuple("UserToken").field(&"[REDACTED]").finish()
            }
        }
    }
}

/// A request for an API key from an API key credential provider.
///
/// ```
/// use agentcore_identity::ApiKeyRequest;
/// let _request = ApiKeyRequest::new("openai-apikey-provider");
/// ```
#[derive(Clone)]
pub struct ApiKeyRequest {
    pub(crate) provider: String,
    pub(crate) workload_access_token: Option<SecretString>,
    pub(crate) workload_identity: Option<WorkloadIdentityRef>,
}

impl fmt::Debug for ApiKeyRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyRequest")
            .field("provider", &self.provider)
            .field(
                "workload_access_token",
                &self.workload_access_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("workload_identity", &self.workload_identity)
            .finish()
    }
}

impl ApiKeyRequest {
    /// A request for the API key of credential provider `provider`.
    pub fn new(provider: impl Into<String>) -> Self {
        Self {
            provider: provider.into(),
            workload_access_token: None,
            workload_identity: None,
        }
    }

    /// The credential provider name.
    pub fn provider_name(&self) -> &str {
        &self.provider
    }

    /// Uses this workload access token instead of the one in the [`RequestContext`].
    pub fn workload_access_token(mut self, token: SecretString) -> Self {
        self.workload_access_token = Some(token);
        self
    }

    /// Gets the workload access token for this existing workload identity and user
    /// (`GetWorkloadAccessTokenForUserId`) instead of from the context or the local-dev file.
    pub fn workload_identity(
        mut self,
        name: impl Into<String>,
        user_id: impl Into<String>,
    ) -> Self {
        self.workload_identity = Some(WorkloadIdentityRef::new(name, user_id));
        self
    }
}

impl From<&str> for ApiKeyRequest {
    fn from(provider: &str) -> Self {
        Self::new(provider)
    }
}

impl From<String> for ApiKeyRequest {
    fn from(provider: String) -> Self {
        Self::new(provider)
    }
}

/// A request for an OAuth2 access token, with every parameter of the Python SDK's `get_token`.
///
/// ```
/// use agentcore_identity::{AuthFlow, TokenRequest};
/// let _request = TokenRequest::new("google-provider", AuthFlow::UserFederation)
///     .scopes(["openid", "email"])
///     .callback_url("http://localhost:8081/callback")
///     .on_auth_url(|url| println!("Please open {url}"));
/// ```
#[derive(Clone)]
pub struct TokenRequest {
    pub(crate) provider: String,
    pub(crate) flow: AuthFlow,
    pub(crate) scopes: Vec<String>,
    pub(crate) resources: Vec<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) callback_url: Option<String>,
    pub(crate) force_authentication: bool,
    pub(crate) custom_state: Option<SecretString>,
    pub(crate) custom_parameters: BTreeMap<String, SecretString>,
    pub(crate) on_auth_url: Option<OnAuthUrl>,
    pub(crate) token_poller: Option<Arc<dyn TokenPoller>>,
    pub(crate) non_blocking: bool,
    pub(crate) workload_access_token: Option<SecretString>,
    pub(crate) workload_identity: Option<WorkloadIdentityRef>,
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("provider", &self.provider)
            .field("flow", &self.flow)
            .field("scopes", &self.scopes)
            .field("resources", &self.resources)
            .field("audiences", &self.audiences)
            .field("callback_url", &self.callback_url)
            .field("force_authentication", &self.force_authentication)
            .field(
                "custom_state",
                &self.custom_state.as_ref().map(|_| "[REDACTED]"),
            )
            .field(
                "custom_parameters",
                &self.custom_parameters.keys().collect::<Vec<_>>(),
            )
            .field("on_auth_url", &self.on_auth_url.is_some())
            .field("token_poller", &self.token_poller.is_some())
            .field("non_blocking", &self.non_blocking)
            .field(
                "workload_access_token",
                &self.workload_access_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("workload_identity", &self.workload_identity)
            .finish()
    }
}

impl TokenRequest {
    /// A request for a token from credential provider `provider` with flow `flow`.
    pub fn new(provider: impl Into<String>, flow: AuthFlow) -> Self {
        Self {
            provider: provider.into(),
            flow,
            scopes: Vec::new(),
            resources: Vec::new(),
            audiences: Vec::new(),
            callback_url: None,
            force_authentication: false,
            custom_state: None,
            custom_parameters: BTreeMap::new(),
            on_auth_url: None,
            token_poller: None,
            non_blocking: false,
            workload_access_token: None,
            workload_identity: None,
        }
    }

    /// The credential provider name.
    pub fn provider_name(&self) -> &str {
        &self.provider
    }

    /// The flow.
    pub fn auth_flow(&self) -> AuthFlow {
        self.flow
    }

    /// Adds OAuth2 scopes.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Adds one OAuth2 scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Adds resource indicators (RFC 8707).
    pub fn resources<I, S>(mut self, resources: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.resources.extend(resources.into_iter().map(Into::into));
        self
    }

    /// Adds audiences.
    pub fn audiences<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audiences.extend(audiences.into_iter().map(Into::into));
        self
    }

    /// The `resourceOauth2ReturnUrl` (USER_FEDERATION); defaults to the context's callback URL.
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// Forces a new authorization even when the vault holds a token (sent on the first request
    /// only, not on polls); also bypasses and replaces the cache entry.
    pub fn force_authentication(mut self, force: bool) -> Self {
        self.force_authentication = force;
        self
    }

    /// A state the application can check on its callback URL.
    pub fn custom_state(mut self, state: impl Into<String>) -> Self {
        self.custom_state = Some(SecretString::from(state.into()));
        self
    }

    /// Adds one custom parameter for the provider's authorization request.
    pub fn custom_parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.custom_parameters
            .insert(key.into(), SecretString::from(value.into()));
        self
    }

    /// Adds custom parameters for the provider's authorization request.
    pub fn custom_parameters<I, K, V>(mut self, params: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        for (k, v) in params {
            self = self.custom_parameter(k, v);
        }
        self
    }

    /// Calls `f` with the authorization URL (synchronous callback).
    pub fn on_auth_url<F>(self, f: F) -> Self
    where
        F: Fn(&str) + Send + Sync + 'static,
    {
        self.on_auth_url_handler(OnAuthUrl::from_fn(f))
    }

    /// Calls `f` with the authorization URL and awaits it (asynchronous callback).
    pub fn on_auth_url_async<F, Fut>(self, f: F) -> Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_auth_url_handler(OnAuthUrl::from_async_fn(f))
    }

    /// Sets the authorization URL callback.
    pub fn on_auth_url_handler(mut self, handler: OnAuthUrl) -> Self {
        self.on_auth_url = Some(handler);
        self
    }

    /// Uses this poller instead of the client's (default: every 5 s for up to 600 s).
    pub fn token_poller(self, poller: impl TokenPoller + 'static) -> Self {
        self.token_poller_arc(Arc::new(poller))
    }

    /// Uses this shared poller instead of the client's.
    pub fn token_poller_arc(mut self, poller: Arc<dyn TokenPoller>) -> Self {
        self.token_poller = Some(poller);
        self
    }

    /// Non-blocking mode: instead of polling, fail at once with
    /// [`Error::AuthorizationRequired`]; the next call with the same request sends the remembered
    /// `sessionUri` and returns the token once the user has consented.
    pub fn non_blocking(mut self, non_blocking: bool) -> Self {
        self.non_blocking = non_blocking;
        self
    }

    /// Uses this workload access token instead of the one in the [`RequestContext`].
    pub fn workload_access_token(mut self, token: SecretString) -> Self {
        self.workload_access_token = Some(token);
        self
    }

    /// Gets the workload access token for this existing workload identity and user
    /// (`GetWorkloadAccessTokenForUserId`) instead of from the context or the local-dev file.
    pub fn workload_identity(
        mut self,
        name: impl Into<String>,
        user_id: impl Into<String>,
    ) -> Self {
        self.workload_identity = Some(WorkloadIdentityRef::new(name, user_id));
        self
    }

    fn cache_key(&self, token_digest: &[u8; 32]) -> crate::cache::Key {
        let mut b = KeyBuilder::new("oauth2", token_digest);
        b.str(&self.provider)
            .str(self.flow.as_str())
            .set(self.scopes.iter().map(String::as_str))
            .set(self.resources.iter().map(String::as_str))
            .set(self.audiences.iter().map(String::as_str));
        for (k, v) in &self.custom_parameters {
            b.str(k).str(v.expose_secret());
        }
        b.finish()
    }
}

/// One prepared `GetResourceOauth2Token` request (shared by the first call and the polls).
pub(crate) struct OAuth2Call<'a> {
    client: &'a IdentityClient,
    wat: &'a SecretString,
    pub(crate) provider: &'a str,
    request: &'a TokenRequest,
    callback_url: Option<String>,
    force_authentication: bool,
    pub(crate) session_uri: Option<String>,
}

impl OAuth2Call<'_> {
    pub(crate) async fn send(&self) -> Result<GetResourceOauth2TokenOutput, Error> {
        let r = self.request;
        let mut b = self
            .client
            .data_plane()
            .get_resource_oauth2_token()
            .workload_identity_token(self.wat.expose_secret())
            .resource_credential_provider_name(self.provider)
            .set_scopes(Some(r.scopes.clone()))
            .oauth2_flow(r.flow.to_sdk())
            .set_session_uri(self.session_uri.clone())
            .set_resource_oauth2_return_url(self.callback_url.clone());
        if self.force_authentication {
            b = b.force_authentication(true);
        }
        if let Some(state) = &r.custom_state {
            b = b.custom_state(state.expose_secret());
        }
        for (k, v) in &r.custom_parameters {
            b = b.custom_parameters(k, v.expose_secret());
        }
        if !r.resources.is_empty() {
            b = b.set_resources(Some(r.resources.clone()));
        }
        if !r.audiences.is_empty() {
            b = b.set_audiences(Some(r.audiences.clone()));
        }
        b.send()
            .await
            .map_err(|e| Error::from_sdk("GetResourceOauth2Token", e))
    }
}

/// A remembered authorization session (non-blocking mode).
#[derive(Clone)]
pub(crate) struct PendingSession {
    authorization_url: Arc<str>,
    session_uri: Option<Arc<str>>,
}

impl fmt::Debug for PendingSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingSession")
            .field("authorization_url", &self.authorization_url)
            .field("session_uri", &self.session_uri)
            .finish()
    }
}

pub(crate) type SessionMap = moka::future::Cache<crate::cache::Key, PendingSession>;

pub(crate) fn session_map() -> SessionMap {
    moka::future::Cache::builder()
        .max_capacity(10_000)
        .time_to_live(std::time::Duration::from_secs(15 * 60))
        .build()
}

impl IdentityClient {
    /// Gets an API key from the token vault (`GetResourceApiKey`), cached.
    ///
    /// The workload access token comes from the request (explicit), else the
    /// [`RequestContext`], else the local development flow (see [`crate::workload`]).
    pub async fn get_api_key(
        &self,
        request: impl Into<ApiKeyRequest>,
    ) -> Result<SecretString, Error> {
        let request = request.into();
        let wat = self
            .resolve_workload_access_token(
                request.workload_access_token.as_ref(),
                request.workload_identity.as_ref(),
            )
            .await?;
        let key = api_key_cache_key(&wat.digest(), &request.provider);
        if let Some(hit) = self.inner.cache.get(&key).await {
            tracing::debug!(provider = %request.provider, cache = "hit", "get_api_key");
            return Ok(hit);
        }
        let span = tracing::debug_span!("get_api_key", provider = %request.provider, cache = tracing::field::Empty);
        async {
            let (secret, outcome) = self
                .inner
                .cache
                .get_or_load(key, false, async {
                    let out = self
                        .data_plane()
                        .get_resource_api_key()
                        .workload_identity_token(wat.token().expose_secret())
                        .resource_credential_provider_name(&request.provider)
                        .send()
                        .await
                        .map_err(|e| Error::from_sdk("GetResourceApiKey", e))?;
                    let secret = SecretString::from(out.api_key());
                    let ttl = self.inner.cache.config.ttl_for(out.api_key(), true);
                    Ok(Loaded { secret, ttl })
                })
                .await?;
            tracing::Span::current().record("cache", outcome.as_str());
            tracing::debug!(cache = outcome.as_str(), "api key ready");
            Ok(secret)
        }
        .instrument(span)
        .await
    }

    /// Drops the cached API key of `request` (for the current workload access token), so the
    /// next call asks the service again: use it when the resource server rejects the key.
    pub async fn invalidate_api_key(&self, request: impl Into<ApiKeyRequest>) -> Result<(), Error> {
        let request = request.into();
        let wat = self
            .resolve_workload_access_token(
                request.workload_access_token.as_ref(),
                request.workload_identity.as_ref(),
            )
            .await?;
        self.inner
            .cache
            .invalidate(&api_key_cache_key(&wat.digest(), &request.provider))
            .await;
        Ok(())
    }

    /// Drops the cached token of `request` (for the current workload access token), so the next
    /// call asks the service again: use it when the resource server answers 401.
    pub async fn invalidate_token(&self, request: &TokenRequest) -> Result<(), Error> {
        let wat = self
            .resolve_workload_access_token(
                request.workload_access_token.as_ref(),
                request.workload_identity.as_ref(),
            )
            .await?;
        let key = request.cache_key(&wat.digest());
        self.inner.cache.invalidate(&key).await;
        Ok(())
    }

    /// Gets an OAuth2 access token (`GetResourceOauth2Token`), cached, as the Python SDK's
    /// `get_token`: a token in the answer ends the call; an authorization URL goes to
    /// `on_auth_url`, then the poller asks again with the `sessionUri` until the user has
    /// consented (or, with [`TokenRequest::non_blocking`], the call fails at once with
    /// [`Error::AuthorizationRequired`]).
    ///
    /// Concurrent calls for the same cache key share one service call (single-flight), so only
    /// the first caller's `on_auth_url` and poller run; the others wait for its outcome.
    /// `force_authentication` skips the cache and replaces the entry with the new token.
    pub async fn get_token(&self, request: TokenRequest) -> Result<SecretString, Error> {
        let wat = self
            .resolve_workload_access_token(
                request.workload_access_token.as_ref(),
                request.workload_identity.as_ref(),
            )
            .await?;
        let key = request.cache_key(&wat.digest());
        // The hit path first, before any span: a cached token costs a key digest and a lookup.
        if !request.force_authentication
            && let Some(hit) = self.inner.cache.get(&key).await
        {
            tracing::debug!(
                provider = %request.provider,
                flow = request.flow.as_str(),
                cache = "hit",
                "get_token"
            );
            return Ok(hit);
        }
        let span = tracing::debug_span!(
            "get_token",
            provider = %request.provider,
            flow = request.flow.as_str(),
            cache = tracing::field::Empty,
        );
        async {
            let (secret, outcome) = self
                .inner
                .cache
                .get_or_load(
                    key,
                    request.force_authentication,
                    self.fetch_token(&request, &wat, key),
                )
                .await?;
            tracing::Span::current().record("cache", outcome.as_str());
            tracing::debug!(cache = outcome.as_str(), "access token ready");
            Ok(secret)
        }
        .instrument(span)
        .await
    }

    async fn fetch_token(
        &self,
        request: &TokenRequest,
        wat: &Wat,
        key: crate::cache::Key,
    ) -> Result<Loaded, Error> {
        let callback_url = request.callback_url.clone().or_else(|| {
            RequestContext::with_current(|c| {
                c.and_then(|c| c.oauth2_callback_url().map(str::to_owned))
            })
        });
        let remembered = if request.non_blocking {
            self.inner.sessions.get(&key).await
        } else {
            None
        };
        let mut call = OAuth2Call {
            client: self,
            wat: wat.token(),
            provider: &request.provider,
            request,
            callback_url,
            // Only the initial request carries forceAuthentication.
            force_authentication: request.force_authentication && remembered.is_none(),
            session_uri: remembered
                .as_ref()
                .and_then(|s| s.session_uri.as_deref().map(str::to_owned)),
        };
        let out = call.send().await?;
        if let Some(token) = out.access_token() {
            if remembered.is_some() {
                self.inner.sessions.invalidate(&key).await;
            }
            return Ok(self.loaded_token(token));
        }
        if matches!(out.session_status(), Some(SessionStatus::Failed)) {
            self.inner.sessions.invalidate(&key).await;
            return Err(Error::AuthorizationFailed {
                provider: request.provider.clone(),
                session_uri: out
                    .session_uri()
                    .map(str::to_owned)
                    .or(call.session_uri.clone()),
            });
        }
        let (authorization_url, new_session) = match (out.authorization_url(), &remembered) {
            (Some(url), _) => (url.to_owned(), true),
            // Still pending, and the service did not repeat the URL: hand back the remembered one.
            (None, Some(pending)) => (pending.authorization_url.to_string(), false),
            (None, None) => return Err(Error::NoTokenOrAuthorizationUrl),
        };
        let session_uri = out
            .session_uri()
            .map(str::to_owned)
            .or(call.session_uri.take());
        let is_new_url = remembered
            .as_ref()
            .is_none_or(|p| *p.authorization_url != *authorization_url);
        tracing::info!(
            provider = %request.provider,
            authorization_url = %authorization_url,
            "user authorization required"
        );
        if let (Some(cb), true) = (&request.on_auth_url, is_new_url && new_session) {
            cb.call(&authorization_url).await;
        }
        if request.non_blocking {
            self.inner
                .sessions
                .insert(
                    key,
                    PendingSession {
                        authorization_url: authorization_url.as_str().into(),
                        session_uri: session_uri.as_deref().map(Into::into),
                    },
                )
                .await;
            return Err(Error::AuthorizationRequired {
                authorization_url,
                session_uri,
            });
        }
        call.force_authentication = false;
        call.session_uri = session_uri;
        let handle = PollHandle {
            call: &call,
            authorization_url: &authorization_url,
            attempts: AtomicU32::new(0),
        };
        let poller = request
            .token_poller
            .as_ref()
            .unwrap_or(&self.inner.token_poller);
        let token = poller.poll_for_token(&handle).await?;
        let ttl = self
            .inner
            .cache
            .config
            .ttl_for(token.expose_secret(), false);
        Ok(Loaded { secret: token, ttl })
    }

    fn loaded_token(&self, token: &str) -> Loaded {
        Loaded {
            secret: SecretString::from(token),
            ttl: self.inner.cache.config.ttl_for(token, false),
        }
    }
}

#[inline]
fn api_key_cache_key(token_digest: &[u8; 32], provider: &str) -> crate::cache::Key {
    let mut b = KeyBuilder::new("api-key", token_digest);
    b.str(provider);
    b.finish()
}
