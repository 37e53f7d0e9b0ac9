//! Workload-token propagation: the request's workload access token, passed on to the AgentCore
//! Runtimes, Harnesses and Gateways the agent calls, so they can extend the identity chain.
//!
//! When an agent serving a request (with a workload access token in its
//! [request context](crate::context)) invokes another agent runtime, a harness or a gateway, the
//! callee should receive that token in the `X-Amz-Bedrock-AgentCore-Identity-WAT` header, as the
//! Python SDK does since 1.21 (`_utils/identity_propagation.py`). This module does it:
//!
//! - [`WatPropagation`] is an interceptor for the official `aws-sdk-bedrockagentcore` client.
//!   Attach it to the client's configuration (or build the configuration with
//!   [`data_plane_config`]); requests for [`PROPAGATED_OPERATIONS`] (`InvokeAgentRuntime`,
//!   `InvokeAgentRuntimeCommand`, `InvokeHarness`, `InvokeGateway`) made inside a context with a
//!   token then carry the header. It is added before signing, so SigV4 signs it. Identity
//!   operations (`GetResourceApiKey`, `GetResourceOauth2Token`, `GetWorkloadAccessToken*`,
//!   `CompleteResourceTokenAuth`, ...) never carry it: AgentCore Identity issues the token, it does
//!   not consume it. Outside a context, or with a context without a token, nothing is added.
//! - [`wat_header`] and [`insert_wat_header`] are for calls the SDK has no operation for, such as
//!   a Gateway's MCP endpoint reached over plain HTTP.
//!
//! The header value is marked sensitive ([`http::HeaderValue::set_sensitive`]), and this module
//! never logs it. Note that at TRACE level the AWS SDK for Rust itself prints the headers of
//! every request it signs and sends, except a fixed list (`authorization`,
//! `x-amz-security-token`, ...) that does not include this one (events of the `aws_sigv4` and
//! `aws_smithy_runtime` targets; botocore does the same at DEBUG): keep those targets below TRACE
//! where tokens must not reach the logs.
//!
//! ```no_run
//! # #![allow(dead_code)]
//! use agentcore_identity::context::RequestContext;
//! use agentcore_identity::propagation;
//! use agentcore_identity::SecretString;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let sdk_config = aws_config::load_from_env().await;
//! let runtime = aws_sdk_bedrockagentcore::Client::from_conf(propagation::data_plane_config(&sdk_config));
//! // On AgentCore Runtime the context comes with each request (agentcore-runtime fills it).
//! let ctx = RequestContext::new()
//!     .with_workload_access_token(SecretString::from("token from the request header"));
//! RequestContext::scope(ctx, async {
//!     // Carries X-Amz-Bedrock-AgentCore-Identity-WAT, signed with the request.
//!     runtime
//!         .invoke_agent_runtime()
//!         .agent_runtime_arn("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/other-agent")
//!         .payload(aws_sdk_bedrockagentcore::primitives::Blob::new(br#"{"prompt":"hi"}"#.to_vec()))
//!         .send()
//!         .await
//! })
//! .await?;
//! # Ok(()) }
//! ```

use std::fmt;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use http::{HeaderName, HeaderValue};
use secrecy::ExposeSecret;

use crate::context::RequestContext;
use crate::error::Error;

/// The header carrying the workload access token to the callee, as AWS spells it.
pub const WAT_HEADER_NAME: &str = "X-Amz-Bedrock-AgentCore-Identity-WAT";

/// [`WAT_HEADER_NAME`] as an [`http::HeaderName`] (lower case, as HTTP/1.1 compares names
/// case-insensitively).
pub const WAT_HEADER: HeaderName = HeaderName::from_static("x-amz-bedrock-agentcore-identity-wat");

/// The `aws-sdk-bedrockagentcore` operations whose requests carry the workload access token
/// (those of the Python SDK's `_WAT_PROPAGATION_OPERATIONS`). `InvokeGateway` has no operation in
/// the Rust SDK yet; it is listed so a future SDK version's calls carry the header too.
pub const PROPAGATED_OPERATIONS: &[&str] = &[
    "InvokeAgentRuntime",
    "InvokeAgentRuntimeCommand",
    "InvokeHarness",
    "InvokeGateway",
];

/// Whether requests for the SDK operation named `operation` (e.g. `"InvokeAgentRuntime"`) carry
/// the workload access token.
///
/// ```
/// use agentcore_identity::propagation::propagates_to;
/// assert!(propagates_to("InvokeHarness"));
/// assert!(!propagates_to("GetResourceOauth2Token"));
/// ```
#[must_use]
pub fn propagates_to(operation: &str) -> bool {
    PROPAGATED_OPERATIONS.contains(&operation)
}

/// The header name and value for the current request context's workload access token, for HTTP
/// calls made without the SDK (e.g. a Gateway's MCP endpoint); `Ok(None)` outside a context or
/// when the context has no token.
///
/// The value is marked sensitive. The error (the token is not a valid header value, which a token
/// issued by AgentCore Identity never is) does not include the token.
///
/// ```no_run
/// # #![allow(dead_code)]
/// use agentcore_identity::propagation;
///
/// # async fn call(mcp_url: &str, body: String) -> Result<(), Box<dyn std::error::Error>> {
/// let mut request = reqwest::Client::new().post(mcp_url).body(body);
/// if let Some((name, value)) = propagation::wat_header()? {
///     request = request.header(name, value);
/// }
/// let _response = request.send().await?;
/// # Ok(()) }
/// ```
pub fn wat_header() -> Result<Option<(HeaderName, HeaderValue)>, Error> {
    RequestContext::with_current(|ctx| {
        let Some(token) = ctx.and_then(RequestContext::workload_access_token) else {
            return Ok(None);
        };
        let mut value = HeaderValue::from_str(token.expose_secret()).map_err(|_| {
            Error::config(
                "the workload access token in the request context is not a valid HTTP header \
                 value (it must be visible ASCII); it cannot be propagated",
            )
        })?;
        value.set_sensitive(true);
        Ok(Some((WAT_HEADER, value)))
    })
}

/// Sets [`WAT_HEADER`] on `request` from the current request context (replacing any value it
/// had); returns whether it did (`false` outside a context or without a token, and then
/// `request` is unchanged).
///
/// ```
/// use agentcore_identity::context::RequestContext;
/// use agentcore_identity::propagation::{WAT_HEADER, insert_wat_header};
/// use agentcore_identity::SecretString;
///
/// let ctx = RequestContext::new().with_workload_access_token(SecretString::from("wat-123"));
/// let mut request = http::Request::post("http://127.0.0.1:9/mcp").body(()).unwrap();
/// let added = RequestContext::sync_scope(ctx, || insert_wat_header(&mut request)).unwrap();
/// assert!(added);
/// assert!(request.headers()[WAT_HEADER].is_sensitive());
/// ```
pub fn insert_wat_header<B>(request: &mut http::Request<B>) -> Result<bool, Error> {
    match wat_header()? {
        Some((name, value)) => {
            request.headers_mut().insert(name, value);
            Ok(true)
        }
        None => Ok(false),
    }
}

/// An `aws-sdk-bedrockagentcore` interceptor adding the request context's workload access token
/// to the requests of [`PROPAGATED_OPERATIONS`], before signing.
///
/// Attach it with `aws_sdk_bedrockagentcore::config::Builder::interceptor`, or build the whole
/// configuration with [`data_plane_config`]. It finds the operation by the name the SDK stores for
/// each request (smithy's `Metadata`), and the token with [`RequestContext::current`]: the context
/// must be current where the SDK call is awaited (see [`crate::context`] for spawned tasks).
///
/// ```no_run
/// # #![allow(dead_code)]
/// use agentcore_identity::propagation::WatPropagation;
///
/// # async fn run() {
/// let sdk_config = aws_config::load_from_env().await;
/// let config = aws_sdk_bedrockagentcore::config::Builder::from(&sdk_config)
///     .interceptor(WatPropagation::new())
///     .build();
/// let _client = aws_sdk_bedrockagentcore::Client::from_conf(config);
/// # }
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct WatPropagation {}

impl WatPropagation {
    /// The interceptor.
    pub fn new() -> Self {
        Self {}
    }
}

impl fmt::Debug for WatPropagation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatPropagation")
            .field("header", &WAT_HEADER_NAME)
            .field("operations", &PROPAGATED_OPERATIONS)
            .finish()
    }
}

impl Intercept for WatPropagation {
    fn name(&self) -> &'static str {
        "WatPropagation"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(operation) = cfg.load::<Metadata>().map(Metadata::name) else {
            return Ok(());
        };
        if !propagates_to(operation) {
            return Ok(());
        }
        let Some((name, value)) = wat_header()? else {
            return Ok(());
        };
        tracing::debug!(
            operation,
            header = WAT_HEADER_NAME,
            "Propagating the workload access token"
        );
        // smithy's `Headers::insert` copies a value into a plain string and drops the sensitive
        // flag; through `http::Request` the `http::HeaderValue` is kept as it is.
        let request = context.request_mut();
        let taken = std::mem::replace(request, HttpRequest::new(SdkBody::taken()));
        let mut http_request = taken.try_into_http1x()?;
        http_request.headers_mut().insert(name, value);
        *request = HttpRequest::try_from(http_request)?;
        Ok(())
    }
}

/// An `aws-sdk-bedrockagentcore` configuration from `sdk_config` with [`WatPropagation`]
/// attached.
///
/// ```no_run
/// # #![allow(dead_code)]
/// # async fn run() {
/// let sdk_config = aws_config::load_from_env().await;
/// let client = aws_sdk_bedrockagentcore::Client::from_conf(
///     agentcore_identity::propagation::data_plane_config(&sdk_config),
/// );
/// # let _ = client;
/// # }
/// ```
#[must_use]
pub fn data_plane_config(sdk_config: &aws_config::SdkConfig) -> aws_sdk_bedrockagentcore::Config {
    data_plane_config_builder(sdk_config).build()
}

/// Like [`data_plane_config`], as a builder for further settings.
#[must_use]
pub fn data_plane_config_builder(
    sdk_config: &aws_config::SdkConfig,
) -> aws_sdk_bedrockagentcore::config::Builder {
    aws_sdk_bedrockagentcore::config::Builder::from(sdk_config).interceptor(WatPropagation::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[test]
    fn header_only_inside_a_context_with_a_token() {
        assert!(wat_header().unwrap().is_none());
        let empty = RequestContext::new();
        assert!(
            RequestContext::sync_scope(empty, wat_header)
                .unwrap()
                .is_none()
        );
        let ctx = RequestContext::new().with_workload_access_token(SecretString::from("wat-xyz"));
        let (name, value) = RequestContext::sync_scope(ctx, wat_header)
            .unwrap()
            .unwrap();
        assert_eq!(name.as_str(), WAT_HEADER_NAME.to_ascii_lowercase());
        assert_eq!(value.to_str().unwrap(), "wat-xyz");
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("wat-xyz"));
    }

    #[test]
    fn an_invalid_token_is_an_error_without_the_token() {
        let ctx =
            RequestContext::new().with_workload_access_token(SecretString::from("bad\ntoken-1"));
        let err = RequestContext::sync_scope(ctx, wat_header).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("not a valid HTTP header value"), "{shown}");
        assert!(!shown.contains("token-1"), "{shown}");
        let mut req = http::Request::new(());
        let ctx =
            RequestContext::new().with_workload_access_token(SecretString::from("bad\ntoken-1"));
        assert!(RequestContext::sync_scope(ctx, || insert_wat_header(&mut req)).is_err());
        assert!(req.headers().is_empty());
    }

    #[test]
    fn operations_match_the_python_sdk() {
        for op in [
            "InvokeAgentRuntime",
            "InvokeAgentRuntimeCommand",
            "InvokeHarness",
            "InvokeGateway",
        ] {
            assert!(propagates_to(op), "{op}");
        }
        for op in [
            "GetResourceApiKey",
            "GetResourceOauth2Token",
            "GetWorkloadAccessToken",
            "GetWorkloadAccessTokenForJWT",
            "GetWorkloadAccessTokenForUserId",
            "CompleteResourceTokenAuth",
            "InvokeCodeInterpreter",
            "invokeagentruntime",
        ] {
            assert!(!propagates_to(op), "{op}");
        }
    }
}
