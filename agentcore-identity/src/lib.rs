//! Amazon Bedrock AgentCore Identity for Rust agents: get API keys and OAuth2 tokens for the
//! services your agent calls from the AgentCore token vault, cached safely, with the behaviour of
//! the official Python SDK, on the official AWS SDK for Rust.
//!
//! ```no_run
//! use agentcore_identity::{ApiKeyRequest, AuthFlow, IdentityClient, TokenRequest};
//! use agentcore_identity::context::RequestContext;
//! use secrecy::{ExposeSecret, SecretString};
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
//! - [`IdentityClient`]: construction ([`IdentityClient::builder`]), the data plane
//!   ([`get_api_key`](IdentityClient::get_api_key), [`get_token`](IdentityClient::get_token),
//!   [`get_workload_access_token`](IdentityClient::get_workload_access_token),
//!   [`complete_resource_token_auth`](IdentityClient::complete_resource_token_auth)) and the
//!   typed control plane ([`control`]).
//! - [`context`]: the per-request context (task-local) and how to carry it into spawned tasks.
//! - [`workload`]: where the workload access token comes from, including local development with
//!   `.agentcore.json`.
//! - [`cache`]: the token cache (keying, expiry, single-flight).
//! - [`poller`]: waiting for user consent ([`TokenPoller`]).
//! - [`Error`]: the one error type; no secret is ever printed.
//!
//! # Features
//! - `macros` (default): `#[requires_api_key]`, `#[requires_access_token]`, `#[requires_wat]`.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(test(no_crate_inject, attr(deny(warnings))))]

#[cfg(feature = "app")]
pub mod app;
pub mod cache;
mod client;
pub mod context;
pub mod control;
mod credential;
mod error;
pub mod poller;
mod token;
pub mod workload;

#[doc(hidden)]
#[path = "__private.rs"]
pub mod __private;

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc(inline)]
pub use agentcore_identity_macros::{requires_access_token, requires_api_key, requires_wat};

pub use cache::CacheConfig;
pub use client::{
    DEFAULT_LOCAL_CONFIG_PATH, DEFAULT_REGION, IdentityClient, IdentityClientBuilder,
    validate_region,
};
pub use credential::Credential;
pub use error::{Error, FieldError, ServiceErrorKind};
pub use poller::{DefaultTokenPoller, PollHandle, PollOutcome, TokenPoller};
pub use token::{
    ApiKeyRequest, AuthFlow, OnAuthUrl, ParseAuthFlowError, TokenRequest, UserIdentifier,
};

/// Re-exported: the secret types credentials are handed out as.
pub use secrecy;
/// The type every credential is handed out as: `Debug` prints `[REDACTED]`, zeroed on drop.
#[doc(no_inline)]
pub use secrecy::{ExposeSecret, SecretString};

use std::sync::RwLock;

static DEFAULT_CLIENT: RwLock<Option<IdentityClient>> = RwLock::new(None);
static DEFAULT_INIT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Sets the process default client, used by the macros (and [`default_client`]) when no client is
/// given; returns the previous one.
///
/// Without a call, the default is built on first use from the environment (like
/// `IdentityClient::builder().build()`).
pub fn set_default_client(client: IdentityClient) -> Option<IdentityClient> {
    DEFAULT_CLIENT
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .replace(client)
}

/// The process default client: the one given to [`set_default_client`], else one built (once)
/// from the environment.
pub async fn default_client() -> Result<IdentityClient, Error> {
    if let Some(c) = current_default() {
        return Ok(c);
    }
    let _guard = DEFAULT_INIT.lock().await;
    if let Some(c) = current_default() {
        return Ok(c);
    }
    let client = IdentityClient::builder().build().await?;
    let mut slot = DEFAULT_CLIENT.write().unwrap_or_else(|e| e.into_inner());
    Ok(slot.get_or_insert(client).clone())
}

fn current_default() -> Option<IdentityClient> {
    DEFAULT_CLIENT
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}
