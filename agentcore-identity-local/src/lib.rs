//! # agentcore-identity-local
//!
//! An offline Amazon Bedrock AgentCore Identity service: workload identities, API-key and OAuth2
//! credential providers, and the token vault (workload access tokens, API keys, M2M and
//! USER_FEDERATION OAuth2 tokens), speaking the real restJson1 wire protocol of both the
//! `bedrock-agentcore` (data plane) and `bedrock-agentcore-control` (control plane) services on one
//! port. Unmodified official clients (the AWS SDK for Rust, boto3, the AWS CLI, the Python
//! `bedrock-agentcore` SDK) work against it by endpoint override alone.
//!
//! Start it in-process (tests) with [`LocalIdentityService::builder`], or run the binary
//! `agentcore-identity-local serve [--port N] [--data-dir DIR] [--bind ADDR]`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), agentcore_identity_local::Error> {
//! use agentcore_identity_local::LocalIdentityService;
//!
//! let handle = LocalIdentityService::builder().port(0).start().await?;
//! println!("AWS_ENDPOINT_URL={}", handle.endpoint());
//! assert_eq!(handle.request_count("GetResourceApiKey"), 0);
//! handle.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! ## Semantics worth knowing
//! - Workload access tokens are HMAC-SHA256 signed (key derived from the data directory's master
//!   key), expire (default 1 h), and are bound to the workload identity and the user. A forged,
//!   expired, or deleted-workload token is refused with `AccessDeniedException` (403).
//! - User JWTs (`GetWorkloadAccessTokenForJWT`, `CompleteResourceTokenAuth` with `userToken`) are
//!   decoded, **not verified**: their `sub` is the user id (an expired `exp` is refused).
//! - Secrets (API keys, client secrets, tokens) are encrypted at rest with ChaCha20-Poly1305 and never
//!   logged. Every write is committed before the answer.
//! - SigV4 signatures are not verified unless [`Builder::verify_sigv4`] is set; a present
//!   `Authorization` header must be well-formed SigV4 (its credential scope gives the region of
//!   created ARNs). Requests without one are accepted.
//!
//! ## Layout
//! `http/` is the only module that knows HTTP (routing, restJson1, AWS error shapes, SigV4, the
//! browser endpoints); it calls the domain (`vault`, `wat`, `idp`, `validate`) over the shared
//! `state` and `store`, and maps the domain's `error::Error` to AWS errors. Imports run one way.

#[doc(hidden)]
pub mod __bench;
mod error;
#[doc(hidden)]
pub mod fuzz_hook;
mod http;
mod idp;
mod jwt;
mod secret;
mod service;
mod state;
mod store;
mod sweep;
mod time;
mod validate;
mod vault;
mod wat;

pub use jwt::{TrustedIssuer, TrustedIssuerParseError};
pub use service::{Builder, Error, LocalIdentityService, ServiceHandle};
