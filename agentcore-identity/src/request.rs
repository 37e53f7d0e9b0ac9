//! What a credential request says: [`ApiKeyRequest`], [`TokenRequest`] and their parts
//! ([`AuthFlow`], [`OnAuthUrl`]), the workload identity a call acts as ([`WorkloadIdentityRef`],
//! [`WorkloadUser`]) and who completed a consent ([`UserIdentifier`]).
//!
//! Plain data with builders: nothing here talks to the service.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

use aws_sdk_bedrockagentcore::types::Oauth2FlowType;
use secrecy::SecretString;

use crate::poller::TokenPoller;

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

    pub(crate) fn to_sdk(self) -> Oauth2FlowType {
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

/// Who completed an authorization session, for
/// [`IdentityClient::complete_resource_token_auth`](crate::IdentityClient::complete_resource_token_auth).
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

/// A workload identity name plus the user the agent acts for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkloadIdentityRef {
    /// The workload identity name.
    pub name: String,
    /// The user id (`GetWorkloadAccessTokenForUserId`).
    pub user_id: String,
}

impl WorkloadIdentityRef {
    /// A reference to workload identity `name` acting for `user_id`.
    pub fn new(name: impl Into<String>, user_id: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            user_id: user_id.into(),
        }
    }
}

/// For whom a workload access token is asked
/// ([`IdentityClient::get_workload_access_token`](crate::IdentityClient::get_workload_access_token)).
#[derive(Clone)]
#[non_exhaustive]
pub enum WorkloadUser {
    /// No user: the agent acts as itself (`GetWorkloadAccessToken`).
    Agent,
    /// A user id the agent acts for (`GetWorkloadAccessTokenForUserId`).
    UserId(String),
    /// A user's JWT from their identity provider (`GetWorkloadAccessTokenForJWT`).
    UserJwt(SecretString),
}

impl fmt::Debug for WorkloadUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkloadUser::Agent => f.write_str("Agent"),
            WorkloadUser::UserId(id) => f.debug_tuple("UserId").field(id).finish(),
            WorkloadUser::UserJwt(_) => f.debug_tuple("UserJwt").field(&"[REDACTED]").finish(),
        }
    }
}

/// What a request says of its workload access token: explicit, or a named workload identity.
pub(crate) type WorkloadSource<'a> = (Option<&'a SecretString>, Option<&'a WorkloadIdentityRef>);

/// The two ways a request names its workload access token, written once for both request types.
macro_rules! workload_setters {
    () => {
        pub(crate) fn workload_source(&self) -> WorkloadSource<'_> {
            (
                self.workload_access_token.as_ref(),
                self.workload_identity.as_ref(),
            )
        }

        /// Uses this workload access token instead of the one in the
        /// [`RequestContext`](crate::context::RequestContext).
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
    };
}

/// A request for an API key from an API key credential provider.
///
/// ```
/// use agentcore_identity::ApiKeyRequest;
/// let _request = ApiKeyRequest::new("openai-apikey-provider");
/// ```
#[derive(Clone)]
#[must_use]
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

    workload_setters!();
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

impl From<&ApiKeyRequest> for ApiKeyRequest {
    fn from(request: &ApiKeyRequest) -> Self {
        request.clone()
    }
}

impl From<&TokenRequest> for TokenRequest {
    fn from(request: &TokenRequest) -> Self {
        request.clone()
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
#[must_use]
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
    /// [`Error::AuthorizationRequired`](crate::Error::AuthorizationRequired); the next call with the same request sends the remembered
    /// `sessionUri` and returns the token once the user has consented.
    pub fn non_blocking(mut self, non_blocking: bool) -> Self {
        self.non_blocking = non_blocking;
        self
    }

    workload_setters!();
}
