//! The one error type of this crate.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// A shared, cloneable error source.
type Source = Arc<dyn StdError + Send + Sync + 'static>;

/// Everything that can go wrong in this crate.
///
/// Cloneable (sources are reference-counted), so one failed load can be handed to every caller
/// that waited on it. No variant carries a secret: neither `Display` nor `Debug` ever prints a
/// workload access token, an API key, an access token, a client secret or custom state.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The AgentCore Identity service answered with an error.
    #[error("{operation} failed: {kind}: {message}{}", FieldList(.fields))]
    #[non_exhaustive]
    Service {
        /// The operation that failed, e.g. `"GetResourceApiKey"`.
        operation: &'static str,
        /// What kind of error the service reported.
        kind: ServiceErrorKind,
        /// The service's message.
        message: String,
        /// For a `ValidationException`: the fields the service rejected.
        fields: Vec<FieldError>,
        /// The AWS request id, when the service sent one.
        request_id: Option<String>,
    },

    /// The request never got a service answer (connection, timeout, signing, unparsable response).
    #[error("{operation} failed: {message}")]
    #[non_exhaustive]
    Transport {
        /// The operation that failed.
        operation: &'static str,
        /// A description of the failure.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Source>,
    },

    /// The user has to authorize access first (USER_FEDERATION, non-blocking mode).
    ///
    /// Hand `authorization_url` to the user; call again with the same request once they have
    /// consented: the client remembers `session_uri` and sends it with the next call.
    #[error("user authorization required: {authorization_url}")]
    #[non_exhaustive]
    AuthorizationRequired {
        /// The URL the user has to open.
        authorization_url: String,
        /// The session the service opened for this authorization.
        session_uri: Option<String>,
    },

    /// The service reported `sessionStatus: FAILED` for the authorization session.
    #[error("authorization session failed for credential provider `{provider}`")]
    #[non_exhaustive]
    AuthorizationFailed {
        /// The credential provider.
        provider: String,
        /// The failed session, if known.
        session_uri: Option<String>,
    },

    /// Polling for the token ran out of time: the user did not complete the authorization.
    #[error(
        "polling timed out after {}s; user may not have completed authorization at {authorization_url}",
        .waited.as_secs()
    )]
    #[non_exhaustive]
    PollTimeout {
        /// The URL the user never completed.
        authorization_url: String,
        /// How long the poller waited.
        waited: Duration,
    },

    /// The service answered `GetResourceOauth2Token` with neither a token nor an authorization URL.
    #[error("the identity service returned neither a token nor an authorization URL")]
    NoTokenOrAuthorizationUrl,

    /// No workload access token in the request context (and none was needed from elsewhere).
    #[error(
        "no workload access token in the request context; ensure the agent runs on AgentCore \
         Runtime, or set one with RequestContext::with_workload_access_token"
    )]
    NoWorkloadAccessToken,

    /// The request context requires a workload access token and has none: an AgentCore Runtime
    /// invocation arrived without the header (see
    /// [`RequestContext::with_workload_access_token_required`](crate::context::RequestContext::with_workload_access_token_required)).
    #[error(
        "this invocation carries no workload access token: AgentCore Runtime sends it in the \
         `WorkloadAccessToken` (or `X-Amz-Bedrock-AgentCore-Identity-WAT`) header; check the \
         runtime's inbound auth (SigV4 callers send `X-Amzn-Bedrock-AgentCore-Runtime-User-Id`)"
    )]
    MissingWorkloadAccessToken,

    /// Running in a container (`DOCKER_CONTAINER=1`) without a workload access token in context:
    /// the local development flow is refused, as in the Python SDK.
    #[error(
        "workload access token has not been set; if invoking agent runtime via SigV4 inbound \
         auth, specify the X-Amzn-Bedrock-AgentCore-Runtime-User-Id header and retry (see \
         https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-oauth.html)"
    )]
    LocalDevRefusedInContainer,

    /// The local development flow (`.agentcore.json`) failed.
    #[error("local development setup failed: {message}")]
    #[non_exhaustive]
    LocalDev {
        /// What failed.
        message: String,
        /// The underlying error (I/O, JSON, or a service error).
        #[source]
        source: Option<Source>,
    },

    /// The region is not a well-formed AWS region name.
    #[error("invalid AWS region {region:?}: expected something like `us-west-2`")]
    #[non_exhaustive]
    InvalidRegion {
        /// The rejected value.
        region: String,
    },

    /// The client configuration is invalid (e.g. a malformed endpoint URL).
    #[error("invalid configuration: {message}")]
    #[non_exhaustive]
    Config {
        /// What is wrong.
        message: String,
    },

    /// A request was refused before anything was sent: `field` breaks a limit of the service's
    /// model (e.g. an [`IamTokenRequest`](crate::IamTokenRequest) without audience).
    #[error("invalid `{field}`: {message}")]
    #[non_exhaustive]
    InvalidRequest {
        /// The offending field, as the request's builder method names it (e.g. `"audience"`).
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },

    /// STS refused `GetWebIdentityToken` because outbound web identity federation is not
    /// enabled for the AWS account (`OutboundWebIdentityFederationDisabledException`).
    #[error(
        "GetWebIdentityToken failed: outbound web identity federation is not enabled for this AWS \
         account. An administrator enables it once per account with `aws iam \
         enable-outbound-web-identity-federation` (IAM API EnableOutboundWebIdentityFederation; \
         `aws iam get-outbound-web-identity-federation-info` then shows the issuer URL that \
         external services must trust); the caller also needs the `sts:GetWebIdentityToken` \
         permission"
    )]
    #[non_exhaustive]
    WebIdentityFederationDisabled {
        /// The AWS request id, when STS sent one.
        request_id: Option<String>,
    },
}

impl Error {
    /// The service's error kind, when this is a service error.
    pub fn service_kind(&self) -> Option<&ServiceErrorKind> {
        match self {
            Error::Service { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// Whether the service rejected the workload access token or credential
    /// (`UnauthorizedException`): the signal for an invalidate-and-retry.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self.service_kind(), Some(ServiceErrorKind::Unauthorized))
    }

    /// Whether the service reported a missing resource (`ResourceNotFoundException`).
    pub fn is_resource_not_found(&self) -> bool {
        matches!(
            self.service_kind(),
            Some(ServiceErrorKind::ResourceNotFound)
        )
    }

    /// The error a [`TokenPoller`](crate::TokenPoller) returns when it gives up waiting for the
    /// user to authorize at `authorization_url`.
    pub fn poll_timeout(authorization_url: impl Into<String>, waited: Duration) -> Self {
        Error::PollTimeout {
            authorization_url: authorization_url.into(),
            waited,
        }
    }

    pub(crate) fn local_dev(
        message: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Error::LocalDev {
            message: message.into(),
            source: Some(Arc::new(source)),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
        }
    }

    /// Maps an SDK error of any operation, sent to `endpoint`, to [`Error`].
    pub(crate) fn from_sdk<E>(
        operation: &'static str,
        endpoint: &str,
        err: SdkError<E, HttpResponse>,
    ) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        match err {
            SdkError::ServiceError(service) => {
                let fields = service
                    .raw()
                    .body()
                    .bytes()
                    .map(parse_field_list)
                    .unwrap_or_default();
                let request_id = service
                    .raw()
                    .headers()
                    .get("x-amzn-requestid")
                    .map(str::to_owned);
                let err = service.into_err();
                let kind = ServiceErrorKind::from_code(err.code());
                let message = err.message().unwrap_or("").to_owned();
                Error::Service {
                    operation,
                    kind,
                    message,
                    fields,
                    request_id,
                }
            }
            other => {
                // The message says only this error's own part (what failed, where, and what to
                // do); the cause chain is `source()`, so `anyhow` and other reporters print each
                // cause once.
                let message = transport_message(&other, endpoint);
                Error::Transport {
                    operation,
                    message,
                    source: Some(Arc::new(other)),
                }
            }
        }
    }
}

/// What a request that got no answer failed at, naming the endpoint, with a hint for the usual
/// causes: no credentials, nothing listening, an unknown host.
fn transport_message(err: &(dyn StdError + 'static), endpoint: &str) -> String {
    let mut chain = String::new();
    let mut no_credentials = false;
    let mut refused = false;
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        no_credentials |= e.is::<CredentialsError>();
        refused |= e
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
        chain.push_str(&e.to_string());
        chain.push('\n');
        cur = e.source();
    }
    let chain = chain.to_ascii_lowercase();
    if no_credentials || chain.contains("no credentials") || chain.contains("credentials provider")
    {
        return format!(
            "could not load AWS credentials to sign the request to {endpoint}; configure \
             credentials (environment, profile, SSO or an instance role), or point the client at \
             a local identity service with AWS_ENDPOINT_URL_BEDROCK_AGENTCORE and \
             AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL (it then signs with dummy credentials)"
        );
    }
    if refused || chain.contains("connection refused") {
        return format!("could not connect to {endpoint}: is the service running there?");
    }
    if chain.contains("dns error") || chain.contains("failed to lookup address") {
        let host = url::Url::parse(endpoint)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| endpoint.to_owned());
        return format!("could not resolve the host `{host}` of {endpoint}");
    }
    if chain.contains("timed out") || chain.contains("timeout") {
        return format!("the request to {endpoint} timed out");
    }
    format!("could not send the request to {endpoint}, or read its answer")
}

fn parse_field_list(body: &[u8]) -> Vec<FieldError> {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(rename = "fieldList", default)]
        field_list: Vec<FieldError>,
    }
    serde_json::from_slice::<Body>(body)
        .map(|b| b.field_list)
        .unwrap_or_default()
}

/// One entry of a `ValidationException`'s `fieldList`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct FieldError {
    /// The rejected field.
    pub name: String,
    /// Why it was rejected.
    pub message: String,
}

struct FieldList<'a>(&'a [FieldError]);

impl fmt::Display for FieldList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        f.write_str(" (")?;
        for (i, field) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", field.name, field.message)?;
        }
        f.write_str(")")
    }
}

/// The kind of error the AgentCore Identity service reported.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServiceErrorKind {
    /// `ValidationException` (HTTP 400).
    Validation,
    /// `AccessDeniedException` (HTTP 403).
    AccessDenied,
    /// `ResourceNotFoundException` (HTTP 404).
    ResourceNotFound,
    /// `UnauthorizedException` (HTTP 401).
    Unauthorized,
    /// `ThrottlingException` (HTTP 429).
    Throttling,
    /// `InternalServerException` (HTTP 500).
    InternalServer,
    /// `ConflictException` (HTTP 409).
    Conflict,
    /// `ServiceQuotaExceededException` (HTTP 402).
    ServiceQuotaExceeded,
    /// Any other error code, as sent by the service.
    Other(String),
}

impl ServiceErrorKind {
    /// Maps an AWS error code (`x-amzn-errortype` / `__type`) to a kind.
    pub fn from_code(code: Option<&str>) -> Self {
        match code.unwrap_or("") {
            "ValidationException" => Self::Validation,
            "AccessDeniedException" => Self::AccessDenied,
            "ResourceNotFoundException" => Self::ResourceNotFound,
            "UnauthorizedException" => Self::Unauthorized,
            "ThrottlingException" => Self::Throttling,
            "InternalServerException" => Self::InternalServer,
            "ConflictException" => Self::Conflict,
            "ServiceQuotaExceededException" => Self::ServiceQuotaExceeded,
            "" => Self::Other("Unknown".to_owned()),
            other => Self::Other(other.to_owned()),
        }
    }

    /// The AWS error code of this kind.
    pub fn code(&self) -> &str {
        match self {
            Self::Validation => "ValidationException",
            Self::AccessDenied => "AccessDeniedException",
            Self::ResourceNotFound => "ResourceNotFoundException",
            Self::Unauthorized => "UnauthorizedException",
            Self::Throttling => "ThrottlingException",
            Self::InternalServer => "InternalServerException",
            Self::Conflict => "ConflictException",
            Self::ServiceQuotaExceeded => "ServiceQuotaExceededException",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for ServiceErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
