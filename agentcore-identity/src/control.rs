//! The control plane's types: workload identities, API key and OAuth2 credential providers, the
//! configuration of an OAuth2 provider, tags and the token vault. The calls are methods of
//! [`IdentityClient`](crate::IdentityClient) (`create_*`, `get_*`, `update_*`, `delete_*`,
//! `list_*`, [`tag_resource`](crate::IdentityClient::tag_resource),
//! [`get_token_vault`](crate::IdentityClient::get_token_vault), ...).
//!
//! Inputs carry secrets as [`SecretString`]. Outputs are this crate's small types (name, ARN, times,
//! ...), not the SDK's; for anything they leave out, use
//! [`IdentityClient::control_plane`](crate::IdentityClient::control_plane). List calls follow
//! every page and return all items.
//!
//! A custom OAuth2 provider with everything the model has today:
//!
//! ```
//! use agentcore_identity::control::{
//!     ActorTokenContent, CertificateConfiguration, ClientAuthenticationMethod, ClientSecret,
//!     OnBehalfOfTokenExchange, Oauth2ProviderConfig, PrivateEndpoint, SecretReference,
//! };
//!
//! let config = Oauth2ProviderConfig::custom_discovery_url(
//!     "https://idp.example.com/.well-known/openid-configuration",
//!     "client-id",
//!     // The client secret stays in your own Secrets Manager secret (EXTERNAL).
//!     ClientSecret::External(SecretReference::new("my-idp-secret", "client_secret")),
//! )
//! .client_authentication_method(ClientAuthenticationMethod::ClientSecretPost)
//! .on_behalf_of_token_exchange(
//!     OnBehalfOfTokenExchange::token_exchange()
//!         .actor_token(ActorTokenContent::M2m)
//!         .actor_token_scopes(["agent.act"]),
//! )
//! .private_endpoint(PrivateEndpoint::self_managed_lattice("rcfg-0123456789abcdef0"))
//! .certificate(CertificateConfiguration::s3("s3://my-bucket/private-ca.pem"));
//! assert_eq!(config.vendor_name(), "CustomOauth2");
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use aws_sdk_bedrockagentcorecontrol::types as sdk;
use aws_smithy_types::DateTime;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::error::Error;

fn time(t: &DateTime) -> Option<SystemTime> {
    SystemTime::try_from(*t).ok()
}

fn build_err(e: aws_smithy_types::error::operation::BuildError) -> Error {
    Error::config(e.to_string())
}

/// Resource tags: key → value (the service allows 50, keys of 1 to 128 characters, values of at
/// most 256).
pub type Tags = BTreeMap<String, String>;

pub(crate) fn tags_from<I, K, V>(tags: I) -> Tags
where
    I: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    tags.into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

/// The SDK's form of tags: `None` when empty (the member is then not sent).
pub(crate) fn sdk_tags(tags: &Tags) -> Option<std::collections::HashMap<String, String>> {
    (!tags.is_empty()).then(|| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// A string enum of the model: the values this crate knows, and `Other` for one it does not
/// (sent and received as is).
macro_rules! string_enum {
    (
        $(#[$m:meta])*
        $name:ident { $($(#[$vm:meta])* $variant:ident => $wire:literal),+ $(,)? }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* $variant,)+
            /// A value this crate does not know (yet), as the service spells it.
            Other(String),
        }

        impl $name {
            /// The value as the service spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// Who holds a secret (`SecretSourceType`).
    SecretSource {
        /// The service stores it, in a Secrets Manager secret it manages (`MANAGED`).
        Managed => "MANAGED",
        /// You keep it in your own Secrets Manager secret (`EXTERNAL`).
        External => "EXTERNAL",
    }
}

string_enum! {
    /// How the service authenticates to the provider's token endpoint
    /// (`ClientAuthenticationMethodType`).
    ClientAuthenticationMethod {
        /// HTTP Basic with the client id and secret (`CLIENT_SECRET_BASIC`).
        ClientSecretBasic => "CLIENT_SECRET_BASIC",
        /// Client id and secret in the form body (`CLIENT_SECRET_POST`).
        ClientSecretPost => "CLIENT_SECRET_POST",
        /// A client assertion: an AWS IAM web identity token (a JWT from STS) (`AWS_IAM_ID_TOKEN_JWT`).
        AwsIamIdTokenJwt => "AWS_IAM_ID_TOKEN_JWT",
        /// A client assertion signed with a KMS key ([`PrivateKeyJwtConfig`]) (`PRIVATE_KEY_JWT`).
        PrivateKeyJwt => "PRIVATE_KEY_JWT",
    }
}

string_enum! {
    /// The grant of an on-behalf-of token exchange (`OnBehalfOfTokenExchangeGrantTypeType`).
    OnBehalfOfGrantType {
        /// OAuth 2.0 Token Exchange, RFC 8693 (`TOKEN_EXCHANGE`).
        TokenExchange => "TOKEN_EXCHANGE",
        /// The JWT bearer authorization grant, RFC 7523 (`JWT_AUTHORIZATION_GRANT`).
        JwtAuthorizationGrant => "JWT_AUTHORIZATION_GRANT",
    }
}

string_enum! {
    /// What the actor token of a TOKEN_EXCHANGE carries (`ActorTokenContentType`).
    ActorTokenContent {
        /// No actor token (`NONE`).
        None => "NONE",
        /// An M2M (client credentials) token of the agent (`M2M`).
        M2m => "M2M",
        /// An AWS IAM web identity token of the agent (`AWS_IAM_ID_TOKEN_JWT`).
        AwsIamIdTokenJwt => "AWS_IAM_ID_TOKEN_JWT",
    }
}

string_enum! {
    /// How the client authenticates during an on-behalf-of exchange, overriding the provider's
    /// method (`OnBehalfOfClientAuthenticationMethod`).
    OnBehalfOfClientAuthentication {
        /// No client id and secret in the exchange (`NO_CLIENT`).
        NoClient => "NO_CLIENT",
    }
}

string_enum! {
    /// The algorithm of a private key JWT client assertion (`SigningAlgorithm`).
    SigningAlgorithm {
        /// RSASSA-PKCS1-v1_5 with SHA-256.
        Rs256 => "RS256",
        /// RSASSA-PSS with SHA-256.
        Ps256 => "PS256",
        /// ECDSA P-256 with SHA-256.
        Es256 => "ES256",
    }
}

string_enum! {
    /// The IP address type of a managed VPC endpoint (`EndpointIpAddressType`).
    EndpointIpAddressType {
        /// IPv4.
        Ipv4 => "IPV4",
        /// IPv6.
        Ipv6 => "IPV6",
    }
}

string_enum! {
    /// Which KMS key encrypts the token vault (`KeyType`).
    KeyType {
        /// A key you own (`CustomerManagedKey`).
        CustomerManagedKey => "CustomerManagedKey",
        /// A key AWS manages (`ServiceManagedKey`).
        ServiceManagedKey => "ServiceManagedKey",
    }
}

/// A secret in your own AWS Secrets Manager secret: its id (name or ARN) and the JSON key holding
/// the value (`SecretReference`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecretReference {
    /// The secret's id or ARN.
    pub secret_id: String,
    /// The JSON key of the value in the secret.
    pub json_key: String,
}

impl SecretReference {
    /// A reference to `json_key` of the secret `secret_id`.
    pub fn new(secret_id: impl Into<String>, json_key: impl Into<String>) -> Self {
        Self {
            secret_id: secret_id.into(),
            json_key: json_key.into(),
        }
    }

    fn to_sdk(&self) -> Result<sdk::SecretReference, Error> {
        sdk::SecretReference::builder()
            .secret_id(&self.secret_id)
            .json_key(&self.json_key)
            .build()
            .map_err(build_err)
    }
}

/// An OAuth2 client secret: given to the service, kept in your own Secrets Manager secret, or
/// none (a client that authenticates with [`ClientAuthenticationMethod::PrivateKeyJwt`] or
/// [`ClientAuthenticationMethod::AwsIamIdTokenJwt`]).
///
/// A [`SecretString`] converts into [`ClientSecret::Managed`], a [`SecretReference`] into
/// [`ClientSecret::External`]. `Debug` never shows the secret.
#[derive(Clone)]
#[non_exhaustive]
pub enum ClientSecret {
    /// The service stores the secret (`clientSecretSource` `MANAGED`, the default).
    Managed(SecretString),
    /// The secret is in your Secrets Manager secret (`clientSecretSource` `EXTERNAL` with
    /// `clientSecretConfig`); the service reads it there.
    External(SecretReference),
    /// No client secret.
    None,
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Managed(_) => f.write_str("Managed([REDACTED])"),
            Self::External(r) => f.debug_tuple("External").field(r).finish(),
            Self::None => f.write_str("None"),
        }
    }
}

impl From<SecretString> for ClientSecret {
    fn from(s: SecretString) -> Self {
        Self::Managed(s)
    }
}

impl From<SecretReference> for ClientSecret {
    fn from(r: SecretReference) -> Self {
        Self::External(r)
    }
}

/// The parts of a [`ClientSecret`] or an [`ApiKeySecret`] as the SDK's inputs take them: the
/// secret itself, the reference to the caller's Secrets Manager secret, the source.
pub(crate) struct SecretParts {
    pub(crate) secret: Option<String>,
    pub(crate) config: Option<sdk::SecretReference>,
    pub(crate) source: Option<sdk::SecretSourceType>,
}

impl SecretParts {
    const NONE: Self = Self {
        secret: None,
        config: None,
        source: None,
    };

    /// The service stores the secret (source `MANAGED`, the default: left out).
    fn managed(secret: &SecretString) -> Self {
        Self {
            secret: Some(secret.expose_secret().to_owned()),
            ..Self::NONE
        }
    }

    /// The secret is in the caller's Secrets Manager secret (source `EXTERNAL`).
    fn external(reference: &SecretReference) -> Result<Self, Error> {
        Ok(Self {
            config: Some(reference.to_sdk()?),
            source: Some(sdk::SecretSourceType::External),
            ..Self::NONE
        })
    }
}

impl ClientSecret {
    fn parts(&self) -> Result<SecretParts, Error> {
        match self {
            Self::Managed(s) => Ok(SecretParts::managed(s)),
            Self::External(r) => SecretParts::external(r),
            Self::None => Ok(SecretParts::NONE),
        }
    }
}

/// An API key: given to the service, or kept in your own Secrets Manager secret.
///
/// A [`SecretString`] converts into [`ApiKeySecret::Managed`], a [`SecretReference`] into
/// [`ApiKeySecret::External`], so
/// [`create_api_key_credential_provider`](crate::IdentityClient::create_api_key_credential_provider)
/// takes either. `Debug` never shows the key.
///
/// ```
/// use agentcore_identity::control::{ApiKeySecret, SecretReference};
/// use agentcore_identity::SecretString;
///
/// let managed: ApiKeySecret = SecretString::from("sk-...").into();
/// let external: ApiKeySecret = SecretReference::new("openai", "api_key").into();
/// assert!(!format!("{managed:?}").contains("sk-"));
/// # let _ = external;
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum ApiKeySecret {
    /// The service stores the key (`apiKeySecretSource` `MANAGED`, the default).
    Managed(SecretString),
    /// The key is in your Secrets Manager secret (`apiKeySecretSource` `EXTERNAL` with
    /// `apiKeySecretConfig`).
    External(SecretReference),
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Managed(_) => f.write_str("Managed([REDACTED])"),
            Self::External(r) => f.debug_tuple("External").field(r).finish(),
        }
    }
}

impl From<SecretString> for ApiKeySecret {
    fn from(s: SecretString) -> Self {
        Self::Managed(s)
    }
}

impl From<SecretReference> for ApiKeySecret {
    fn from(r: SecretReference) -> Self {
        Self::External(r)
    }
}

impl ApiKeySecret {
    /// `apiKey`, `apiKeySecretConfig`, `apiKeySecretSource`.
    pub(crate) fn parts(&self) -> Result<SecretParts, Error> {
        match self {
            Self::Managed(s) => Ok(SecretParts::managed(s)),
            Self::External(r) => SecretParts::external(r),
        }
    }
}

/// The on-behalf-of token exchange of a custom provider (`onBehalfOfTokenExchangeConfig`): how
/// the service trades a user's token for one the agent may use on their behalf.
///
/// ```
/// use agentcore_identity::control::{
///     ActorTokenContent, OnBehalfOfClientAuthentication, OnBehalfOfTokenExchange,
/// };
///
/// // RFC 8693, with the agent's AWS IAM identity token as the actor token:
/// let _exchange = OnBehalfOfTokenExchange::token_exchange()
///     .actor_token(ActorTokenContent::AwsIamIdTokenJwt)
///     .actor_token_scopes(["openid"]);
/// // RFC 7523, without client credentials in the exchange:
/// let _jwt = OnBehalfOfTokenExchange::jwt_authorization_grant()
///     .client_authentication(OnBehalfOfClientAuthentication::NoClient);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct OnBehalfOfTokenExchange {
    /// The grant (`grantType`).
    pub grant_type: OnBehalfOfGrantType,
    /// The actor token of a TOKEN_EXCHANGE (`tokenExchangeGrantTypeConfig.actorTokenContent`).
    pub actor_token: Option<ActorTokenContent>,
    /// The scopes of the actor token (`tokenExchangeGrantTypeConfig.actorTokenScopes`).
    pub actor_token_scopes: Vec<String>,
    /// Overrides the provider's client authentication in the exchange
    /// (`onBehalfOfAuthenticationConfig.clientAuthenticationMethod`).
    pub client_authentication: Option<OnBehalfOfClientAuthentication>,
}

impl OnBehalfOfTokenExchange {
    /// An exchange with `grant_type`, nothing else set.
    pub fn new(grant_type: OnBehalfOfGrantType) -> Self {
        Self {
            grant_type,
            actor_token: None,
            actor_token_scopes: Vec::new(),
            client_authentication: None,
        }
    }

    /// OAuth 2.0 Token Exchange (RFC 8693, `TOKEN_EXCHANGE`).
    pub fn token_exchange() -> Self {
        Self::new(OnBehalfOfGrantType::TokenExchange)
    }

    /// The JWT bearer authorization grant (RFC 7523, `JWT_AUTHORIZATION_GRANT`).
    pub fn jwt_authorization_grant() -> Self {
        Self::new(OnBehalfOfGrantType::JwtAuthorizationGrant)
    }

    /// Sets what the actor token carries (TOKEN_EXCHANGE).
    pub fn actor_token(mut self, content: ActorTokenContent) -> Self {
        self.actor_token = Some(content);
        self
    }

    /// Sets the actor token's scopes (TOKEN_EXCHANGE; needs [`actor_token`](Self::actor_token)).
    pub fn actor_token_scopes<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        scopes: I,
    ) -> Self {
        self.actor_token_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Overrides the provider's client authentication in the exchange.
    pub fn client_authentication(mut self, method: OnBehalfOfClientAuthentication) -> Self {
        self.client_authentication = Some(method);
        self
    }

    fn to_sdk(&self) -> Result<sdk::OnBehalfOfTokenExchangeConfigType, Error> {
        if self.actor_token.is_none() && !self.actor_token_scopes.is_empty() {
            return Err(Error::config(
                "on-behalf-of token exchange: actor_token_scopes need an actor_token \
                 (ActorTokenContent::M2m, AwsIamIdTokenJwt or None)",
            ));
        }
        let token_exchange = match &self.actor_token {
            None => None,
            Some(content) => Some(
                sdk::TokenExchangeGrantTypeConfigType::builder()
                    .actor_token_content(sdk::ActorTokenContentType::from(content.as_str()))
                    .set_actor_token_scopes(
                        (!self.actor_token_scopes.is_empty())
                            .then(|| self.actor_token_scopes.clone()),
                    )
                    .build()
                    .map_err(build_err)?,
            ),
        };
        let auth = match &self.client_authentication {
            None => None,
            Some(m) => Some(
                sdk::OnBehalfOfAuthenticationConfig::builder()
                    .client_authentication_method(sdk::OnBehalfOfClientAuthenticationMethod::from(
                        m.as_str(),
                    ))
                    .build()
                    .map_err(build_err)?,
            ),
        };
        sdk::OnBehalfOfTokenExchangeConfigType::builder()
            .grant_type(sdk::OnBehalfOfTokenExchangeGrantTypeType::from(
                self.grant_type.as_str(),
            ))
            .set_token_exchange_grant_type_config(token_exchange)
            .set_on_behalf_of_authentication_config(auth)
            .build()
            .map_err(build_err)
    }

    fn from_sdk(c: &sdk::OnBehalfOfTokenExchangeConfigType) -> Self {
        let te = c.token_exchange_grant_type_config();
        Self {
            grant_type: c.grant_type().as_str().into(),
            actor_token: te.map(|t| t.actor_token_content().as_str().into()),
            actor_token_scopes: te
                .map(|t| t.actor_token_scopes().to_vec())
                .unwrap_or_default(),
            client_authentication: c
                .on_behalf_of_authentication_config()
                .map(|a| a.client_authentication_method().as_str().into()),
        }
    }
}

/// The `private_key_jwt` client authentication of a custom provider (`privateKeyJwtConfig`): the
/// service signs a client assertion with a KMS key.
///
/// The additional claim values are sensitive in the model: `Debug` shows their names only. (The
/// Rust SDK's own `PrivateKeyJwtConfig` prints them in its `Debug`, which its orchestrator logs
/// for each Create/Get/UpdateOauth2CredentialProvider answer at TRACE: keep the
/// `aws_smithy_runtime` target below TRACE where they must not reach the logs.)
///
/// ```
/// use agentcore_identity::control::{PrivateKeyJwtConfig, SigningAlgorithm};
/// use agentcore_identity::SecretString;
///
/// let jwt = PrivateKeyJwtConfig::kms_key(
///     "arn:aws:kms:us-east-1:123456789012:key/0123abcd-0123-4567-89ab-0123456789ab",
/// )
/// .signing_algorithm(SigningAlgorithm::Ps256)
/// .header_claim("kid", SecretString::from("key-2026"))
/// .payload_claim("tenant", SecretString::from("t-42"));
/// assert!(!format!("{jwt:?}").contains("t-42"));
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
#[must_use]
pub struct PrivateKeyJwtConfig {
    /// The KMS key signing the assertion (`privateKeySource.kmsKeySource.kmsKeyArn`).
    pub kms_key_arn: Option<String>,
    /// The signing algorithm (`signingAlgorithm`).
    pub signing_algorithm: Option<SigningAlgorithm>,
    /// Extra claims in the assertion's header (`additionalHeaderClaims`; not `alg`, `typ`).
    pub additional_header_claims: BTreeMap<String, SecretString>,
    /// Extra claims in the assertion's payload (`additionalPayloadClaims`; not `iss`, `sub`,
    /// `jti`, `exp`).
    pub additional_payload_claims: BTreeMap<String, SecretString>,
}

impl fmt::Debug for PrivateKeyJwtConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKeyJwtConfig")
            .field("kms_key_arn", &self.kms_key_arn)
            .field("signing_algorithm", &self.signing_algorithm)
            .field(
                "additional_header_claims",
                &self.additional_header_claims.keys().collect::<Vec<_>>(),
            )
            .field(
                "additional_payload_claims",
                &self.additional_payload_claims.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn same_claims(a: &BTreeMap<String, SecretString>, b: &BTreeMap<String, SecretString>) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((ka, va), (kb, vb))| ka == kb && va.expose_secret() == vb.expose_secret())
}

impl PartialEq for PrivateKeyJwtConfig {
    fn eq(&self, other: &Self) -> bool {
        self.kms_key_arn == other.kms_key_arn
            && self.signing_algorithm == other.signing_algorithm
            && same_claims(
                &self.additional_header_claims,
                &other.additional_header_claims,
            )
            && same_claims(
                &self.additional_payload_claims,
                &other.additional_payload_claims,
            )
    }
}

impl Eq for PrivateKeyJwtConfig {}

impl PrivateKeyJwtConfig {
    /// A configuration signing with the KMS key `kms_key_arn`.
    pub fn kms_key(kms_key_arn: impl Into<String>) -> Self {
        Self {
            kms_key_arn: Some(kms_key_arn.into()),
            ..Self::default()
        }
    }

    /// Sets the signing algorithm.
    pub fn signing_algorithm(mut self, alg: SigningAlgorithm) -> Self {
        self.signing_algorithm = Some(alg);
        self
    }

    /// Adds a claim to the assertion's header.
    pub fn header_claim(mut self, name: impl Into<String>, value: SecretString) -> Self {
        self.additional_header_claims.insert(name.into(), value);
        self
    }

    /// Adds a claim to the assertion's payload.
    pub fn payload_claim(mut self, name: impl Into<String>, value: SecretString) -> Self {
        self.additional_payload_claims.insert(name.into(), value);
        self
    }

    fn to_sdk(&self) -> Result<sdk::PrivateKeyJwtConfig, Error> {
        let claims = |m: &BTreeMap<String, SecretString>| {
            (!m.is_empty()).then(|| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.expose_secret().to_owned()))
                    .collect()
            })
        };
        let source = match &self.kms_key_arn {
            None => None,
            Some(arn) => Some(sdk::PrivateKeySource::KmsKeySource(
                sdk::KmsKeySourceType::builder()
                    .kms_key_arn(arn)
                    .build()
                    .map_err(build_err)?,
            )),
        };
        Ok(sdk::PrivateKeyJwtConfig::builder()
            .set_private_key_source(source)
            .set_signing_algorithm(
                self.signing_algorithm
                    .as_ref()
                    .map(|a| sdk::SigningAlgorithm::from(a.as_str())),
            )
            .set_additional_header_claims(claims(&self.additional_header_claims))
            .set_additional_payload_claims(claims(&self.additional_payload_claims))
            .build())
    }

    fn from_sdk(c: &sdk::PrivateKeyJwtConfig) -> Self {
        let claims = |m: Option<&std::collections::HashMap<String, String>>| {
            m.map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), SecretString::from(v.clone())))
                    .collect()
            })
            .unwrap_or_default()
        };
        Self {
            kms_key_arn: match c.private_key_source() {
                Some(sdk::PrivateKeySource::KmsKeySource(k)) => Some(k.kms_key_arn().to_owned()),
                _ => None,
            },
            signing_algorithm: c.signing_algorithm().map(|a| a.as_str().into()),
            additional_header_claims: claims(c.additional_header_claims()),
            additional_payload_claims: claims(c.additional_payload_claims()),
        }
    }
}

/// A VPC Lattice resource the service creates and manages to reach a private provider
/// (`ManagedVpcResource`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct ManagedVpcResource {
    /// The VPC (`vpc-...`).
    pub vpc_identifier: String,
    /// The subnets (`subnet-...`).
    pub subnet_ids: Vec<String>,
    /// IPv4 or IPv6.
    pub endpoint_ip_address_type: EndpointIpAddressType,
    /// Security groups (at most 5).
    pub security_group_ids: Vec<String>,
    /// Tags of the created resource.
    pub tags: Tags,
    /// The routing domain (optional).
    pub routing_domain: Option<String>,
}

impl ManagedVpcResource {
    /// A resource in `vpc_identifier`'s `subnet_ids`.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(
        vpc_identifier: impl Into<String>,
        subnet_ids: I,
        endpoint_ip_address_type: EndpointIpAddressType,
    ) -> Self {
        Self {
            vpc_identifier: vpc_identifier.into(),
            subnet_ids: subnet_ids.into_iter().map(Into::into).collect(),
            endpoint_ip_address_type,
            security_group_ids: Vec::new(),
            tags: Tags::new(),
            routing_domain: None,
        }
    }

    /// Sets the security groups.
    pub fn security_group_ids<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        ids: I,
    ) -> Self {
        self.security_group_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the tags of the created resource.
    pub fn tags<I, K, V>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.tags = tags_from(tags);
        self
    }

    /// Sets the routing domain.
    pub fn routing_domain(mut self, domain: impl Into<String>) -> Self {
        self.routing_domain = Some(domain.into());
        self
    }
}

/// How the service reaches a provider inside a VPC (`PrivateEndpoint`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrivateEndpoint {
    /// Your own VPC Lattice resource configuration (`selfManagedLatticeResource`), by id
    /// (`rcfg-...`) or ARN.
    SelfManagedLattice {
        /// The resource configuration's id or ARN.
        resource_configuration_identifier: String,
    },
    /// A VPC Lattice resource the service manages (`managedVpcResource`).
    ManagedVpc(ManagedVpcResource),
}

impl PrivateEndpoint {
    /// Your own VPC Lattice resource configuration.
    #[must_use]
    pub fn self_managed_lattice(resource_configuration_identifier: impl Into<String>) -> Self {
        Self::SelfManagedLattice {
            resource_configuration_identifier: resource_configuration_identifier.into(),
        }
    }

    fn to_sdk(&self) -> Result<sdk::PrivateEndpoint, Error> {
        Ok(match self {
            Self::SelfManagedLattice {
                resource_configuration_identifier,
            } => sdk::PrivateEndpoint::SelfManagedLatticeResource(
                sdk::SelfManagedLatticeResource::ResourceConfigurationIdentifier(
                    resource_configuration_identifier.clone(),
                ),
            ),
            Self::ManagedVpc(m) => sdk::PrivateEndpoint::ManagedVpcResource(
                sdk::ManagedVpcResource::builder()
                    .vpc_identifier(&m.vpc_identifier)
                    .set_subnet_ids(Some(m.subnet_ids.clone()))
                    .endpoint_ip_address_type(sdk::EndpointIpAddressType::from(
                        m.endpoint_ip_address_type.as_str(),
                    ))
                    .set_security_group_ids(
                        (!m.security_group_ids.is_empty()).then(|| m.security_group_ids.clone()),
                    )
                    .set_tags(sdk_tags(&m.tags))
                    .set_routing_domain(m.routing_domain.clone())
                    .build()
                    .map_err(build_err)?,
            ),
        })
    }

    fn from_sdk(p: &sdk::PrivateEndpoint) -> Option<Self> {
        Some(match p {
            sdk::PrivateEndpoint::SelfManagedLatticeResource(
                sdk::SelfManagedLatticeResource::ResourceConfigurationIdentifier(id),
            ) => Self::self_managed_lattice(id),
            sdk::PrivateEndpoint::ManagedVpcResource(m) => Self::ManagedVpc(ManagedVpcResource {
                vpc_identifier: m.vpc_identifier().to_owned(),
                subnet_ids: m.subnet_ids().to_vec(),
                endpoint_ip_address_type: m.endpoint_ip_address_type().as_str().into(),
                security_group_ids: m.security_group_ids().to_vec(),
                tags: m
                    .tags()
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
                routing_domain: m.routing_domain().map(str::to_owned),
            }),
            _ => return None,
        })
    }
}

/// A private endpoint for one domain of the provider (`PrivateEndpointOverride`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrivateEndpointOverride {
    /// The domain.
    pub domain: String,
    /// How the service reaches it.
    pub private_endpoint: PrivateEndpoint,
}

impl PrivateEndpointOverride {
    /// `domain` through `private_endpoint`.
    #[must_use]
    pub fn new(domain: impl Into<String>, private_endpoint: PrivateEndpoint) -> Self {
        Self {
            domain: domain.into(),
            private_endpoint,
        }
    }
}

/// A private CA certificate (PEM) the service trusts when it calls the provider
/// (`CertificateConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateConfiguration {
    /// In S3 (`s3`).
    S3 {
        /// `s3://bucket/key`.
        uri: String,
        /// The bucket owner's account, for a bucket in another account.
        bucket_owner_account_id: Option<String>,
    },
    /// In Secrets Manager (`secretsManager`).
    SecretsManager {
        /// The secret's ARN.
        secret_arn: String,
    },
}

impl CertificateConfiguration {
    /// A certificate at `uri` (`s3://bucket/key`).
    #[must_use]
    pub fn s3(uri: impl Into<String>) -> Self {
        Self::S3 {
            uri: uri.into(),
            bucket_owner_account_id: None,
        }
    }

    /// A certificate in the Secrets Manager secret `secret_arn`.
    #[must_use]
    pub fn secrets_manager(secret_arn: impl Into<String>) -> Self {
        Self::SecretsManager {
            secret_arn: secret_arn.into(),
        }
    }

    /// The wire form (the Rust SDK has no member for it in custom provider configurations yet).
    fn to_json(&self) -> Value {
        match self {
            Self::S3 {
                uri,
                bucket_owner_account_id,
            } => {
                let mut s3 = json!({ "uri": uri });
                if let Some(a) = bucket_owner_account_id {
                    s3["bucketOwnerAccountId"] = json!(a);
                }
                json!({ "s3": s3 })
            }
            Self::SecretsManager { secret_arn } => {
                json!({ "secretsManager": { "secretArn": secret_arn } })
            }
        }
    }

    fn from_json(v: &Value) -> Option<Self> {
        if let Some(s3) = v.get("s3") {
            return Some(Self::S3 {
                uri: s3.get("uri")?.as_str()?.to_owned(),
                bucket_owner_account_id: s3
                    .get("bucketOwnerAccountId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        }
        let sm = v.get("secretsManager")?;
        Some(Self::secrets_manager(sm.get("secretArn")?.as_str()?))
    }
}

/// The certificate configurations in a response body's custom provider configuration
/// (`oauth2ProviderConfigOutput.customOauth2ProviderConfig.certificateConfigurations`).
pub(crate) fn certificates_in_response(body: &[u8]) -> Vec<CertificateConfiguration> {
    // Most providers have none: parse the body only when the member is there.
    const MEMBER: &[u8] = b"\"certificateConfigurations\"";
    if !body.windows(MEMBER.len()).any(|w| w == MEMBER) {
        return Vec::new();
    }
    serde_json::from_slice::<Value>(body)
        .ok()
        .as_ref()
        .and_then(|v| {
            v.pointer(
                "/oauth2ProviderConfigOutput/customOauth2ProviderConfig/certificateConfigurations",
            )
        })
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(CertificateConfiguration::from_json)
                .collect()
        })
        .unwrap_or_default()
}

/// Adds `certificateConfigurations` to a serialized Create/UpdateOauth2CredentialProvider body.
pub(crate) fn add_certificates_to_request(body: &[u8], certificates: &Value) -> Option<Vec<u8>> {
    let mut v: Value = serde_json::from_slice(body).ok()?;
    let custom = v.pointer_mut("/oauth2ProviderConfigInput/customOauth2ProviderConfig")?;
    custom
        .as_object_mut()?
        .insert("certificateConfigurations".into(), certificates.clone());
    serde_json::to_vec(&v).ok()
}

/// The KMS configuration of the token vault (`KmsConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KmsConfiguration {
    /// Whose key.
    pub key_type: KeyType,
    /// The key's ARN (customer-managed keys).
    pub kms_key_arn: Option<String>,
}

impl KmsConfiguration {
    /// Encryption with a key AWS manages.
    #[must_use]
    pub fn service_managed() -> Self {
        Self {
            key_type: KeyType::ServiceManagedKey,
            kms_key_arn: None,
        }
    }

    /// Encryption with your KMS key `kms_key_arn`.
    #[must_use]
    pub fn customer_managed(kms_key_arn: impl Into<String>) -> Self {
        Self {
            key_type: KeyType::CustomerManagedKey,
            kms_key_arn: Some(kms_key_arn.into()),
        }
    }

    pub(crate) fn to_sdk(&self) -> Result<sdk::KmsConfiguration, Error> {
        sdk::KmsConfiguration::builder()
            .key_type(sdk::KeyType::from(self.key_type.as_str()))
            .set_kms_key_arn(self.kms_key_arn.clone())
            .build()
            .map_err(build_err)
    }

    fn from_sdk(k: &sdk::KmsConfiguration) -> Self {
        Self {
            key_type: k.key_type().as_str().into(),
            kms_key_arn: k.kms_key_arn().map(str::to_owned),
        }
    }
}

/// A token vault: where the service keeps provider secrets and users' tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenVault {
    /// The vault's id (`default` unless you created another).
    pub token_vault_id: String,
    /// How it is encrypted.
    pub kms_configuration: Option<KmsConfiguration>,
    /// When it last changed.
    pub last_modified: Option<SystemTime>,
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
    /// Who holds the key (`apiKeySecretSource`), when the service says.
    pub api_key_secret_source: Option<SecretSource>,
    /// The JSON key of the key in an external secret (`apiKeySecretJsonKey`).
    pub api_key_secret_json_key: Option<String>,
    /// Creation time (not returned by create).
    pub created_time: Option<SystemTime>,
    /// Last update time (not returned by create).
    pub last_updated_time: Option<SystemTime>,
}

/// An OAuth2 credential provider, as the service describes it (never the client secret).
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
    /// Who holds the client secret (`clientSecretSource`), when the service says.
    pub client_secret_source: Option<SecretSource>,
    /// The JSON key of the client secret in an external secret (`clientSecretJsonKey`).
    pub client_secret_json_key: Option<String>,
    /// The provider's status, e.g. `"READY"`.
    pub status: Option<String>,
    /// Why the provider failed, for a `*_FAILED` status.
    pub failure_reason: Option<String>,
    /// How the service finds the provider's endpoints (discovered or given).
    pub discovery: Option<Oauth2Discovery>,
    /// The token endpoint authentication (custom providers).
    pub client_authentication_method: Option<ClientAuthenticationMethod>,
    /// The on-behalf-of token exchange (custom providers).
    pub on_behalf_of_token_exchange: Option<OnBehalfOfTokenExchange>,
    /// The private key JWT configuration (custom providers).
    pub private_key_jwt: Option<PrivateKeyJwtConfig>,
    /// The default private endpoint (custom providers).
    pub private_endpoint: Option<PrivateEndpoint>,
    /// Private endpoints per domain (custom providers).
    pub private_endpoint_overrides: Vec<PrivateEndpointOverride>,
    /// Private CA certificates the service trusts (custom providers).
    pub certificate_configurations: Vec<CertificateConfiguration>,
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

impl Oauth2Discovery {
    fn from_sdk(d: &sdk::Oauth2Discovery) -> Option<Self> {
        Some(match d {
            sdk::Oauth2Discovery::DiscoveryUrl(u) => Self::DiscoveryUrl(u.clone()),
            sdk::Oauth2Discovery::AuthorizationServerMetadata(m) => {
                Self::AuthorizationServerMetadata(AuthorizationServerMetadata {
                    issuer: m.issuer().to_owned(),
                    authorization_endpoint: m.authorization_endpoint().to_owned(),
                    token_endpoint: m.token_endpoint().to_owned(),
                    response_types: m.response_types().to_vec(),
                    token_endpoint_auth_methods: m.token_endpoint_auth_methods().to_vec(),
                })
            }
            _ => return None,
        })
    }
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

/// What only a custom provider (`CustomOauth2`) has.
#[derive(Clone, Default, Debug)]
struct CustomSettings {
    client_authentication_method: Option<ClientAuthenticationMethod>,
    on_behalf_of_token_exchange: Option<OnBehalfOfTokenExchange>,
    private_key_jwt: Option<PrivateKeyJwtConfig>,
    private_endpoint: Option<PrivateEndpoint>,
    private_endpoint_overrides: Vec<PrivateEndpointOverride>,
    certificates: Vec<CertificateConfiguration>,
    /// The first custom-only setting made, for the error on another vendor.
    first_set: Option<&'static str>,
}

/// The configuration of an OAuth2 credential provider: a custom provider (discovery URL or
/// explicit metadata), a built-in vendor, or one of the "included" vendors.
///
/// The client secret is a [`ClientSecret`]: a [`SecretString`] (the service stores it), a
/// [`SecretReference`] to your own Secrets Manager secret, or [`ClientSecret::None`].
/// Custom providers take the settings below the constructors (token endpoint authentication,
/// on-behalf-of exchange, private key JWT, private endpoints, certificates); set on another
/// vendor, they make the create or update call fail with [`Error::Config`] naming the setting.
///
/// ```
/// use agentcore_identity::control::{Oauth2ProviderConfig, SecretReference};
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
/// // The secret in your Secrets Manager secret `github-app`, JSON key `client_secret`:
/// let _github = Oauth2ProviderConfig::github(
///     "client-id",
///     SecretReference::new("github-app", "client_secret"),
/// );
/// ```
#[derive(Clone)]
#[must_use]
pub struct Oauth2ProviderConfig {
    kind: ConfigKind,
    client_id: String,
    client_secret: ClientSecret,
    custom: CustomSettings,
}

impl fmt::Debug for Oauth2ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Oauth2ProviderConfig")
            .field("vendor", &self.vendor_name())
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field(
                "client_authentication_method",
                &self.custom.client_authentication_method,
            )
            .field(
                "on_behalf_of_token_exchange",
                &self.custom.on_behalf_of_token_exchange,
            )
            .field("private_key_jwt", &self.custom.private_key_jwt)
            .field("private_endpoint", &self.custom.private_endpoint)
            .field(
                "private_endpoint_overrides",
                &self.custom.private_endpoint_overrides,
            )
            .field("certificates", &self.custom.certificates)
            .finish_non_exhaustive()
    }
}

macro_rules! vendor_ctor {
    ($($(#[$m:meta])* $fn:ident => $v:ident),* $(,)?) => {$(
        $(#[$m])*
        pub fn $fn(client_id: impl Into<String>, client_secret: impl Into<ClientSecret>) -> Self {
            Self::new(ConfigKind::Vendor(Vendor::$v), client_id, client_secret)
        }
    )*};
}

impl Oauth2ProviderConfig {
    fn new(
        kind: ConfigKind,
        client_id: impl Into<String>,
        client_secret: impl Into<ClientSecret>,
    ) -> Self {
        Self {
            kind,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            custom: CustomSettings::default(),
        }
    }

    /// A custom provider found through a discovery URL.
    pub fn custom_discovery_url(
        discovery_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<ClientSecret>,
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
        client_secret: impl Into<ClientSecret>,
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
    pub fn microsoft(client_id: impl Into<String>, client_secret: impl Into<ClientSecret>) -> Self {
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
        client_secret: impl Into<ClientSecret>,
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

    fn custom_setting(mut self, name: &'static str, f: impl FnOnce(&mut CustomSettings)) -> Self {
        self.custom.first_set.get_or_insert(name);
        f(&mut self.custom);
        self
    }

    /// Sets how the service authenticates at the token endpoint (custom providers).
    pub fn client_authentication_method(self, method: ClientAuthenticationMethod) -> Self {
        self.custom_setting("client_authentication_method", |c| {
            c.client_authentication_method = Some(method)
        })
    }

    /// Sets the on-behalf-of token exchange (custom providers).
    pub fn on_behalf_of_token_exchange(self, exchange: OnBehalfOfTokenExchange) -> Self {
        self.custom_setting("on_behalf_of_token_exchange", |c| {
            c.on_behalf_of_token_exchange = Some(exchange)
        })
    }

    /// Sets the private key JWT client authentication (custom providers; with
    /// [`ClientAuthenticationMethod::PrivateKeyJwt`]).
    pub fn private_key_jwt(self, config: PrivateKeyJwtConfig) -> Self {
        self.custom_setting("private_key_jwt", |c| c.private_key_jwt = Some(config))
    }

    /// Sets the default private endpoint (custom providers).
    pub fn private_endpoint(self, endpoint: PrivateEndpoint) -> Self {
        self.custom_setting("private_endpoint", |c| c.private_endpoint = Some(endpoint))
    }

    /// Adds a private endpoint for one domain (custom providers; the service allows 5).
    pub fn private_endpoint_override(
        self,
        domain: impl Into<String>,
        endpoint: PrivateEndpoint,
    ) -> Self {
        let o = PrivateEndpointOverride::new(domain, endpoint);
        self.custom_setting("private_endpoint_override", |c| {
            c.private_endpoint_overrides.push(o)
        })
    }

    /// Adds a private CA certificate the service trusts when calling the provider (custom
    /// providers; the service takes exactly one).
    pub fn certificate(self, certificate: CertificateConfiguration) -> Self {
        self.custom_setting("certificate", |c| c.certificates.push(certificate))
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

    /// The certificate configurations in their wire form, when set (the Rust SDK's
    /// `CustomOauth2ProviderConfigInput` has no member for them yet: the client adds them to the
    /// serialized request).
    pub(crate) fn certificates_json(&self) -> Option<Value> {
        (!self.custom.certificates.is_empty()).then(|| {
            Value::Array(
                self.custom
                    .certificates
                    .iter()
                    .map(CertificateConfiguration::to_json)
                    .collect(),
            )
        })
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
        if let (false, Some(setting)) = (
            matches!(self.kind, ConfigKind::Custom(_)),
            self.custom.first_set,
        ) {
            return Err(Error::config(format!(
                "`{setting}` is only for custom OAuth2 providers (CustomOauth2), not {}",
                self.vendor_name()
            )));
        }
        let id = self.client_id.clone();
        let SecretParts {
            secret,
            config: secret_config,
            source: secret_source,
        } = self.client_secret.parts()?;
        let vendor = sdk::CredentialProviderVendorType::from(self.vendor_name());
        macro_rules! simple {
            ($ty:ident, $variant:ident) => {
                In::$variant(
                    sdk::$ty::builder()
                        .client_id(id)
                        .set_client_secret(secret)
                        .set_client_secret_config(secret_config)
                        .set_client_secret_source(secret_source)
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
                let c = &self.custom;
                let overrides = c
                    .private_endpoint_overrides
                    .iter()
                    .map(|o| {
                        sdk::PrivateEndpointOverride::builder()
                            .domain(&o.domain)
                            .private_endpoint(o.private_endpoint.to_sdk()?)
                            .build()
                            .map_err(build_err)
                    })
                    .collect::<Result<Vec<_>, Error>>()?;
                In::CustomOauth2ProviderConfig(
                    sdk::CustomOauth2ProviderConfigInput::builder()
                        .oauth_discovery(discovery)
                        .client_id(id)
                        .set_client_secret(secret)
                        .set_client_secret_config(secret_config)
                        .set_client_secret_source(secret_source)
                        .set_client_authentication_method(
                            c.client_authentication_method
                                .as_ref()
                                .map(|m| sdk::ClientAuthenticationMethodType::from(m.as_str())),
                        )
                        .set_on_behalf_of_token_exchange_config(
                            c.on_behalf_of_token_exchange
                                .as_ref()
                                .map(OnBehalfOfTokenExchange::to_sdk)
                                .transpose()?,
                        )
                        .set_private_key_jwt_config(
                            c.private_key_jwt
                                .as_ref()
                                .map(PrivateKeyJwtConfig::to_sdk)
                                .transpose()?,
                        )
                        .set_private_endpoint(
                            c.private_endpoint
                                .as_ref()
                                .map(PrivateEndpoint::to_sdk)
                                .transpose()?,
                        )
                        .set_private_endpoint_overrides(
                            (!overrides.is_empty()).then_some(overrides),
                        )
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
                    .set_client_secret(secret)
                    .set_client_secret_config(secret_config)
                    .set_client_secret_source(secret_source)
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
                    .set_client_secret(secret)
                    .set_client_secret_config(secret_config)
                    .set_client_secret_source(secret_source)
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

/// What an `Oauth2ProviderConfigOutput` says, in this crate's types.
#[derive(Default)]
struct ConfigOut {
    client_id: Option<String>,
    discovery: Option<Oauth2Discovery>,
    client_authentication_method: Option<ClientAuthenticationMethod>,
    on_behalf_of_token_exchange: Option<OnBehalfOfTokenExchange>,
    private_key_jwt: Option<PrivateKeyJwtConfig>,
    private_endpoint: Option<PrivateEndpoint>,
    private_endpoint_overrides: Vec<PrivateEndpointOverride>,
}

fn config_out(out: Option<&sdk::Oauth2ProviderConfigOutput>) -> ConfigOut {
    use sdk::Oauth2ProviderConfigOutput as O;
    let Some(out) = out else {
        return ConfigOut::default();
    };
    // What every vendor's output has (the custom one adds its own settings to it).
    macro_rules! vendor {
        ($c:expr) => {
            ConfigOut {
                client_id: $c.client_id().map(str::to_owned),
                discovery: $c.oauth_discovery().and_then(Oauth2Discovery::from_sdk),
                ..ConfigOut::default()
            }
        };
    }
    match out {
        O::CustomOauth2ProviderConfig(c) => ConfigOut {
            client_authentication_method: c
                .client_authentication_method()
                .map(|m| m.as_str().into()),
            on_behalf_of_token_exchange: c
                .on_behalf_of_token_exchange_config()
                .map(OnBehalfOfTokenExchange::from_sdk),
            private_key_jwt: c
                .private_key_jwt_config()
                .map(PrivateKeyJwtConfig::from_sdk),
            private_endpoint: c.private_endpoint().and_then(PrivateEndpoint::from_sdk),
            private_endpoint_overrides: c
                .private_endpoint_overrides()
                .iter()
                .filter_map(|o| {
                    Some(PrivateEndpointOverride::new(
                        o.domain(),
                        PrivateEndpoint::from_sdk(o.private_endpoint()?)?,
                    ))
                })
                .collect(),
            ..vendor!(c)
        },
        O::GoogleOauth2ProviderConfig(c) => vendor!(c),
        O::GithubOauth2ProviderConfig(c) => vendor!(c),
        O::SlackOauth2ProviderConfig(c) => vendor!(c),
        O::SalesforceOauth2ProviderConfig(c) => vendor!(c),
        O::MicrosoftOauth2ProviderConfig(c) => vendor!(c),
        O::AtlassianOauth2ProviderConfig(c) => vendor!(c),
        O::LinkedinOauth2ProviderConfig(c) => vendor!(c),
        O::IncludedOauth2ProviderConfig(c) => vendor!(c),
        _ => ConfigOut::default(),
    }
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

from_outputs!(TokenVault:
    op::get_token_vault::GetTokenVaultOutput,
    op::set_token_vault_cmk::SetTokenVaultCmkOutput,
    op::reset_token_vault_key_material::ResetTokenVaultKeyMaterialOutput
    => |out| TokenVault {
        token_vault_id: out.token_vault_id().to_owned(),
        kms_configuration: out.kms_configuration().map(KmsConfiguration::from_sdk),
        last_modified: time(out.last_modified_date()),
    }
);

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
            api_key_secret_source: out.api_key_secret_source().map(|s| s.as_str().into()),
            api_key_secret_json_key: out.api_key_secret_json_key().map(str::to_owned),
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
        api_key_secret_source: out.api_key_secret_source().map(|s| s.as_str().into()),
        api_key_secret_json_key: out.api_key_secret_json_key().map(str::to_owned),
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
            api_key_secret_source: None,
            api_key_secret_json_key: None,
            created_time: time(p.created_time()),
            last_updated_time: time(p.last_updated_time()),
        }
    }
}

/// The fields every OAuth2 provider output has; `vendor` and times are filled by the caller.
macro_rules! oauth2_out {
    ($out:ident, $vendor:expr, $created:expr, $updated:expr, $failure:expr) => {{
        let cfg = config_out($out.oauth2_provider_config_output());
        Oauth2CredentialProvider {
            name: $out.name().to_owned(),
            arn: $out.credential_provider_arn().to_owned(),
            vendor: $vendor,
            client_id: cfg.client_id,
            callback_url: $out.callback_url().map(str::to_owned),
            client_secret_arn: $out.client_secret_arn().map(|s| s.secret_arn().to_owned()),
            client_secret_source: $out.client_secret_source().map(|s| s.as_str().into()),
            client_secret_json_key: $out.client_secret_json_key().map(str::to_owned),
            status: $out.status().map(|s| s.as_str().to_owned()),
            failure_reason: $failure,
            discovery: cfg.discovery,
            client_authentication_method: cfg.client_authentication_method,
            on_behalf_of_token_exchange: cfg.on_behalf_of_token_exchange,
            private_key_jwt: cfg.private_key_jwt,
            private_endpoint: cfg.private_endpoint,
            private_endpoint_overrides: cfg.private_endpoint_overrides,
            certificate_configurations: Vec::new(),
            created_time: $created,
            last_updated_time: $updated,
        }
    }};
}

/// The vendor is not in the create output: the caller sets it from the configuration.
impl From<op::create_oauth2_credential_provider::CreateOauth2CredentialProviderOutput>
    for Oauth2CredentialProvider
{
    fn from(
        out: op::create_oauth2_credential_provider::CreateOauth2CredentialProviderOutput,
    ) -> Self {
        oauth2_out!(out, None, None, None, None)
    }
}

impl From<op::get_oauth2_credential_provider::GetOauth2CredentialProviderOutput>
    for Oauth2CredentialProvider
{
    fn from(out: op::get_oauth2_credential_provider::GetOauth2CredentialProviderOutput) -> Self {
        oauth2_out!(
            out,
            Some(out.credential_provider_vendor().as_str().to_owned()),
            time(out.created_time()),
            time(out.last_updated_time()),
            out.failure_reason().map(str::to_owned)
        )
    }
}

impl From<op::update_oauth2_credential_provider::UpdateOauth2CredentialProviderOutput>
    for Oauth2CredentialProvider
{
    fn from(
        out: op::update_oauth2_credential_provider::UpdateOauth2CredentialProviderOutput,
    ) -> Self {
        oauth2_out!(
            out,
            Some(out.credential_provider_vendor().as_str().to_owned()),
            time(out.created_time()),
            time(out.last_updated_time()),
            None
        )
    }
}

impl From<&sdk::Oauth2CredentialProviderItem> for Oauth2CredentialProvider {
    fn from(p: &sdk::Oauth2CredentialProviderItem) -> Self {
        Oauth2CredentialProvider {
            name: p.name().to_owned(),
            arn: p.credential_provider_arn().to_owned(),
            vendor: Some(p.credential_provider_vendor().as_str().to_owned()),
            client_id: None,
            callback_url: None,
            client_secret_arn: None,
            client_secret_source: None,
            client_secret_json_key: None,
            status: None,
            failure_reason: None,
            discovery: None,
            client_authentication_method: None,
            on_behalf_of_token_exchange: None,
            private_key_jwt: None,
            private_endpoint: None,
            private_endpoint_overrides: Vec::new(),
            certificate_configurations: Vec::new(),
            created_time: time(p.created_time()),
            last_updated_time: time(p.last_updated_time()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom() -> Oauth2ProviderConfig {
        Oauth2ProviderConfig::custom_discovery_url(
            "https://idp.example.com/.well-known/openid-configuration",
            "cid",
            SecretString::from("client-secret-XYZ123"),
        )
    }

    #[test]
    fn custom_settings_on_another_vendor_are_an_error_naming_the_setting() {
        let err = Oauth2ProviderConfig::google("cid", SecretString::from("s3cr3t-google"))
            .client_authentication_method(ClientAuthenticationMethod::ClientSecretPost)
            .to_sdk()
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("client_authentication_method"), "{msg}");
        assert!(msg.contains("GoogleOauth2"), "{msg}");
        assert!(!msg.contains("s3cr3t-google"), "{msg}");
        assert!(
            custom()
                .client_authentication_method(ClientAuthenticationMethod::ClientSecretPost)
                .to_sdk()
                .is_ok()
        );
    }

    #[test]
    fn actor_scopes_without_an_actor_token_are_refused() {
        let err = custom()
            .on_behalf_of_token_exchange(
                OnBehalfOfTokenExchange::token_exchange().actor_token_scopes(["a"]),
            )
            .to_sdk()
            .unwrap_err();
        assert!(err.to_string().contains("actor_token_scopes"), "{err}");
    }

    #[test]
    fn external_secret_sends_source_and_reference_not_a_secret() {
        let (_, input) = Oauth2ProviderConfig::github("cid", SecretReference::new("gh", "cs"))
            .to_sdk()
            .unwrap();
        let sdk::Oauth2ProviderConfigInput::GithubOauth2ProviderConfig(c) = input else {
            panic!("github member");
        };
        assert_eq!(
            c.client_secret_source(),
            Some(&sdk::SecretSourceType::External)
        );
        assert_eq!(c.client_secret_config().unwrap().secret_id(), "gh");
        assert_eq!(c.client_secret_config().unwrap().json_key(), "cs");
        assert_eq!(c.client_secret(), "");
    }

    #[test]
    fn debug_never_shows_secrets_or_claim_values() {
        let cfg = custom()
            .private_key_jwt(
                PrivateKeyJwtConfig::kms_key("arn:aws:kms:us-east-1:123456789012:key/k")
                    .header_claim("kid", SecretString::from("claim-value-AAA111"))
                    .payload_claim("tnt", SecretString::from("claim-value-BBB222")),
            )
            .on_behalf_of_token_exchange(OnBehalfOfTokenExchange::jwt_authorization_grant());
        let shown = format!("{cfg:?} {cfg:#?}");
        for secret in [
            "client-secret-XYZ123",
            "claim-value-AAA111",
            "claim-value-BBB222",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(
            shown.contains("kid") && shown.contains("JwtAuthorizationGrant"),
            "{shown}"
        );
        let ext = ClientSecret::External(SecretReference::new("sid", "jk"));
        assert!(format!("{ext:?}").contains("sid"));
        let key: ApiKeySecret = SecretString::from("sk-abcdef123").into();
        assert!(!format!("{key:?}").contains("sk-abcdef123"));
    }

    #[test]
    fn certificates_are_added_to_the_serialized_request_and_read_back() {
        let cfg = custom().certificate(CertificateConfiguration::S3 {
            uri: "s3://b/ca.pem".into(),
            bucket_owner_account_id: Some("123456789012".into()),
        });
        let certs = cfg.certificates_json().unwrap();
        let body = br#"{"name":"p","oauth2ProviderConfigInput":{"customOauth2ProviderConfig":{"clientId":"cid"}}}"#;
        let patched = add_certificates_to_request(body, &certs).unwrap();
        let v: Value = serde_json::from_slice(&patched).unwrap();
        assert_eq!(
            v["oauth2ProviderConfigInput"]["customOauth2ProviderConfig"]["certificateConfigurations"]
                [0]["s3"]["bucketOwnerAccountId"],
            "123456789012"
        );
        // A vendor's body has no custom member: nothing to patch.
        assert!(
            add_certificates_to_request(br#"{"oauth2ProviderConfigInput":{}}"#, &certs).is_none()
        );
        let response = json!({"oauth2ProviderConfigOutput": {"customOauth2ProviderConfig": {
            "certificateConfigurations": [{"secretsManager": {"secretArn": "arn:x"}}]}}});
        assert_eq!(
            certificates_in_response(response.to_string().as_bytes()),
            vec![CertificateConfiguration::secrets_manager("arn:x")]
        );
        assert!(custom().certificates_json().is_none());
    }

    #[test]
    fn string_enums_round_trip_and_keep_unknown_values() {
        assert_eq!(
            ClientAuthenticationMethod::from("PRIVATE_KEY_JWT"),
            ClientAuthenticationMethod::PrivateKeyJwt
        );
        let other = ActorTokenContent::from("SOMETHING_NEW");
        assert_eq!(other.as_str(), "SOMETHING_NEW");
        assert_eq!(
            KeyType::CustomerManagedKey.to_string(),
            "CustomerManagedKey"
        );
    }
}
