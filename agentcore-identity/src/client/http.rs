//! [`lazy_tls_http_client`]: the HTTP client of the AWS configuration this crate loads itself.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use aws_smithy_async::rt::sleep::SharedAsyncSleep;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Connector, ConnectorBuilder};
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use hyper_util::client::proxy::matcher::Matcher;

/// The AWS SDK's default HTTP client, with TLS set up on the first `https://` request instead of
/// when each SDK client is built, and no TLS for plain `http://`: what this crate gives
/// `aws-config` when it loads the configuration itself ([`IdentityClientBuilder::build`] without
/// [`sdk_config`](crate::IdentityClientBuilder::sdk_config), [`IdentityClient::from_env`], the process
/// default client). Give it to a configuration of your own to start the same way (and to the SDK
/// clients you build from that configuration); call it once and share the result, as each call
/// makes a new client with its own connection pools:
///
/// ```no_run
/// # #[tokio::main] async fn main() -> Result<(), agentcore_identity::Error> {
/// use agentcore_identity::{ApiKeyRequest, IdentityClient};
/// use aws_config::BehaviorVersion;
///
/// let config = aws_config::defaults(BehaviorVersion::latest())
///     .http_client(agentcore_identity::lazy_tls_http_client())
///     .load()
///     .await;
/// let client = IdentityClient::new(&config);
/// let _key = client.get_api_key(ApiKeyRequest::new("openai-apikey-provider")).await?;
/// # Ok(()) }
/// ```
///
/// Why: the SDK's default client builds a TLS connector for every SDK client it is given (the
/// credential chain's STS client, both AgentCore planes, STS), each time turning the system's root
/// certificates (read once per process) into trust anchors and building a TLS configuration, and
/// it uses that TLS-capable connector even for `http://`. On a cold start on two cores that was
/// about 3 ms before the first request, paid even when every endpoint is plain HTTP: the local
/// service, the ECS/EKS container credential endpoint on `http://169.254.170.2`, IMDS. Here
/// nothing TLS happens until an `https://` request needs it, once per timeout setting.
///
/// Otherwise it is the SDK's default client for behavior versions from 2025-08-07: hyper 1,
/// rustls on aws-lc, the system's root certificates (`SSL_CERT_FILE` / `SSL_CERT_DIR` honoured),
/// proxies from `HTTP_PROXY` / `HTTPS_PROXY` / `ALL_PROXY` / `NO_PROXY` (upper or lower case, read
/// as hyper-util reads them; an `http://` request a proxy applies to goes through the SDK's
/// connector, which knows proxies), TCP_NODELAY, one connector and pool per (connect timeout, read
/// timeout). The proxy variables are read when this function is called (to choose the connector
/// of an `http://` request) and again, as the SDK's connector reads them, when the TLS connector
/// is built: a process that changes them in between should call this function again.
///
/// One difference in where an error shows: with no usable root certificate at all, the SDK's
/// default client fails (and in debug builds, panics in its `debug_assert`) when an SDK client is
/// built; this one on the first `https://` request.
///
/// [`IdentityClientBuilder::build`]: crate::IdentityClientBuilder::build
/// [`IdentityClient::from_env`]: crate::IdentityClient::from_env
pub fn lazy_tls_http_client() -> SharedHttpClient {
    SharedHttpClient::new(LazyTlsClient {
        proxies: Arc::new(Matcher::from_env()),
        connectors: RwLock::default(),
    })
}

type TimeoutKey = (Option<Duration>, Option<Duration>);

#[derive(Debug)]
struct LazyTlsClient {
    /// The environment's proxies (for the choice of connector; the SDK's connector reads them
    /// again when it is built).
    proxies: Arc<Matcher>,
    connectors: RwLock<HashMap<TimeoutKey, SharedHttpConnector>>,
}

impl HttpClient for LazyTlsClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        if let Some(connector) = self
            .connectors
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return connector.clone();
        }
        self.connectors
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert_with(|| {
                SharedHttpConnector::new(ByScheme {
                    proxies: self.proxies.clone(),
                    settings: settings.clone(),
                    sleep: components.sleep_impl(),
                    plain: OnceLock::new(),
                    tls: OnceLock::new(),
                })
            })
            .clone()
    }

    // No `validate_base_client_config`: the SDK's default client builds a TLS connector there,
    // which is the work this client defers.

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        Some(ConnectorMetadata::new("hyper", Some(Cow::Borrowed("1.x"))))
    }
}

/// A connector choosing by the request's scheme; each of its two connectors is built on the first
/// request that needs it.
struct ByScheme {
    proxies: Arc<Matcher>,
    settings: HttpConnectorSettings,
    sleep: Option<SharedAsyncSleep>,
    plain: OnceLock<Connector>,
    tls: OnceLock<Connector>,
}

impl fmt::Debug for ByScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByScheme")
            .field("settings", &self.settings)
            .field("plain", &self.plain.get().is_some())
            .field("tls", &self.tls.get().is_some())
            .finish_non_exhaustive()
    }
}

impl ByScheme {
    /// Whether `uri` is plain HTTP that no proxy applies to.
    fn plain_and_direct(&self, uri: &str) -> bool {
        uri.get(..7)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
            && uri
                .parse::<http::Uri>()
                .is_ok_and(|uri| self.proxies.intercept(&uri).is_none())
    }

    fn builder(&self) -> ConnectorBuilder {
        let mut builder = ConnectorBuilder::default();
        builder.set_connector_settings(Some(self.settings.clone()));
        builder.set_sleep_impl(self.sleep.clone());
        builder
    }

    /// The SDK's default HTTPS connector (`aws_smithy_runtime`'s `default_https_client` for
    /// behavior versions from 2025-08-07: rustls on aws-lc, native roots, proxies from the
    /// environment); it also serves `http://` when a proxy is configured.
    fn tls(&self) -> &Connector {
        self.tls.get_or_init(|| {
            tracing::trace!("building the TLS connector (first request that needs it)");
            self.builder()
                .proxy_config(ProxyConfig::from_env())
                .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
                .build()
        })
    }

    /// A connector without TLS or proxy (`ConnectorBuilder::build_http`: hidden in the docs of
    /// aws-smithy-http-client 1.5, the SDK's own HTTP-only connector).
    fn plain(&self) -> &Connector {
        self.plain.get_or_init(|| self.builder().build_http())
    }
}

impl HttpConnector for ByScheme {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if self.plain_and_direct(request.uri()) {
            self.plain().call(request)
        } else {
            self.tls().call(request)
        }
    }
}
