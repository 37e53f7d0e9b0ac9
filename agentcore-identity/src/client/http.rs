//! The HTTP client of the AWS configuration this crate loads itself ([`IdentityClientBuilder::build`],
//! [`IdentityClient::from_env`], the process default client): the AWS SDK's default client
//! (hyper 1, rustls on aws-lc, the system's root certificates, proxies from the environment), except
//! that TLS is set up on the first `https://` request rather than when each SDK client is built.
//!
//! Why: the SDK's default client builds a TLS connector for every SDK client it is given to (the
//! credential chain's STS client, both AgentCore planes, STS), parsing the system's root
//! certificates each time, and uses a TLS-capable connector even for `http://` endpoints. Before
//! the first request that is about 3 ms of a cold start on two cores (bench/README.md, "Cold
//! start"), paid even when every endpoint is plain HTTP: the local service, the container
//! credential endpoint (`http://169.254.170.2`), IMDS. Here a plain `http://` request (with no
//! proxy in the environment) goes through a connector without TLS, and everything else through
//! the SDK's own TLS connector, built once per timeout setting on its first request.
//!
//! [`IdentityClientBuilder::build`]: super::IdentityClientBuilder::build
//! [`IdentityClient::from_env`]: super::IdentityClient::from_env

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{OnceLock, PoisonError, RwLock};
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

/// The environment variables that route plain HTTP through a proxy (hyper-util's matcher reads
/// them, upper and lower case). With any of them set, every request takes the SDK's connector.
const HTTP_PROXY_VARIABLES: [&str; 4] = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

/// The AWS SDK's default HTTP client, with TLS set up on the first `https://` request instead of
/// when each SDK client is built, and plain `http://` without TLS: what this crate gives
/// `aws-config` when it loads the configuration itself. Give it to your own configuration to
/// have the same start-up (and to the SDK clients you build from that configuration):
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
/// Like the SDK's default client: rustls on aws-lc, the system's root certificates
/// (`SSL_CERT_FILE` / `SSL_CERT_DIR` honoured), proxies from `HTTP_PROXY` / `HTTPS_PROXY` /
/// `ALL_PROXY` / `NO_PROXY`, one connector per (connect timeout, read timeout). With an HTTP proxy
/// configured (read when this function is called), `http://` requests take the SDK's connector
/// too, which knows proxies.
pub fn lazy_tls_http_client() -> SharedHttpClient {
    let http_proxy = HTTP_PROXY_VARIABLES
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    SharedHttpClient::new(LazyTlsClient {
        plain_http_allowed: !http_proxy,
        connectors: RwLock::default(),
    })
}

type TimeoutKey = (Option<Duration>, Option<Duration>);

#[derive(Debug)]
struct LazyTlsClient {
    /// No proxy for plain HTTP in the environment.
    plain_http_allowed: bool,
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
                    plain_http_allowed: self.plain_http_allowed,
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
#[derive(Debug)]
struct ByScheme {
    plain_http_allowed: bool,
    settings: HttpConnectorSettings,
    sleep: Option<SharedAsyncSleep>,
    plain: OnceLock<Connector>,
    tls: OnceLock<Connector>,
}

impl ByScheme {
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

    fn plain(&self) -> &Connector {
        self.plain.get_or_init(|| self.builder().build_http())
    }
}

impl HttpConnector for ByScheme {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let plain = self.plain_http_allowed
            && request
                .uri()
                .get(..7)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"));
        if plain {
            self.plain().call(request)
        } else {
            self.tls().call(request)
        }
    }
}
