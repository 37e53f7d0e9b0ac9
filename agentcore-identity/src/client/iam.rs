//! IAM web identity tokens: [`IdentityClient::get_iam_access_token`] and
//! [`IdentityClient::invalidate_iam_access_token`], on AWS STS `GetWebIdentityToken`, with the
//! STS client built on first use.

use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_sts::operation::get_web_identity_token::{
    GetWebIdentityTokenError, GetWebIdentityTokenOutput,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use secrecy::SecretString;
use tracing::Instrument as _;

use super::{EnvLookup, IdentityClient, configured_endpoint, signing_credentials};
use crate::cache::{Key, KeyBuilder, Loaded, iam_scope_digest, jwt_times};
use crate::error::Error;
use crate::iam::IamTokenRequest;

const OPERATION: &str = "GetWebIdentityToken";

/// The error codes STS (and the IAM feature it depends on) answer when outbound web identity
/// federation is off: the model's, and the ones the Python SDK also recognises.
const FEDERATION_DISABLED: [&str; 3] = [
    "OutboundWebIdentityFederationDisabledException",
    "FeatureDisabledException",
    "FeatureDisabled",
];

/// What the STS client is made from, and the client itself once a call needed it: most agents
/// never ask for an IAM token, and building an SDK client costs start-up time.
pub(crate) struct Sts {
    sdk: SdkConfig,
    region: String,
    credentials: Option<SharedCredentialsProvider>,
    /// An endpoint given to the builder (`sts_endpoint`, or `endpoint_url` for every service);
    /// otherwise the SDK's own resolution applies (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`,
    /// the `SdkConfig`'s endpoint, the region's STS endpoint).
    endpoint: Option<String>,
    /// Where requests go, for error messages.
    url: String,
    client: OnceLock<aws_sdk_sts::Client>,
}

impl fmt::Debug for Sts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sts")
            .field("url", &self.url)
            .field("built", &self.client.get().is_some())
            .finish_non_exhaustive()
    }
}

impl Sts {
    /// `explicit`: credentials given to the builder. Against an overridden endpoint (the local
    /// service) and without credentials, requests are signed with the dummy credentials, as the
    /// AgentCore planes are.
    pub(super) fn new(
        sdk: &SdkConfig,
        region: &str,
        explicit: Option<SharedCredentialsProvider>,
        endpoint: Option<String>,
        env: &EnvLookup,
    ) -> Self {
        let url = endpoint
            .clone()
            .or_else(|| sdk.endpoint_url().map(str::to_owned))
            .or_else(|| configured_endpoint(env, "AWS_ENDPOINT_URL_STS"));
        let credentials = signing_credentials(explicit, sdk.credentials_provider(), url.is_some());
        Self {
            sdk: sdk.clone(),
            region: region.to_owned(),
            credentials,
            endpoint,
            url: url.unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com")),
            client: OnceLock::new(),
        }
    }

    /// The STS client, built on first use.
    fn client(&self) -> &aws_sdk_sts::Client {
        self.client.get_or_init(|| {
            let mut b = aws_sdk_sts::config::Builder::from(&self.sdk)
                .region(Region::new(self.region.clone()));
            if let Some(c) = &self.credentials {
                b = b.credentials_provider(c.clone());
            }
            if let Some(url) = &self.endpoint {
                b = b.endpoint_url(url);
            }
            tracing::debug!(endpoint = %self.url, "STS client configured");
            aws_sdk_sts::Client::from_conf(b.build())
        })
    }
}

/// The cache key of an IAM token request: the client's own identity (one domain for all), the
/// audiences and tags as sets, the algorithm and the duration. `force` is not part of it.
fn iam_cache_key(request: &IamTokenRequest) -> Key {
    let mut b = KeyBuilder::new("iam", &iam_scope_digest());
    b.set(request.audience.iter().map(String::as_str))
        .str(request.signing_algorithm.as_str())
        .str(&request.duration_seconds.to_string());
    let mut tags: Vec<&(String, String)> = request.tags.iter().collect();
    tags.sort_unstable();
    b.str(&tags.len().to_string());
    for (k, v) in tags {
        b.str(k).str(v);
    }
    b.finish()
}

impl IdentityClient {
    /// Gets an IAM web identity token (a JWT signed by AWS STS, `GetWebIdentityToken`) for
    /// the agent's own AWS identity, cached; as the Python SDK's `@requires_iam_access_token`.
    ///
    /// External services that trust the account's issuer URL accept it as a bearer token, with
    /// no client secret. The request is checked first ([`IamTokenRequest::validate`]); the
    /// token is cached per client and request (see [`cache`](crate::cache)) until `exp - iat`
    /// less the skew has passed; [`IamTokenRequest::force`] fetches a new one. Concurrent
    /// first calls share one STS request.
    ///
    /// STS is reached at, in order: [`IdentityClientBuilder::sts_endpoint`](crate::IdentityClientBuilder::sts_endpoint),
    /// [`IdentityClientBuilder::endpoint_url`](crate::IdentityClientBuilder::endpoint_url)
    /// (which points the local identity service's STS there too), `AWS_ENDPOINT_URL_STS`, the
    /// region's STS endpoint. The STS client is built on the first call.
    ///
    /// When the account has not enabled outbound web identity federation, the call fails with
    /// [`Error::WebIdentityFederationDisabled`], which says how to enable it.
    ///
    /// ```no_run
    /// # #[tokio::main] async fn main() -> Result<(), agentcore_identity::Error> {
    /// use agentcore_identity::{ExposeSecret, IamTokenRequest, IdentityClient};
    ///
    /// let client = IdentityClient::from_env().await?;
    /// let token = client
    ///     .get_iam_access_token(IamTokenRequest::new(["https://api.example.com"]).tag("team", "a"))
    ///     .await?;
    /// let _header = format!("Bearer {}", token.expose_secret());
    /// # Ok(()) }
    /// ```
    pub async fn get_iam_access_token(
        &self,
        request: impl Into<IamTokenRequest>,
    ) -> Result<SecretString, Error> {
        let request = request.into();
        request.validate()?;
        if let Some(e) = &self.inner.config_error {
            return Err(e.clone());
        }
        let key = iam_cache_key(&request);
        if !request.force
            && let Some(hit) = self.inner.cache.get(&key).await
        {
            tracing::debug!(
                signing_algorithm = request.signing_algorithm.as_str(),
                cache = "hit",
                "get_iam_access_token"
            );
            return Ok(hit);
        }
        let span = tracing::debug_span!(
            "get_iam_access_token",
            audience = ?request.audience,
            signing_algorithm = request.signing_algorithm.as_str(),
            duration_seconds = request.duration_seconds,
            cache = tracing::field::Empty,
        );
        async {
            let (secret, outcome) = self
                .inner
                .cache
                .get_or_load(key, request.force, self.fetch_iam_token(&request))
                .await?;
            tracing::Span::current().record("cache", outcome.as_str());
            tracing::debug!(cache = outcome.as_str(), "IAM web identity token ready");
            Ok(secret)
        }
        .instrument(span)
        .await
    }

    /// Drops the cached IAM token of `request`, so the next call asks STS again: use it when
    /// the external service rejects the token.
    pub async fn invalidate_iam_access_token(
        &self,
        request: impl Into<IamTokenRequest>,
    ) -> Result<(), Error> {
        let request = request.into();
        request.validate()?;
        self.inner.cache.invalidate(&iam_cache_key(&request)).await;
        Ok(())
    }

    async fn fetch_iam_token(&self, request: &IamTokenRequest) -> Result<Loaded, Error> {
        let tags = (!request.tags.is_empty()).then(|| {
            request
                .tags
                .iter()
                .map(|(k, v)| {
                    aws_sdk_sts::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .expect("key and value are set")
                })
                .collect()
        });
        let out = self
            .inner
            .sts
            .client()
            .get_web_identity_token()
            .set_audience(Some(request.audience.clone()))
            .signing_algorithm(request.signing_algorithm.as_str())
            .duration_seconds(request.duration_seconds as i32)
            .set_tags(tags)
            .send()
            .await
            .map_err(|e| self.sts_err(e))?;
        let token = out
            .web_identity_token()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Transport {
                operation: OPERATION,
                message: format!(
                    "STS at {} answered without a WebIdentityToken",
                    self.inner.sts.url
                ),
                source: None,
            })?;
        let ttl = self.iam_token_ttl(token, &out);
        Ok(Loaded {
            secret: SecretString::from(token),
            ttl,
        })
    }

    /// A JWT's own lifetime (the cache's rule); for anything else, the answer's `Expiration`
    /// less the skew.
    fn iam_token_ttl(&self, token: &str, out: &GetWebIdentityTokenOutput) -> Option<Duration> {
        let config = &self.inner.cache.config;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        let times = jwt_times(token);
        match (times.and_then(|t| t.exp), out.expiration()) {
            (None, Some(expiration)) => {
                let left = u64::try_from(expiration.secs()).ok()?.checked_sub(now)?;
                config.capped(config.less_skew(left)?)
            }
            _ => config.token_ttl_at(times, now),
        }
    }

    /// An SDK error of `GetWebIdentityToken`, naming the STS endpoint; a disabled feature gets
    /// its own error saying how to enable it.
    fn sts_err(&self, err: SdkError<GetWebIdentityTokenError, HttpResponse>) -> Error {
        if let SdkError::ServiceError(service) = &err
            && service
                .err()
                .code()
                .is_some_and(|c| FEDERATION_DISABLED.contains(&c))
        {
            let request_id = service
                .raw()
                .headers()
                .get("x-amzn-requestid")
                .map(str::to_owned);
            return Error::WebIdentityFederationDisabled { request_id };
        }
        Error::from_sdk(OPERATION, &self.inner.sts.url, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::SigningAlgorithm;
    use aws_credential_types::Credentials;

    fn builder() -> crate::IdentityClientBuilder {
        IdentityClient::builder()
            .region("eu-west-1")
            .credentials_provider(Credentials::new(
                "AKIDTEST",
                "test-secret",
                None,
                None,
                "iam",
            ))
            .env_lookup(|_| None)
            .sdk_config(
                SdkConfig::builder()
                    .behavior_version(aws_config::BehaviorVersion::latest())
                    .build(),
            )
    }

    async fn sts_url(b: crate::IdentityClientBuilder) -> String {
        b.build().await.unwrap().inner.sts.url.clone()
    }

    #[tokio::test]
    async fn the_sts_endpoint_is_resolved_in_order() {
        assert_eq!(
            sts_url(builder()).await,
            "https://sts.eu-west-1.amazonaws.com"
        );
        let a = "http://127.0.0.1:1001";
        let b = "http://127.0.0.1:1002";
        assert_eq!(sts_url(builder().endpoint_url(a)).await, a);
        assert_eq!(sts_url(builder().endpoint_url(a).sts_endpoint(b)).await, b);
        assert_eq!(sts_url(builder().sts_endpoint(b).endpoint_url(a)).await, b);
        assert_eq!(
            sts_url(builder().endpoint_url(b).endpoint_url(a)).await,
            a,
            "the last endpoint_url wins"
        );
        // The planes' own endpoints do not move STS.
        assert_eq!(
            sts_url(builder().data_plane_endpoint(a).control_plane_endpoint(a)).await,
            "https://sts.eu-west-1.amazonaws.com"
        );
        let env = |name: &str| match name {
            "AWS_ENDPOINT_URL_STS" => Some("http://127.0.0.1:1003".to_owned()),
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:1004".to_owned()),
            _ => None,
        };
        assert_eq!(
            sts_url(builder().env_lookup(env)).await,
            "http://127.0.0.1:1003"
        );
        assert_eq!(sts_url(builder().env_lookup(env).sts_endpoint(b)).await, b);
        let err = builder()
            .sts_endpoint("sts.local:8787")
            .build()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Config { message } if message.contains("sts.local:8787")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn the_sts_client_is_built_on_first_use_and_bad_input_never_builds_it() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = builder().endpoint_url(&endpoint).build().await.unwrap();
        assert!(
            client.inner.sts.client.get().is_none(),
            "not built by the builder"
        );
        let empty: [&str; 0] = [];
        let err = client
            .get_iam_access_token(IamTokenRequest::new(empty))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidRequest {
                    field: "audience",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            client.inner.sts.client.get().is_none(),
            "invalid input sends nothing"
        );
        let err = client
            .get_iam_access_token("https://api.example.com")
            .await
            .unwrap_err();
        assert!(client.inner.sts.client.get().is_some());
        let msg = err.to_string();
        assert!(
            matches!(err, Error::Transport { .. }) && msg.starts_with("GetWebIdentityToken failed"),
            "{msg}"
        );
        assert!(msg.contains(&endpoint), "the STS endpoint is named: {msg}");
    }

    #[test]
    fn keys_are_order_insensitive_and_tell_requests_apart() {
        let base = IamTokenRequest::new(["a", "b"]).tag("x", "1").tag("y", "2");
        let same = IamTokenRequest::new(["b", "a"]).tag("y", "2").tag("x", "1");
        assert_eq!(iam_cache_key(&base), iam_cache_key(&same));
        assert_eq!(
            iam_cache_key(&base),
            iam_cache_key(&base.clone().force(true))
        );
        let others = [
            IamTokenRequest::new(["a"]).tag("x", "1").tag("y", "2"),
            base.clone().signing_algorithm(SigningAlgorithm::Rs256),
            base.clone().duration_seconds(301),
            IamTokenRequest::new(["a", "b"]).tag("x", "1"),
            IamTokenRequest::new(["a", "b"]).tag("x", "1").tag("y", "3"),
            // Length-prefixed: a key/value boundary cannot be moved.
            IamTokenRequest::new(["a", "b"]).tag("x", "1y").tag("", "2"),
        ];
        for other in others {
            assert_ne!(iam_cache_key(&base), iam_cache_key(&other), "{other:?}");
        }
    }
}
