//! Amazon Bedrock AgentCore Identity for Rust agents: the API keys and OAuth2 tokens your agent
//! needs for the services it calls, from the AgentCore token vault, cached safely, with the
//! behaviour of the official Python SDK, on the official AWS SDK for Rust.
//!
//! ```no_run
//! use agentcore_identity::{ApiKeyRequest, AuthFlow, IdentityClient, TokenRequest};
//! use agentcore_identity::context::RequestContext;
//! use agentcore_identity::{ExposeSecret, SecretString};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), agentcore_identity::Error> {
//!     // Region and endpoints from the environment; point at a local service with
//!     // AWS_ENDPOINT_URL_BEDROCK_AGENTCORE / BEDROCK_AGENTCORE_DP_ENDPOINT or the builder.
//!     let client = IdentityClient::builder()
//!         .region("us-east-1")
//!         .build()
//!         .await?;
//!
//!     // On AgentCore Runtime the workload access token arrives with each request.
//!     let ctx = RequestContext::new()
//!         .with_workload_access_token(SecretString::from("token from the request header"));
//!     RequestContext::scope(ctx, async {
//!         // An API key (cached: the second call does not reach the service).
//!         let key = client.get_api_key(ApiKeyRequest::new("openai-apikey-provider")).await?;
//!         let _ = key.expose_secret();
//!
//!         // An OAuth2 token on behalf of the user: the first time, the user has to consent.
//!         let token = client
//!             .get_token(
//!                 TokenRequest::new("google-provider", AuthFlow::UserFederation)
//!                     .scopes(["https://www.googleapis.com/auth/calendar.readonly"])
//!                     .on_auth_url(|url| println!("Please authorize: {url}")),
//!             )
//!             .await?;
//!         let _ = token.expose_secret();
//!         Ok(())
//!     })
//!     .await
//! }
//! ```
//!
//! # What is where
//! - [`IdentityClient`]: construction ([`IdentityClient::new`], [`IdentityClient::from_env`],
//!   [`IdentityClient::builder`]), the data plane
//!   ([`get_api_key`](IdentityClient::get_api_key), [`get_token`](IdentityClient::get_token),
//!   [`get_workload_access_token`](IdentityClient::get_workload_access_token),
//!   [`complete_resource_token_auth`](IdentityClient::complete_resource_token_auth)), the
//!   typed control plane (types in [`control`]) and where each call's workload access token
//!   comes from.
//! - [`ApiKeyRequest`], [`TokenRequest`], [`AuthFlow`], [`WorkloadUser`]: what a call asks for.
//! - [`context`]: the per-request context (task-local) and how to carry it into spawned tasks.
//! - [`cache`]: the token cache (keying, expiry, single-flight).
//! - [`poller`]: waiting for user consent ([`TokenPoller`]).
//! - [`Error`]: the one error type; no secret is ever printed.
//!
//! # Features
//! - `macros` (default): `#[requires_api_key]`, `#[requires_access_token]`, `#[requires_wat]`.
//! - `callback-server`: [`callback::CallbackServer`], the loopback page that binds a 3LO
//!   consent to the local user during development (the starter toolkit's `127.0.0.1:8081`).
//!
//! The AgentCore Runtime HTTP contract (`/invocations`, `/ping`) and the tower layer that fills
//! the request context from the Runtime's headers are in the `agentcore-runtime` crate; the
//! offline AgentCore Identity service is `agentcore-identity-local`.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(no_crate_inject, attr(deny(warnings))))]

pub mod cache;
#[cfg(feature = "callback-server")]
#[cfg_attr(docsrs, doc(cfg(feature = "callback-server")))]
pub mod callback;
mod client;
pub mod context;
pub mod control;
mod credential;
mod error;
pub mod poller;
mod request;

#[doc(hidden)]
#[path = "__private.rs"]
pub mod __private;

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc(inline)]
pub use agentcore_identity_macros::{requires_access_token, requires_api_key, requires_wat};

pub use cache::{CacheConfig, CacheScope};
pub use client::{
    DEFAULT_LOCAL_CONFIG_PATH, DEFAULT_REGION, IdentityClient, IdentityClientBuilder,
    default_client, set_default_client, validate_region,
};
pub use credential::Credential;
pub use error::{Error, FieldError, ServiceErrorKind};
pub use poller::{DefaultTokenPoller, PollHandle, PollOutcome, TokenPoller};
pub use request::{
    ApiKeyRequest, AuthFlow, OnAuthUrl, ParseAuthFlowError, TokenRequest, UserIdentifier,
    WorkloadIdentityRef, WorkloadUser,
};

/// Re-exported: the secret types credentials are handed out as.
pub use secrecy;
/// The type every credential is handed out as: `Debug` prints `[REDACTED]`, zeroed on drop.
#[doc(no_inline)]
pub use secrecy::{ExposeSecret, SecretString};
