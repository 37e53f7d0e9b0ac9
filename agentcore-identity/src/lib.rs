//! Amazon Bedrock AgentCore Identity for Rust agents: the API keys and OAuth2 tokens your agent
//! needs for the services it calls, from the AgentCore token vault, cached safely, with the
//! behaviour of the official Python SDK, on the official AWS SDK for Rust.
//!
//! # The macros: one attribute per credential
//!
//! ```no_run
//! # #![allow(dead_code)]
//! use agentcore_identity::{ExposeSecret, SecretString, requires_access_token, requires_api_key};
//!
//! #[derive(Debug)]
//! enum MyError {
//!     Identity(agentcore_identity::Error),
//! }
//! impl From<agentcore_identity::Error> for MyError {
//!     fn from(e: agentcore_identity::Error) -> Self {
//!         MyError::Identity(e)
//!     }
//! }
//!
//! /// `api_key` is fetched from the vault (and cached) on each call; it is not a parameter.
//! #[requires_api_key(provider_name = "openai-apikey-provider")]
//! async fn ask_model(prompt: &str, api_key: SecretString) -> Result<String, MyError> {
//!     Ok(format!("{prompt} with a key of {} bytes", api_key.expose_secret().len()))
//! }
//!
//! /// A token for the user the agent acts for; the first time, they consent at the URL.
//! #[requires_access_token(
//!     provider_name = "google-provider",
//!     scopes = ["https://www.googleapis.com/auth/calendar.readonly"],
//!     auth_flow = "USER_FEDERATION",
//!     on_auth_url = |url: &str| println!("Please authorize: {url}"),
//! )]
//! async fn calendar(access_token: SecretString) -> Result<usize, MyError> {
//!     Ok(access_token.expose_secret().len())
//! }
//!
//! # async fn run() -> Result<(), MyError> {
//! let _answer = ask_model("2×2?").await?;
//! let _ = calendar().await?;
//! # Ok(()) }
//! ```
//!
//! The rules the macros share (parameter types, return type, methods, traits, which
//! workload token and client they use) are in [`macros`]; each macro's page lists its arguments.
//! Where the workload access token comes from: on AgentCore Runtime, each request's header (the
//! `agentcore-runtime` crate puts it into the [request context](context)); on your laptop, the
//! local development flow (`.agentcore.json`, as the Python SDK).
//!
//! # Offline, with no AWS account
//!
//! `agentcore-identity-local` is an AgentCore Identity service for your machine, speaking the
//! real wire protocol. Start it, and point this crate (and boto3, the AWS CLI) at it:
//!
//! ```text
//! cargo install agentcore-identity-local
//! agentcore-identity-local serve --port 8787 --data-dir ~/.agentcore-local
//! export AWS_ENDPOINT_URL_BEDROCK_AGENTCORE=http://127.0.0.1:8787
//! export AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL=http://127.0.0.1:8787
//! export AWS_ENDPOINT_URL_STS=http://127.0.0.1:8787   # IAM web identity tokens
//! export AWS_REGION=us-east-1   # the AWS CLI reads AWS_DEFAULT_REGION
//! ```
//!
//! With an endpoint override and no AWS credentials on the machine, the client signs with dummy
//! credentials ([`IdentityClientBuilder`]). Without `--data-dir` the service keeps its data in a
//! temporary directory that is gone when it stops.
//!
//! # The client, for everything else
//!
//! ```no_run
//! use agentcore_identity::{ApiKeyRequest, ExposeSecret, IdentityClient, SecretString};
//! use agentcore_identity::context::RequestContext;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), agentcore_identity::Error> {
//!     let client = IdentityClient::from_env().await?;
//!     // On AgentCore Runtime the workload access token arrives with each request.
//!     let ctx = RequestContext::new()
//!         .with_workload_access_token(SecretString::from("token from the request header"));
//!     RequestContext::scope(ctx, async {
//!         let key = client.get_api_key(ApiKeyRequest::new("openai-apikey-provider")).await?;
//!         let _ = key.expose_secret();
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
//! - [`IamTokenRequest`], [`SigningAlgorithm`] ([`iam`]): IAM web identity tokens from AWS STS
//!   for the agent's own identity ([`get_iam_access_token`](IdentityClient::get_iam_access_token),
//!   `#[requires_iam_access_token]`).
//! - [`context`]: the per-request context (task-local) and how to carry it into spawned tasks.
//! - [`propagation`]: the workload access token passed on to the Runtimes, Harnesses and
//!   Gateways the agent calls ([`propagation::WatPropagation`]).
//! - [`cache`]: the token cache (keying, expiry, single-flight).
//! - [`poller`]: waiting for user consent ([`TokenPoller`]).
//! - [`Error`]: the one error type; no secret is ever printed.
//!
//! # Features
//! - `macros` (default): `#[requires_api_key]`, `#[requires_access_token]`,
//!   `#[requires_iam_access_token]`, `#[requires_wat]` (rules: [`macros`]).
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
pub mod iam;
#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub mod macros;
pub mod poller;
pub mod propagation;
mod request;

#[doc(hidden)]
#[path = "__private.rs"]
pub mod __private;

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc(inline)]
pub use agentcore_identity_macros::{
    requires_access_token, requires_api_key, requires_iam_access_token, requires_wat,
};

pub use cache::{CacheConfig, CacheScope};
pub use client::http::lazy_tls_http_client;
pub use client::{
    DEFAULT_LOCAL_CONFIG_PATH, DEFAULT_REGION, IdentityClient, IdentityClientBuilder,
    default_client, set_default_client, validate_region,
};
pub use credential::Credential;
pub use error::{Error, FieldError, ServiceErrorKind};
pub use iam::{IamTokenRequest, ParseSigningAlgorithmError, SigningAlgorithm};
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
