//! The control plane's types: workload identities, API key and OAuth2 credential providers, and
//! the configuration of an OAuth2 provider. The calls are methods of
//! [`IdentityClient`](crate::IdentityClient) (`create_*`, `get_*`, `update_*`, `delete_*`, `list_*`).
//!
//! Inputs carry secrets as [`SecretString`]. Outputs are this crate's small types (name, ARN, times,
//! ...), not the SDK's; for anything they leave out, use
//! [`IdentityClient::control_plane`](crate::IdentityClient::control_plane). List calls follow
//! every page and return all items.

use std::time::SystemTime;

use aws_sdk_bedrockagentcorecontrol::types as sdk;
use aws_smithy_types::DateTime;
use secrecy::{ExposeSecret, SecretString};

use crate::error::Error;

fn time(t: &DateTime) -> Option<SystemTime> {
    SystemTime::try_from(*t).ok()
}

fn build_err(e: aws_smithy_types::error::operation::BuildError) -> Error {
    Error::config(e.to_string())
}

/// A workload identity (the agent's identity in the directory).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkloadIdentity {
    /// The name.
    pub name: String,
    /// The ARN.
    pub arn: String,
    /// Where the service may send users back after OAuth2 consent (`resourceOauth2ReturnUrl`s).
    pub allowed_resource_oauth2_return_urls: Vec<String>,
    /// Creation time (not returned by create or list).
    pub created_time: Option<SystemTime>,
    /// Last update time (not returned by create or list).
    pub last_updated_time: Option<SystemTime>,
}

/// An API key credential provider.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiKeyCredentialProvider {
    /// The name.
    pub name: String,
    /// The credential provider ARN.
    pub arn: String,
    /// The ARN of the Secrets Manager secret holding the key (never the key).
    pub api_key_secret_arn: Option<String>,
    /// Creation time (not returned by create).
    pub created_time: Option<SystemTime>,
    /// Last update time (not returned by create).
    pub last_updated_time: Option<SystemTime>,
}

/// An OAuth2 credential provider.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Oauth2CredentialProvider {
    /// The name.
    pub name: String,
    /// The credential provider ARN.
    pub arn: String,
    /// The vendor, e.g. `"CustomOauth2"`, `"GoogleOauth2"` (not returned by create).
    pub vendor: Option<String>,
    /// The OAuth2 client id.
    pub client_id: Option<String>,
    /// The redirect URI to register at the provider.
    pub callback_url: Option<String>,
    /// The ARN of the Secrets Manager secret holding the client secret (never the secret).
    pub client_secret_arn: Option<String>,
    /// The provider's status, e.g. `"READY"`.
    pub status: Option<String>,
    /// Creation time.
    pub created_time: Option<SystemTime>,
    /// Last update time.
    pub last_updated_time: Option<SystemTime>,
}

/// How the service finds a custom provider's endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Oauth2Discovery {
    /// An OpenID Connect / RFC 8414 discovery URL (`.../.well-known/openid-configuration`).
    DiscoveryUrl(String),
    /// Explicit authorization server metadata.
    AuthorizationServerMetadata(AuthorizationServerMetadata),
}

/// Explicit OAuth2 authorization server metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizationServerMetadata {
    /// The issuer.
    pub issuer: String,
    /// The authorization endpoint.
    pub authorization_endpoint: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// Supported response types (optional).
    pub response_types: Vec<String>,
    /// `client_secret_basic` and/or `client_secret_post` (optional).
    pub token_endpoint_auth_methods: Vec<String>,
}

impl AuthorizationServerMetadata {
    /// Metadata with the three required endpoints.
    pub fn new(
        issuer: impl Into<String>,
        authorization_endpoint: impl Into<String>,
        token_endpoint: impl Into<String>,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            authorization_endpoint: authorization_endpoint.into(),
            token_endpoint: token_endpoint.into(),
            response_types: Vec::new(),
            token_endpoint_auth_methods: Vec::new(),
        }
    }

    /// Sets the supported response types.
    pub fn response_types<I: IntoIterator<Item = S>, S: Into<String>>(mut self, v: I) -> Self {
        self.response_types = v.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the token endpoint auth methods.
    pub fn token_endpoint_auth_methods<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        v: I,
    ) -> Self {
        self.token_endpoint_auth_methods = v.into_iter().map(Into::into).collect();
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Vendor {
    Google,
    Github,
    Slack,
    Salesforce,
    Atlassian,
    Linkedin,
}

#[derive(Clone)]
enum ConfigKind {
    Custom(Oauth2Discovery),
    Vendor(Vendor),
    Microsoft {
        tenant_id: Option<String>,
    },
    Included {
        vendor: String,
        issuer: Option<String>,
        authorization_endpoint: Option<String>,
        token_endpoint: Option<String>,
    },
}

/// The configuration of an OAuth2 credential provider: a custom provider (discovery URL or
/// explicit metadata), a built-in vendor, or one of the "included" vendors.
///
/// ```
/// use agentcore_identity::control::Oauth2ProviderConfig;
/// use secrecy::SecretString;
///
/// let _custom = Oauth2ProviderConfig::custom_discovery_url(
///     "https://idp.example.com/.well-known/openid-configuration",
///     "client-id",
///     SecretString::from("client-secret"),
/// );
/// let _google = Oauth2ProviderConfig::google("client-id", SecretString::from("client-secret"));
/// let _okta = Oauth2ProviderConfig::included("OktaOauth2", "client-id", SecretString::from("s"))
///     .issuer("https://example.okta.com");
/// ```
#[derive(Clone)]
pub struct Oauth2ProviderConfig {
    kind: ConfigKind,
    client_id: String,
    client_secret: SecretString,
}

impl std::fmt::Debug for Oauth2ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oauth2ProviderConfig")
            .field("vendor", &self.vendor_name())
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

macro_rules! vendor_ctor {
    ($($(#[$m:meta])* $fn:ident => $v:ident),* $(,)?) => {$(
        $(#[$m])*
        pub fn $fn(client_id: impl Into<String>, client_secret: SecretString) -> Self {
            Self::new(ConfigKind::Vendor(Vendor::$v), client_id, client_secret)
        }
    )*};
}

impl Oauth2ProviderConfig {
    fn new(kind: ConfigKind, client_id: impl Into<String>, client_secret: SecretString) -> Self {
        Self {
            kind,
            client_id: client_id.into(),
            client_secret,
        }
    }

    /// A custom provider found through a discovery URL.
    pub fn custom_discovery_url(
        discovery_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        Self::new(
            ConfigKind::Custom(Oauth2Discovery::DiscoveryUrl(discovery_url.into())),
            client_id,
            client_secret,
        )
    }

    /// A custom provider with explicit authorization server metadata.
    pub fn custom_metadata(
        metadata: AuthorizationServerMetadata,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        Self::new(
            ConfigKind::Custom(Oauth2Discovery::AuthorizationServerMetadata(metadata)),
            client_id,
            client_secret,
        )
    }

    vendor_ctor! {
        /// Google (`GoogleOauth2`).
        google => Google,
        /// GitHub (`GithubOauth2`).
        github => Github,
        /// Slack (`SlackOauth2`).
        slack => Slack,
        /// Salesforce (`SalesforceOauth2`).
        salesforce => Salesforce,
        /// Atlassian (`AtlassianOauth2`).
        atlassian => Atlassian,
        /// LinkedIn (`LinkedinOauth2`).
        linkedin => Linkedin,
    }

    /// Microsoft (`MicrosoftOauth2`); see [`tenant_id`](Self::tenant_id).
    pub fn microsoft(client_id: impl Into<String>, client_secret: SecretString) -> Self {
        Self::new(
            ConfigKind::Microsoft { tenant_id: None },
            client_id,
            client_secret,
        )
    }

    /// Sets the Microsoft Entra tenant (Microsoft only; ignored otherwise).
    pub fn tenant_id(mut self, tenant: impl Into<String>) -> Self {
        if let ConfigKind::Microsoft { tenant_id } = &mut self.kind {
            *tenant_id = Some(tenant.into());
        }
        self
    }

    /// One of the "included" vendors without a dedicated configuration (`vendor` is the vendor
    /// type name, e.g. `"OktaOauth2"`, `"Auth0Oauth2"`, `"CognitoOauth2"`, `"XOauth2"`, ...).
    pub fn included(
        vendor: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        Self::new(
            ConfigKind::Included {
                vendor: vendor.into(),
                issuer: None,
                authorization_endpoint: None,
                token_endpoint: None,
            },
            client_id,
            client_secret,
        )
    }

    /// Sets the issuer (included vendors only).
    pub fn issuer(mut self, url: impl Into<String>) -> Self {
        if let ConfigKind::Included { issuer, .. } = &mut self.kind {
            *issuer = Some(url.into());
        }
        self
    }

    /// Sets the authorization endpoint (included vendors only).
    pub fn authorization_endpoint(mut self, url: impl Into<String>) -> Self {
        if let ConfigKind::Included {
            authorization_endpoint,
            ..
        } = &mut self.kind
        {
            *authorization_endpoint = Some(url.into());
        }
        self
    }

    /// Sets the token endpoint (included vendors only).
    pub fn token_endpoint(mut self, url: impl Into<String>) -> Self {
        if let ConfigKind::Included { token_endpoint, .. } = &mut self.kind {
            *token_endpoint = Some(url.into());
        }
        self
    }

    /// The vendor type name sent to the service, e.g. `"CustomOauth2"`.
    pub fn vendor_name(&self) -> &str {
        match &self.kind {
            ConfigKind::Custom(_) => "CustomOauth2",
            ConfigKind::Vendor(v) => match v {
                Vendor::Google => "GoogleOauth2",
                Vendor::Github => "GithubOauth2",
                Vendor::Slack => "SlackOauth2",
                Vendor::Salesforce => "SalesforceOauth2",
                Vendor::Atlassian => "AtlassianOauth2",
                Vendor::Linkedin => "LinkedinOauth2",
            },
            ConfigKind::Microsoft { .. } => "MicrosoftOauth2",
            ConfigKind::Included { vendor, .. } => vendor,
        }
    }

    pub(crate) fn to_sdk(
        &self,
    ) -> Result<
        (
            sdk::CredentialProviderVendorType,
            sdk::Oauth2ProviderConfigInput,
        ),
        Error,
    > {
        use sdk::Oauth2ProviderConfigInput as In;
        let id = self.client_id.clone();
        let secret = self.client_secret.expose_secret().to_owned();
        let vendor = sdk::CredentialProviderVendorType::from(self.vendor_name());
        macro_rules! simple {
            ($ty:ident, $variant:ident) => {
                In::$variant(
                    sdk::$ty::builder()
                        .client_id(id)
                        .client_secret(secret)
                        .build()
                        .map_err(build_err)?,
                )
            };
        }
        let input = match &self.kind {
            ConfigKind::Custom(discovery) => {
                let discovery = match discovery {
                    Oauth2Discovery::DiscoveryUrl(url) => {
                        sdk::Oauth2Discovery::DiscoveryUrl(url.clone())
                    }
                    Oauth2Discovery::AuthorizationServerMetadata(m) => {
                        sdk::Oauth2Discovery::AuthorizationServerMetadata(
                            sdk::Oauth2AuthorizationServerMetadata::builder()
                                .issuer(&m.issuer)
                                .authorization_endpoint(&m.authorization_endpoint)
                                .token_endpoint(&m.token_endpoint)
                                .set_response_types(
                                    (!m.response_types.is_empty())
                                        .then(|| m.response_types.clone()),
                                )
                                .set_token_endpoint_auth_methods(
                                    (!m.token_endpoint_auth_methods.is_empty())
                                        .then(|| m.token_endpoint_auth_methods.clone()),
                                )
                                .build()
                                .map_err(build_err)?,
                        )
                    }
                };
                In::CustomOauth2ProviderConfig(
                    sdk::CustomOauth2ProviderConfigInput::builder()
                        .oauth_discovery(discovery)
                        .client_id(id)
                        .client_secret(secret)
                        .build(),
                )
            }
            ConfigKind::Vendor(Vendor::Google) => {
                simple!(GoogleOauth2ProviderConfigInput, GoogleOauth2ProviderConfig)
            }
            ConfigKind::Vendor(Vendor::Github) => {
                simple!(GithubOauth2ProviderConfigInput, GithubOauth2ProviderConfig)
            }
            ConfigKind::Vendor(Vendor::Slack) => {
                simple!(SlackOauth2ProviderConfigInput, SlackOauth2ProviderConfig)
            }
            ConfigKind::Vendor(Vendor::Salesforce) => {
                simple!(
                    SalesforceOauth2ProviderConfigInput,
                    SalesforceOauth2ProviderConfig
                )
            }
            ConfigKind::Vendor(Vendor::Atlassian) => {
                simple!(
                    AtlassianOauth2ProviderConfigInput,
                    AtlassianOauth2ProviderConfig
                )
            }
            ConfigKind::Vendor(Vendor::Linkedin) => {
                simple!(
                    LinkedinOauth2ProviderConfigInput,
                    LinkedinOauth2ProviderConfig
                )
            }
            ConfigKind::Microsoft { tenant_id } => In::MicrosoftOauth2ProviderConfig(
                sdk::MicrosoftOauth2ProviderConfigInput::builder()
                    .client_id(id)
                    .client_secret(secret)
                    .set_tenant_id(tenant_id.clone())
                    .build()
                    .map_err(build_err)?,
            ),
            ConfigKind::Included {
                issuer,
                authorization_endpoint,
                token_endpoint,
                ..
            } => In::IncludedOauth2ProviderConfig(
                sdk::IncludedOauth2ProviderConfigInput::builder()
                    .client_id(id)
                    .client_secret(secret)
                    .set_issuer(issuer.clone())
                    .set_authorization_endpoint(authorization_endpoint.clone())
                    .set_token_endpoint(token_endpoint.clone())
                    .build()
                    .map_err(build_err)?,
            ),
        };
        Ok((vendor, input))
    }
}

fn output_client_id(out: Option<&sdk::Oauth2ProviderConfigOutput>) -> Option<String> {
    use sdk::Oauth2ProviderConfigOutput as O;
    let out = out?;
    let id = match out {
        O::CustomOauth2ProviderConfig(c) => c.client_id(),
        O::GoogleOauth2ProviderConfig(c) => c.client_id(),
        O::GithubOauth2ProviderConfig(c) => c.client_id(),
        O::SlackOauth2ProviderConfig(c) => c.client_id(),
        O::SalesforceOauth2ProviderConfig(c) => c.client_id(),
        O::MicrosoftOauth2ProviderConfig(c) => c.client_id(),
        O::AtlassianOauth2ProviderConfig(c) => c.client_id(),
        O::LinkedinOauth2ProviderConfig(c) => c.client_id(),
        O::IncludedOauth2ProviderConfig(c) => c.client_id(),
        _ => None,
    };
    id.map(str::to_owned)
}

/// `From` for SDK outputs that carry the same fields under the same accessors.
macro_rules! from_outputs {
    ($target:ty: $($output:ty),+ => |$o:ident| $body:expr) => {$(
        impl From<$output> for $target {
            fn from($o: $output) -> Self {
                $body
            }
        }
    )+};
}

use aws_sdk_bedrockagentcorecontrol::operation as op;

impl From<op::create_workload_identity::CreateWorkloadIdentityOutput> for WorkloadIdentity {
    fn from(out: op::create_workload_identity::CreateWorkloadIdentityOutput) -> Self {
        WorkloadIdentity {
            name: out.name().to_owned(),
            arn: out.workload_identity_arn().to_owned(),
            allowed_resource_oauth2_return_urls: out.allowed_resource_oauth2_return_urls().to_vec(),
            created_time: None,
            last_updated_time: None,
        }
    }
}

from_outputs!(WorkloadIdentity:
    op::get_workload_identity::GetWorkloadIdentityOutput,
    op::update_workload_identity::UpdateWorkloadIdentityOutput
    => |out| WorkloadIdentity {
        name: out.name().to_owned(),
        arn: out.workload_identity_arn().to_owned(),
        allowed_resource_oauth2_return_urls: out.allowed_resource_oauth2_return_urls().to_vec(),
        created_time: time(out.created_time()),
        last_updated_time: time(out.last_updated_time()),
    }
);

impl From<&sdk::WorkloadIdentityType> for WorkloadIdentity {
    fn from(w: &sdk::WorkloadIdentityType) -> Self {
        WorkloadIdentity {
            name: w.name().to_owned(),
            arn: w.workload_identity_arn().to_owned(),
            allowed_resource_oauth2_return_urls: Vec::new(),
            created_time: None,
            last_updated_time: None,
        }
    }
}

impl From<op::create_api_key_credential_provider::CreateApiKeyCredentialProviderOutput>
    for ApiKeyCredentialProvider
{
    fn from(
        out: op::create_api_key_credential_provider::CreateApiKeyCredentialProviderOutput,
    ) -> Self {
        ApiKeyCredentialProvider {
            name: out.name().to_owned(),
            arn: out.credential_provider_arn().to_owned(),
            api_key_secret_arn: out.api_key_secret_arn().map(|s| s.secret_arn().to_owned()),
            created_time: None,
            last_updated_time: None,
        }
    }
}

from_outputs!(ApiKeyCredentialProvider:
    op::get_api_key_credential_provider::GetApiKeyCredentialProviderOutput,
    op::update_api_key_credential_provider::UpdateApiKeyCredentialProviderOutput
    => |out| ApiKeyCredentialProvider {
        name: out.name().to_owned(),
        arn: out.credential_provider_arn().to_owned(),
        api_key_secret_arn: out.api_key_secret_arn().map(|s| s.secret_arn().to_owned()),
        created_time: time(out.created_time()),
        last_updated_time: time(out.last_updated_time()),
    }
);

impl From<&sdk::ApiKeyCredentialProviderItem> for ApiKeyCredentialProvider {
    fn from(p: &sdk::ApiKeyCredentialProviderItem) -> Self {
        ApiKeyCredentialProvider {
            name: p.name().to_owned(),
            arn: p.credential_provider_arn().to_owned(),
            api_key_secret_arn: None,
            created_time: time(p.created_time()),
            last_updated_time: time(p.last_updated_time()),
        }
    }
}

/// The vendor is not in the create output: the caller sets it from the configuration.
impl From<op::create_oauth2_credential_provider::CreateOauth2CredentialProviderOutput>
    for Oauth2CredentialProvider
{
    fn from(
        out: op::create_oauth2_credential_provider::CreateOauth2CredentialProviderOutput,
    ) -> Self {
        Oauth2CredentialProvider {
            name: out.name().to_owned(),
            arn: out.credential_provider_arn().to_owned(),
            vendor: None,
            client_id: output_client_id(out.oauth2_provider_config_output()),
            callback_url: out.callback_url().map(str::to_owned),
            client_secret_arn: out.client_secret_arn().map(|s| s.secret_arn().to_owned()),
            status: out.status().map(|s| s.as_str().to_owned()),
            created_time: None,
            last_updated_time: None,
        }
    }
}

from_outputs!(Oauth2CredentialProvider:
    op::get_oauth2_credential_provider::GetOauth2CredentialProviderOutput,
    op::update_oauth2_credential_provider::UpdateOauth2CredentialProviderOutput
    => |out| Oauth2CredentialProvider {
        name: out.name().to_owned(),
        arn: out.credential_provider_arn().to_owned(),
        vendor: Some(out.credential_provider_vendor().as_str().to_owned()),
        client_id: output_client_id(out.oauth2_provider_config_output()),
        callback_url: out.callback_url().map(str::to_owned),
        client_secret_arn: out.client_secret_arn().map(|s| s.secret_arn().to_owned()),
        status: out.status().map(|s| s.as_str().to_owned()),
        created_time: time(out.created_time()),
        last_updated_time: time(out.last_updated_time()),
    }
);

impl From<&sdk::Oauth2CredentialProviderItem> for Oauth2CredentialProvider {
    fn from(p: &sdk::Oauth2CredentialProviderItem) -> Self {
        Oauth2CredentialProvider {
            name: p.name().to_owned(),
            arn: p.credential_provider_arn().to_owned(),
            vendor: Some(p.credential_provider_vendor().as_str().to_owned()),
            client_id: None,
            callback_url: None,
            client_secret_arn: None,
            status: None,
            created_time: time(p.created_time()),
            last_updated_time: time(p.last_updated_time()),
        }
    }
}
