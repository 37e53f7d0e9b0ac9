//! Not public API: what the macro expansions call. May change in any release.

pub use ::core;
pub use ::secrecy::SecretString;

pub use crate::client::{IdentityClient, default_client};
pub use crate::credential::Credential;
pub use crate::error::Error;
pub use crate::iam::{IamTokenRequest, SigningAlgorithm};
pub use crate::request::{ApiKeyRequest, AuthFlow, OnAuthUrl, TokenRequest};

/// `client` or, when `None`, the process default client.
async fn client_or_default(client: Option<IdentityClient>) -> Result<IdentityClient, Error> {
    match client {
        Some(c) => Ok(c),
        None => default_client().await,
    }
}

/// Fetches an API key (cached).
pub async fn api_key(
    client: Option<IdentityClient>,
    request: ApiKeyRequest,
) -> Result<SecretString, Error> {
    client_or_default(client).await?.get_api_key(request).await
}

/// Fetches an OAuth2 access token (cached).
pub async fn access_token(
    client: Option<IdentityClient>,
    request: TokenRequest,
) -> Result<SecretString, Error> {
    client_or_default(client).await?.get_token(request).await
}

/// Fetches an IAM web identity token (cached).
pub async fn iam_access_token(
    client: Option<IdentityClient>,
    request: IamTokenRequest,
) -> Result<SecretString, Error> {
    client_or_default(client)
        .await?
        .get_iam_access_token(request)
        .await
}

/// The workload access token of the current request context.
pub fn workload_access_token() -> Result<SecretString, Error> {
    crate::context::RequestContext::with_current(|ctx| {
        ctx.and_then(|c| c.workload_access_token().cloned())
            .ok_or(Error::NoWorkloadAccessToken)
    })
}

/// What a function under an identity macro returns: `Result<T, E>` whose `E` takes an
/// [`Error`]. The expansion returns a failure to get the credential through it.
#[diagnostic::on_unimplemented(
    message = "a function with `#[requires_api_key]`, `#[requires_access_token]`, `#[requires_iam_access_token]` or `#[requires_wat]` must return `Result<T, E>` with `E: From<agentcore_identity::Error>`, not `{Self}`",
    label = "a failure to get the credential is returned as `Err` here",
    note = "`E` may be your own error type with `impl From<agentcore_identity::Error>`, `agentcore_identity::Error` itself, `anyhow::Error` or `Box<dyn std::error::Error + Send + Sync>`"
)]
pub trait ReturnsIdentityError {
    /// `Err(E::from(error))`.
    fn from_identity_error(error: Error) -> Self;
}

impl<T, E: From<Error>> ReturnsIdentityError for core::result::Result<T, E> {
    #[inline]
    fn from_identity_error(error: Error) -> Self {
        Err(E::from(error))
    }
}

/// Converts a secret into the injected parameter's type.
pub fn into_credential<T: Credential>(secret: SecretString) -> T {
    T::from_secret(secret)
}

/// Wraps a synchronous `on_auth_url` callback.
pub fn on_auth_url_sync<F: Fn(&str) + Send + Sync + 'static>(f: F) -> OnAuthUrl {
    OnAuthUrl::from_fn(f)
}

/// Wraps an asynchronous `on_auth_url` callback.
pub fn on_auth_url_async<F, Fut>(f: F) -> OnAuthUrl
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: core::future::Future<Output = ()> + Send + 'static,
{
    OnAuthUrl::from_async_fn(f)
}

/// Collects a list argument (`scopes = SCOPES`) into owned strings.
pub fn strings<I>(items: I) -> Vec<String>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    items.into_iter().map(|s| s.as_ref().to_owned()).collect()
}

/// One entry of a `custom_parameters = expr` argument: `(k, v)`, or `&(k, v)` so that a
/// `const PARAMS: &[(&str, &str)]` works as `scopes = SCOPES` does.
pub trait Pair {
    /// The owned key and value.
    fn into_pair(self) -> (String, String);
}

impl<K: AsRef<str>, V: AsRef<str>> Pair for (K, V) {
    fn into_pair(self) -> (String, String) {
        (self.0.as_ref().to_owned(), self.1.as_ref().to_owned())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Pair for &(K, V) {
    fn into_pair(self) -> (String, String) {
        (self.0.as_ref().to_owned(), self.1.as_ref().to_owned())
    }
}

/// Collects a `custom_parameters = expr` argument into owned pairs.
pub fn pairs<I>(items: I) -> Vec<(String, String)>
where
    I: IntoIterator,
    I::Item: Pair,
{
    items.into_iter().map(Pair::into_pair).collect()
}
